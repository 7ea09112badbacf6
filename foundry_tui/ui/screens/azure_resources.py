"""Find in Azure, for the profile form: pick one of the Foundry resources the sign-in can read,
and bring back its Claude deployments.

Resource Manager is asked from worker threads (`list_foundry_resources_async`), never on the loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from foundry_tui.azure.access import ArmAccess
from foundry_tui.azure.discovery import AzureResource, claude_deployments_async, list_foundry_resources_async
from foundry_tui.azure.errors import ArmError
from foundry_tui.safetext import terminal_line
from foundry_tui.ui.widgets.dialog import DialogScreen
from foundry_tui.ui.widgets.problem import problem_content

if TYPE_CHECKING:
    from foundry_tui.ui.app import FoundryApp
    from foundry_tui.ui.widgets.report import Report


@dataclass(frozen=True)
class FoundInAzure:
    resource: AzureResource
    deployments: list[str]  # its Claude (Anthropic-format) deployments


class ResourcePicker(DialogScreen[AzureResource | None]):
    """The Foundry resources found, one a line; enter picks one, esc goes back."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Back", key_display="esc")]

    def __init__(self, resources: list[AzureResource]) -> None:
        super().__init__()
        self.resources = resources

    def compose(self) -> ComposeResult:
        with self.dialog("Your Foundry resources in Azure", id="resource-picker"):
            yield Static("Pick the resource this profile uses; its Claude deployments fill the form.", classes="field-label")
            yield OptionList(
                *(Option(_label(resource), id=str(index)) for index, resource in enumerate(self.resources)),
                id="resources",
            )
            yield self.key_line()

    @on(OptionList.OptionSelected, "#resources")
    def picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.resources[event.option_index])


def _label(resource: AzureResource) -> str:
    where = f"{resource.location} · group {resource.resource_group} · subscription {resource.subscription}"
    return terminal_line(f"{resource.name}  ({where})")


async def find_in_azure(app: FoundryApp, access: ArmAccess, report: Report) -> FoundInAzure | None:
    """List the resources, let the user pick one, fetch its Claude deployments; None when there is
    nothing to bring back (said in `report`). Must run in a worker (it waits for the picker)."""
    report.notice(f"Listing your Foundry resources in Azure, signed in with {access.credential_note}…")
    try:
        resources = await list_foundry_resources_async(access)
    except ArmError as error:
        report.show(problem_content(error, context="Not found in Azure"))
        return None
    if not resources:
        report.notice("Your Azure sign-in sees no Foundry (AIServices) resource.", warning=True)
        return None
    chosen = await app.push_screen_wait(ResourcePicker(resources))
    if chosen is None:
        report.notice("No resource picked: the form is unchanged.")
        return None
    try:
        deployments = await claude_deployments_async(access, chosen)
    except ArmError as error:
        report.show(problem_content(error, context=f"Could not list the deployments of {chosen.name}"))
        return None
    names = [deployment.name for deployment in deployments]
    if not names:
        report.notice(f"{terminal_line(chosen.name)} has no Claude deployment yet: deploy one in the Foundry portal.", warning=True)
        return None
    report.notice(terminal_line(f"✓ {chosen.name}: {len(names)} Claude deployment(s) filled in; the first is the default"))
    return FoundInAzure(chosen, names)
