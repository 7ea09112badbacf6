"""The picker's line about Azure: discovery in a background worker, then what it found or why not.

Discovery runs in a worker thread (`discover_async`), so the chat never waits on Resource Manager.
A failure stays here, inline, with its hint and `x-ms-request-id`; the picker keeps its
configured names and guesses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from foundry_tui.azure.access import ArmAccess, arm_access, resource_name
from foundry_tui.azure.discovery import AzureDeployment, Discovery, discover_async
from foundry_tui.azure.errors import ArmError
from foundry_tui.config.profile import ConfigError, Profile
from foundry_tui.safetext import terminal_line
from foundry_tui.ui.widgets.problem import problem_content

if TYPE_CHECKING:
    from foundry_tui.ui.app import FoundryApp

AZURE_TAG = "azure"


def azure_details(deployment: AzureDeployment) -> Content:
    """What a discovered row shows under the list: model, version, capacity, found in Azure."""
    capacity = "?" if deployment.capacity is None else str(deployment.capacity)
    text = (
        f"Found in Azure: model {deployment.model} version {deployment.version}, "
        f"{deployment.sku} capacity {capacity}, {deployment.state}. c checks it; ↵ uses it."
    )
    return Content.styled(terminal_line(text), "$success")


class AzureDiscovery(Static):
    """Looks the profile's deployments up in Azure; posts `Found` on success."""

    app: FoundryApp
    DEFAULT_CSS = """
    AzureDiscovery {
        color: $text-muted;
        height: auto;
        margin: 0 0 1 0;
        &.-failed { color: $error; }
    }
    """

    @dataclass
    class Found(Message):
        discovery: Discovery

    def __init__(self, profile: Profile, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.profile = profile

    def refresh_discovery(self) -> None:
        """Start (or restart) discovery; a profile whose resource cannot be named is left alone."""
        try:
            resource_name(self.profile)
            key = self.app.secrets.get_api_key(self.profile.name) if self.profile.auth == "api-key" else None
            access = arm_access(self.profile, os.environ, emulator_key=key[0] if key else None)
        except ConfigError:
            self.display = False
            return
        self.display = True
        self.set_class(False, "-failed")
        self.update(Content("Looking up deployments in Azure…"))
        self._discover(access)

    @work(exclusive=True, group="azure-discovery", exit_on_error=False)
    async def _discover(self, access: ArmAccess) -> None:
        try:
            found = await discover_async(self.profile, access)
        except (ArmError, ConfigError) as error:
            self.set_class(True, "-failed")
            self.update(problem_content(error, context="Not found in Azure"))
            return
        where = f"{found.resource.name} ({found.resource.location})"
        self.update(Content(terminal_line(f"✓ {len(found.deployments)} Claude deployment(s) found in Azure: {where} · r refreshes")))
        self.post_message(self.Found(found))
