"""The profile form: create or edit a profile, test it before saving, and say where its key went.

It checks every field as the user types; it can test the profile before saving it; and it says
where the API key went, because over SSH there is often no keyring and the key then lives only as
long as the session. Saving goes through the app's ProfileBook, like `foundry-tui profile`.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from foundry_tui.azure.access import ArmAccess, arm_access, resource_name
from foundry_tui.azure.discovery import AzureResource
from foundry_tui.config.env import API_KEY_VAR
from foundry_tui.config.profile import (
    DEFAULT_SCOPE,
    AzureOptions,
    ConfigError,
    EntraOptions,
    Profile,
    resolve_endpoint,
    validate_profile_name,
)
from foundry_tui.config.secrets import KeySource
from foundry_tui.ui.screens.azure_resources import find_in_azure
from foundry_tui.ui.screens.profile_fields import (
    AUTH_LABELS,
    CREDENTIAL_HELP,
    CREDENTIAL_LABELS,
    ENDPOINT_KINDS,
    ENDPOINT_PLACEHOLDERS,
    GUESSED_DEPLOYMENTS,
    KEY_PLACEHOLDERS,
    KEY_STORAGE_LABELS,
    FieldMessage,
    Incomplete,
    ScreenTitle,
    convert_endpoint,
    deployments_default_first,
    endpoint_url,
    key_storage_text,
    parse_deployments,
    radio_set,
)
from foundry_tui.ui.widgets.key_bar import KeyBar
from foundry_tui.ui.widgets.report import Report

if TYPE_CHECKING:
    from foundry_tui.ui.app import FoundryApp

_test_runs = itertools.count(1)


def find_key(app: FoundryApp, name: str) -> str | None:
    found = app.secrets.get_api_key(name)
    return found[0] if found else None


@dataclass(frozen=True)
class SavedProfile:
    """What the form hands back: the profile's name, and where its API key is now (None: no key)."""

    name: str
    key_source: KeySource | None
    key_problem: str | None = None  # the key could not be stored or moved


class ProfileForm(Screen[SavedProfile | None]):
    """Create a profile (`profile` None) or edit one; saving writes the config and the key."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", key_display="^s"),
        Binding("ctrl+t", "test", "Test", key_display="^t"),
        Binding("t", "test", "Test", show=False),
        Binding("ctrl+f", "find_in_azure", "Find in Azure", key_display="^f"),
        Binding("escape", "cancel", "Cancel", key_display="esc"),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    DEFAULT_CSS = """
    ProfileForm {
        #form {
            height: 1fr;
            padding: 0 1;
        }
        #intro {
            padding: 1 1 0 1;
            color: $text-muted;
        }
        #columns {
            height: auto;
        }
        .column {
            width: 1fr;
            height: auto;
            padding: 0 1;
        }
        &.-narrow #columns {
            layout: vertical;
        }
        Label {
            margin: 1 0 0 1;
            text-style: bold;
        }
        Input.-mistake {
            border: tall $error 60%;
            &:focus {
                border: tall $error;
            }
        }
        RadioSet {
            layout: horizontal;
            width: 100%;
            margin: 0 1;
            & > RadioButton {
                width: auto;
                margin-right: 3;
            }
            /* Unfocused, the keyboard cursor would look like a second choice. */
            &:blur > RadioButton.-selected > .toggle--label {
                background: transparent;
            }
        }
        #keyring-status {
            margin: 1 1 0 1;
            color: $text-muted;
            &.-warning {
                color: $text-warning;
            }
        }
        #api-key-fields, #entra-fields {
            height: auto;
        }
        #key-storage {
            display: none;
            layout: vertical;
            margin: 0 1;
        }
        #actions {
            height: auto;
            margin: 1 1 0 1;
            & > Button {
                margin-right: 2;
            }
        }
    }
    """

    app: FoundryApp

    def __init__(self, profile: Profile | None = None) -> None:
        super().__init__()
        self.original = profile
        self.valid = False
        self.saving = False
        self.stored_key: KeySource | None = None  # where the profile's key is now, looked up on mount
        self.found: AzureResource | None = None  # picked with Find in Azure: pinned in the profile

    @property
    def original_name(self) -> str | None:
        return self.original.name if self.original else None

    def compose(self) -> ComposeResult:
        profile = self.original or Profile(name="", deployments=[])
        endpoint_kind = "base-url" if profile.base_url else "resource"
        yield ScreenTitle(f"Edit profile '{profile.name}'" if self.original else "New profile", markup=False)
        with VerticalScroll(id="form"):
            if self.app.profile is None and not self.app.config.profiles:
                yield Static(
                    "Welcome to foundry-tui. A profile says where your Foundry resource is and how to sign in "
                    "to it. Test checks it with one tiny request before you save.",
                    id="intro",
                )
            with Horizontal(id="columns"):
                with Vertical(classes="column"):
                    yield Label("Name")
                    yield Input(profile.name, placeholder="e.g. work", id="name")
                    yield FieldMessage(id="name-message")
                    yield Label("Endpoint")
                    yield radio_set("endpoint-kind", ENDPOINT_KINDS, endpoint_kind)
                    yield Input(
                        profile.base_url or profile.resource or "",
                        placeholder=ENDPOINT_PLACEHOLDERS[endpoint_kind],
                        id="endpoint",
                    )
                    yield FieldMessage(id="endpoint-message")
                    yield Label(
                        Content.assemble("Deployments ", ("comma-separated, the default first", "$foreground-muted"))
                    )
                    yield Input(
                        ", ".join(deployments_default_first(profile)),
                        placeholder=", ".join(GUESSED_DEPLOYMENTS),
                        id="deployments",
                    )
                    yield FieldMessage(id="deployments-message")
                with Vertical(classes="column"):
                    yield Label("Authentication")
                    yield radio_set("auth", AUTH_LABELS, profile.auth)
                    with Vertical(id="api-key-fields"):
                        yield Static("Checking the system keyring…", id="keyring-status")
                        yield radio_set("key-storage", KEY_STORAGE_LABELS, "session")
                        yield Label("API key")
                        yield Input(password=True, placeholder=KEY_PLACEHOLDERS[None], id="api-key")
                    with Vertical(id="entra-fields"):
                        yield Label("Credential")
                        yield radio_set("credential", CREDENTIAL_LABELS, profile.entra.credential)
                        yield FieldMessage(id="credential-help")
                        yield Label("Tenant id (optional)")
                        yield Input(
                            profile.entra.tenant_id or "", placeholder="the directory's id or domain", id="tenant"
                        )
                        yield Label("Scope")
                        yield Input(profile.entra.scope, placeholder=DEFAULT_SCOPE, id="scope")
                        yield FieldMessage(
                            "Empty means the guide's scope; the SDK's docs use https://ai.azure.com/.default."
                        )
            with Horizontal(id="actions"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Test", id="test")
                yield Button("Find in Azure", id="find-azure")
                yield Button("Cancel", id="cancel")
            yield Report(id="report")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()
        self.show_auth_fields()
        self.revalidate()
        self.update_actions()
        self.look_up_key_storage()

    # -- reading the form ------------------------------------------------------------------------

    def value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value.strip()

    def choice(self, set_id: str) -> str:
        button = self.query_one(f"#{set_id}", RadioSet).pressed_button
        assert button is not None and button.id is not None  # every set starts with one pressed
        return button.id.removeprefix(f"{set_id}-")

    def endpoint(self) -> tuple[str | None, str | None]:
        """(resource, base_url), validated; raises Incomplete while empty."""
        text, kind = self.value("endpoint"), self.choice("endpoint-kind")
        if not text:
            raise Incomplete(f"required, e.g. {ENDPOINT_PLACEHOLDERS[kind]}")
        return resolve_endpoint(text, None) if kind == "resource" else resolve_endpoint(None, text)

    def profile_name(self) -> str:
        name = self.value("name")
        if not name:
            raise Incomplete("required: a short name of your choice, e.g. work")
        validate_profile_name(name)
        if name != self.original_name and name in self.app.config.profiles:
            raise ConfigError(f"a profile named {name!r} already exists", hint="pick another name, or edit that one")
        return name

    def build_profile(self) -> Profile:
        """The profile the form describes; raises ConfigError or Incomplete while it cannot be saved."""
        resource, base_url = self.endpoint()
        deployments = parse_deployments(self.value("deployments")) or list(GUESSED_DEPLOYMENTS)
        profile = replace(
            self.original or Profile(name=""),
            name=self.profile_name(),
            resource=resource,
            base_url=base_url,
            auth=self.choice("auth"),
            entra=EntraOptions(
                self.choice("credential"), self.value("tenant") or None, self.value("scope") or DEFAULT_SCOPE
            ),
            deployments=deployments,
            default_deployment=deployments[0],
        )
        if self.found is not None and self.found.name == _endpoint_resource(profile):
            found = self.found  # pinned, so `foundry-tui deployments` needs no search
            profile.azure = replace(profile.azure, subscription=found.subscription,
                                    resource_group=found.resource_group, resource=found.name)  # fmt: skip
        profile.validate()
        return profile

    # -- validating as the user types ------------------------------------------------------------

    @on(Input.Changed)
    @on(RadioSet.Changed)
    def revalidate(self) -> None:
        valid = all(
            [
                self.show_check("name", self.name_note),
                self.show_check("endpoint", self.endpoint_note),
                self.show_check("deployments", self.deployments_note),
            ]
        )
        if valid != self.valid:
            self.valid = valid
            self.update_actions()

    def update_actions(self) -> None:
        """Save and Test only while the form is valid (the footer redraws, so not on every key)."""
        for button_id in ("save", "test"):
            self.query_one(f"#{button_id}", Button).disabled = not self.valid or self.saving
        self.refresh_bindings()

    def show_check(self, field_id: str, check: Callable[[], str]) -> bool:
        """Run one field's check and show its outcome under the field."""
        message = self.query_one(f"#{field_id}-message", FieldMessage)
        valid = False
        try:
            message.note(check())
            valid = True
        except Incomplete as missing:
            message.note(missing.message)
        except ConfigError as error:
            message.error(error)
        # Not Input's own "-invalid" class: an Input without validators clears that on blur.
        self.query_one(f"#{field_id}", Input).set_class(message.has_class("-error"), "-mistake")
        return valid

    def name_note(self) -> str:
        name = self.profile_name()
        if self.original_name and name != self.original_name:
            return f"renames '{self.original_name}'; its API key moves with it"
        return ""

    def endpoint_note(self) -> str:
        return f"→ {endpoint_url(*self.endpoint())}"

    def deployments_note(self) -> str:
        names = parse_deployments(self.value("deployments"))
        if not names:
            return "Empty: the guide's default names, which are only guesses; use the names from your Foundry portal."
        others = f" and {len(names) - 1} more" if len(names) > 1 else ""
        return f"default: {names[0]}{others}"

    @on(RadioSet.Changed, "#endpoint-kind")
    def endpoint_kind_changed(self) -> None:
        kind = self.choice("endpoint-kind")
        field = self.query_one("#endpoint", Input)
        field.placeholder = ENDPOINT_PLACEHOLDERS[kind]
        field.value = convert_endpoint(field.value, kind)

    @on(RadioSet.Changed, "#auth, #credential")
    def show_auth_fields(self) -> None:
        entra = self.choice("auth") == "entra"
        self.query_one("#api-key-fields").display = not entra
        self.query_one("#entra-fields").display = entra
        self.query_one("#credential-help", FieldMessage).note(CREDENTIAL_HELP[self.choice("credential")])

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        """Enter moves on to the next field; in the last one it saves."""
        if event.input.id in ("api-key", "scope"):
            self.action_save()
        else:
            self.focus_next()

    @work(exclusive=True, group="keyring", exit_on_error=False)
    async def look_up_key_storage(self) -> None:
        """The keyring may take seconds to answer (or time out) over SSH: ask off the event loop."""
        secrets = self.app.secrets
        status = await asyncio.to_thread(secrets.keyring_status) if self.app.persist else None
        if self.original_name:
            found = await asyncio.to_thread(secrets.get_api_key, self.original_name)
            self.stored_key = found[1] if found else None
        text, warning = key_storage_text(status)
        label = self.query_one("#keyring-status", Static)
        label.update(Content(text))
        label.set_class(warning, "-warning")
        self.query_one("#key-storage").display = status is not None and not status.available
        where = self.stored_key.where if self.stored_key else None
        self.query_one("#api-key", Input).placeholder = KEY_PLACEHOLDERS[where]

    # -- actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "test"):
            return self.valid and not self.saving or None
        return True

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.valid and not self.saving:
            self.set_saving(True)  # before the worker starts, so a second ctrl+s cannot save twice
            self.save()

    @on(Button.Pressed, "#test")
    def action_test(self) -> None:
        if self.valid:
            self.test()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(exclusive=True, group="test", exit_on_error=False)
    async def test(self) -> None:
        """Test what the form says, not what is saved: under a name of its own, so neither the
        saved profile's client nor its stored key is touched."""
        report = self.query_one(Report)
        profile = self.build_profile()
        trial = replace(profile, name=f"(unsaved form, test {next(_test_runs)})")
        if profile.auth == "api-key":
            key: str | None = self.value("api-key")
            key = key or await asyncio.to_thread(find_key, self.app, self.original_name or profile.name)
            if not key:
                hint = f"type the key in the API key field, or export {API_KEY_VAR}"
                report.config_error(ConfigError("no API key to test with", hint=hint))
                return
            self.app.secrets.hold_in_memory(trial.name, key)
        try:
            await report.check(trial, profile.deployments[0], profile.endpoint_host())
        finally:
            self.app.forget_client(trial.name)

    @on(Button.Pressed, "#find-azure")
    def action_find_in_azure(self) -> None:
        report = self.query_one(Report)
        try:
            access = self.arm_access()
        except ConfigError as error:
            report.config_error(error)
            return
        self.find_in_azure(access)

    def arm_access(self) -> ArmAccess:
        """Resource Manager with the sign-in the form describes (an API key cannot read it: see arm_access)."""
        base = self.original or Profile(name="")
        entra = EntraOptions(self.choice("credential"), self.value("tenant") or None, self.value("scope") or DEFAULT_SCOPE)
        form = replace(base, auth=self.choice("auth"), entra=entra)
        key = self.value("api-key") or (find_key(self.app, self.original_name) if self.original_name else None)
        return arm_access(form, os.environ, on_device_code=self.app.show_device_code, emulator_key=key)

    @work(exclusive=True, group="azure", exit_on_error=False)
    async def find_in_azure(self, access: ArmAccess) -> None:
        found = await find_in_azure(self.app, access, self.query_one(Report))
        if found is None:
            return
        self.found = found.resource
        self.query_one("#deployments", Input).value = ", ".join(found.deployments)
        if not self.value("endpoint"):
            self.query_one("#endpoint-kind-resource", RadioButton).value = True
            self.query_one("#endpoint", Input).value = found.resource.name

    @work(group="save", exit_on_error=False)
    async def save(self) -> None:
        """Save through the book (in a thread: the keyring may be slow), then show the saved profile."""
        typed_key = self.value("api-key") if self.choice("auth") == "api-key" else ""
        in_file = self.query_one("#key-storage").display and self.choice("key-storage") == "file"
        app = self.app
        try:
            profile = self.build_profile()
            if self.original_name is None:
                saved = await asyncio.to_thread(app.book.add, profile, api_key=typed_key, key_in_file=in_file)
            else:
                saved = await asyncio.to_thread(
                    app.book.replace, self.original_name, profile, api_key=typed_key, key_in_file=in_file
                )
        except ConfigError as error:
            self.query_one(Report).config_error(error)
            self.set_saving(False)
            return
        for name in {profile.name, self.original_name or profile.name}:
            app.forget_client(name)
        app.config_changed(saved.config)
        if app.profile is None or app.profile.name == self.original_name:
            profile = saved.config.profiles[profile.name]
            app.use_profile(profile, app.deployment if app.deployment in profile.deployments else None)
        self.dismiss(SavedProfile(profile.name, saved.key_source, saved.key_problem))

    def set_saving(self, saving: bool) -> None:
        self.saving = saving
        self.update_actions()


def _endpoint_resource(profile: Profile) -> str | None:
    """The Azure resource the profile's endpoint names, if it names one."""
    try:
        return resource_name(replace(profile, azure=AzureOptions()))
    except ConfigError:
        return None
