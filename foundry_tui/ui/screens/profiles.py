"""Profile setup: the list of profiles, the profile form and the delete confirmation.

A profile says where the Foundry resource is and how to sign in to it. The form checks every field
as the user types, with the same rules and messages as the config file and the CLI; it can test
the profile before saving it; and it says where the API key went, because over SSH there is often
no keyring and the key then lives only as long as the session.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Input, Label, RadioButton, RadioSet, Static

from foundry_tui.config.env import API_KEY_VAR, GUIDE_DEFAULT_DEPLOYMENT
from foundry_tui.config.paths import config_file
from foundry_tui.config.profile import (
    DEFAULT_SCOPE,
    GUIDE_DEPLOYMENTS,
    ConfigError,
    EntraOptions,
    Profile,
    resolve_endpoint,
    validate_profile_name,
    validate_resource,
)
from foundry_tui.config.secrets import KeyringStatus, KeySource
from foundry_tui.format import duration, request_ids
from foundry_tui.safetext import terminal_line
from foundry_tui.ui.widgets.problem import problem_content

if TYPE_CHECKING:
    from foundry_tui.service.check import CheckResult
    from foundry_tui.ui.app import FoundryApp

TEST_TIMEOUT = 20.0
SIGN_IN_TIMEOUT = 900.0  # a device-code test waits for the user to sign in on another device
AZURE_HOST_SUFFIX = ".services.ai.azure.com"
# The guide's deployment names, default first: only guesses, since users name deployments freely.
GUESSED_DEPLOYMENTS = [
    GUIDE_DEFAULT_DEPLOYMENT,
    *(name for name in GUIDE_DEPLOYMENTS if name != GUIDE_DEFAULT_DEPLOYMENT),
]

ENDPOINT_KINDS = {"resource": "Resource name", "base-url": "Base URL"}
ENDPOINT_PLACEHOLDERS = {"resource": "my-resource", "base-url": f"https://my-resource{AZURE_HOST_SUFFIX}/anthropic/"}
AUTH_LABELS = {"api-key": "API key", "entra": "Entra ID"}
CREDENTIAL_LABELS = {"default": "Default chain", "azure-cli": "Azure CLI", "device-code": "Device code"}
CREDENTIAL_HELP = {
    "default": "DefaultAzureCredential: tries environment variables, managed identity, VS Code, "
    "the Azure CLI… in turn.",
    "azure-cli": "Uses the account you signed in with `az login` on this machine.",
    "device-code": "Sign in on any device with a code: suits SSH, no browser needed here.",
}
KEY_PLACEHOLDERS = {
    None: "paste it from Azure portal › Keys and Endpoint",
    "keyring": "stored in the keyring — leave empty to keep",
    "memory": "held in memory this session — leave empty to keep",
    "plaintext-file": "stored in the plaintext key file — leave empty to keep",
    "env": f"none stored: {API_KEY_VAR} is used — type one to store it",
}

_test_runs = itertools.count(1)


class Incomplete(ConfigError):
    """A required field is still empty: nothing to save yet, but no mistake to point at either."""


def describe_auth(profile: Profile) -> str:
    if profile.auth == "entra":
        return f"Entra ID · {CREDENTIAL_LABELS.get(profile.entra.credential, profile.entra.credential)}"
    return AUTH_LABELS["api-key"]


def parse_deployments(text: str) -> list[str]:
    """Comma-separated names, in order, without repeats."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if any(char.isspace() for char in name):
            raise ConfigError(
                f"deployment name {name!r} contains a space", hint="separate deployment names with commas"
            )
    return list(dict.fromkeys(names))


def endpoint_url(resource: str | None, base_url: str | None) -> str:
    return Profile(name="", resource=resource, base_url=base_url).endpoint_url()


def convert_endpoint(text: str, kind: str) -> str:
    """Carry what was typed over when the user switches between resource name and base URL."""
    text = text.strip()
    if kind == "base-url":
        try:
            return endpoint_url(validate_resource(text), None)
        except ConfigError:
            return text  # e.g. a URL pasted as the resource name: exactly what the base URL wants
    host = urlsplit(text).hostname or ""
    return host.removesuffix(AZURE_HOST_SUFFIX) if host.endswith(AZURE_HOST_SUFFIX) else text


def key_storage_text(status: KeyringStatus | None) -> tuple[str, bool]:
    """Where a key saved in the form will go (None: the demo), told before it is typed; and whether to warn."""
    if status is None:
        return "Demo mode: a key saved here is held in memory only.", False
    if status.available:
        return f"A key saved here goes to the system keyring ({status.backend}).", False
    reason = status.reason or "the keyring is unavailable"
    return (
        f"⚠ {reason[0].upper()}{reason[1:]}: a key saved here is held in memory for this session only. "
        f"To keep one across sessions, export {API_KEY_VAR}.",
        True,
    )


def store_key(app: FoundryApp, name: str, key: str, *, plaintext: bool = False) -> KeySource:
    """The demo keeps keys in memory; otherwise the keyring, as `foundry-tui profile set-key` does.

    `plaintext` keeps a key the user once chose to store in the plaintext file where they chose.
    """
    if not app.persist:
        return app.secrets.hold_in_memory(name, key)
    return app.secrets.set_api_key(name, key, insecure_plaintext_file=plaintext)


def find_key(app: FoundryApp, name: str) -> str | None:
    found = app.secrets.get_api_key(name)
    return found[0] if found else None


def move_key(app: FoundryApp, old_name: str, new_name: str) -> KeySource | None:
    """A renamed profile keeps its key; a key from the environment is not ours to move."""
    found = app.secrets.get_api_key(old_name)
    if found is None:
        return None
    key, source = found
    if source.where == "env":
        return source
    source = store_key(app, new_name, key, plaintext=source.where == "plaintext-file")
    if app.persist:
        app.secrets.delete_api_key(old_name)
    return source


class ScreenTitle(Static):
    DEFAULT_CSS = """
    ScreenTitle {
        width: 100%;
        padding: 0 1;
        background: $panel;
        color: $text;
        text-style: bold;
    }
    """


class FieldMessage(Static):
    """The line under a field: what the value resolves to, or what is wrong with it."""

    DEFAULT_CSS = """
    FieldMessage {
        color: $text-muted;
        padding: 0 1;
        &.-error {
            color: $text-error;
        }
    }
    """

    def note(self, text: str) -> None:
        self.show(Content(text), error=False)

    def error(self, error: ConfigError) -> None:
        self.show(problem_content(error), error=True)

    def show(self, content: Content, *, error: bool) -> None:
        """Checks run on every key press: only a change is worth a repaint."""
        if (content, error) != (self.content, self.has_class("-error")):
            self.set_class(error, "-error")
            self.update(content)
        self.display = bool(content)


class Report(Static):
    """What the last action did (a test, a save, a delete), until the next one: it stays readable,
    unlike a notification, because some of it (a key kept only in memory) matters later."""

    DEFAULT_CSS = """
    Report {
        height: auto;
        margin: 1 1 0 1;
        padding: 0 1;
        border: round $panel;
        display: none;
        &.-shown {
            display: block;
        }
    }
    """

    app: FoundryApp

    def show(self, *parts: Content | str | tuple[str, str]) -> None:
        self.update(Content.assemble(*parts))
        self.add_class("-shown")
        self.call_after_refresh(self.scroll_visible)

    def notice(self, text: str, *, warning: bool = False) -> None:
        self.show((text, "$text-warning" if warning else ""))

    def config_error(self, error: ConfigError) -> None:
        self.show(problem_content(error))

    def check_result(self, result: CheckResult) -> None:
        if result.error is None:
            timing = f"{duration(result.latency)} · first token {duration(result.ttft)}"
            ids = request_ids(result.request_id, result.apim_request_id)
            self.show(
                ("✓ ", "$text-success bold"),
                f"{terminal_line(result.deployment)} answered · {result.status} · {timing}\n",
                (ids or "no request ids in the response", "$foreground-muted"),
            )
            return
        no_ids = "" if result.error.ids() else "\nno request ids: the request did not reach Foundry"
        self.show(problem_content(result.error, context=result.deployment), (no_ids, "$foreground-muted"))

    async def check(self, profile: Profile, deployment: str, label: str) -> None:
        """Run the same check as `foundry-tui check` and show its outcome here."""
        self.show(("testing ", "$foreground-muted"), f"{label} › {deployment}", ("…", "$foreground-muted"))
        signs_in = profile.auth == "entra" and profile.entra.credential == "device-code"
        try:
            results = await self.app.run_check(profile, [deployment], timeout=SIGN_IN_TIMEOUT if signs_in else TEST_TIMEOUT)
        except ConfigError as error:
            self.config_error(error)
            return
        finally:
            self.app.close_device_code()
        self.check_result(results[0])



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
                yield Button("Cancel", id="cancel")
            yield Report(id="report")
        yield Footer()

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
            key = self.value("api-key")
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

    @work(group="save", exit_on_error=False)
    async def save(self) -> None:
        typed_key = self.value("api-key") if self.choice("auth") == "api-key" else ""
        try:
            profile = self.build_profile()
            self.write_config(profile)
        except ConfigError as error:
            self.query_one(Report).config_error(error)
            self.set_saving(False)
            return
        key_source: KeySource | None = None
        key_problem = None
        try:
            key_source = await asyncio.to_thread(self.keep_key, profile.name, typed_key)
        except ConfigError as error:  # the profile is saved; only its key is not where it should be
            key_problem = error.message
        app = self.app
        for name in {profile.name, self.original_name} - {None}:
            app.forget_client(name)
        if app.profile is None or app.profile.name == self.original_name:
            app.use_profile(profile, app.deployment if app.deployment in profile.deployments else None)
        self.dismiss(SavedProfile(profile.name, key_source, key_problem))

    def set_saving(self, saving: bool) -> None:
        self.saving = saving
        self.update_actions()

    def write_config(self, profile: Profile) -> None:
        """Put the profile in the config (in place of the original, so a rename keeps its position)
        and save it; on failure the config is left as it was."""
        config = self.app.config
        before = (config.profiles, config.default_profile)
        profiles = {}
        for name, value in config.profiles.items():
            if name == self.original_name:
                name, value = profile.name, profile
            profiles[name] = value
        profiles[profile.name] = profile
        config.profiles = profiles
        if config.default_profile in (None, self.original_name):
            config.default_profile = profile.name
        try:
            self.app.save_config()
        except ConfigError:
            config.profiles, config.default_profile = before
            raise

    def keep_key(self, name: str, typed_key: str) -> KeySource | None:
        """Store a typed key, or carry the stored one over a rename. Runs in a thread (keyring)."""
        if typed_key:
            plaintext = self.stored_key is not None and self.stored_key.where == "plaintext-file"
            return store_key(self.app, name, typed_key, plaintext=plaintext)
        if self.original_name and name != self.original_name:
            return move_key(self.app, self.original_name, name)
        found = self.app.secrets.get_api_key(name)  # kept as it was, or ANTHROPIC_FOUNDRY_API_KEY
        return found[1] if found else None


def key_outcome(saved: SavedProfile, profile: Profile, persist: bool) -> tuple[str, str]:
    """The line under "Saved": how the profile signs in, warning when its key will not last."""
    if saved.key_problem:
        return f"But the API key: {saved.key_problem}", "$text-warning"
    if profile.auth == "entra":
        return f"Signs in with {describe_auth(profile)}.", "$foreground-muted"
    if saved.key_source is None:
        return f"No API key stored yet: edit the profile to add one, or export {API_KEY_VAR}.", "$text-warning"
    if saved.key_source.where == "memory" and persist:
        command = f"foundry-tui profile set-key {saved.name} --insecure-plaintext-key-file"
        return f"API key: {saved.key_source.detail} ({command}).", "$text-warning"
    return f"API key: {saved.key_source.detail}", "$foreground-muted"


def radio_set(set_id: str, options: dict[str, str], chosen: str) -> RadioSet:
    """A one-line set of choices; each button's id is "<set id>-<option>"."""
    buttons = [RadioButton(label, value=key == chosen, id=f"{set_id}-{key}") for key, label in options.items()]
    return RadioSet(*buttons, id=set_id, compact=True)


def deployments_default_first(profile: Profile) -> list[str]:
    default = profile.deployment()
    return [default, *(name for name in profile.deployments if name != default)] if default else []


class ConfirmDelete(ModalScreen[bool]):
    """Deleting also removes the stored key, so it asks first; the safe answer has the focus."""

    BINDINGS = [
        Binding("y", "answer(True)", "Delete"),
        Binding("n,escape", "answer(False)", "Keep"),
    ]

    DEFAULT_CSS = """
    ConfirmDelete {
        align: center middle;
        #confirm-box {
            width: 64;
            max-width: 100%;
            height: auto;
            padding: 1 2;
            border: round $error;
            background: $surface;
        }
        #confirm-question {
            text-style: bold;
        }
        #confirm-detail {
            color: $text-muted;
            margin-bottom: 1;
        }
        #confirm-buttons {
            height: auto;
            & > Button {
                margin-right: 2;
            }
        }
    }
    """

    def __init__(self, profile_name: str, *, persist: bool) -> None:
        super().__init__()
        self.profile_name = profile_name
        self.persist = persist

    def compose(self) -> ComposeResult:
        detail = (
            "It leaves the config file, and its stored API key is deleted."
            if self.persist
            else "Demo mode: nothing on disk changes."
        )
        with Vertical(id="confirm-box"):
            yield Static(f"Delete the profile '{self.profile_name}'?", id="confirm-question", markup=False)
            yield Static(detail, id="confirm-detail")
            with Horizontal(id="confirm-buttons"):
                yield Button("Delete (y)", variant="error", id="yes")
                yield Button("Keep (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, delete: bool) -> None:
        self.dismiss(delete)


class ProfilesScreen(Screen[None]):
    """The profiles, which one is in use and which is the default; opens the form on a first run."""

    BINDINGS = [
        Binding("n", "new", "New"),
        Binding("e", "edit", "Edit"),
        Binding("d", "delete", "Delete"),
        Binding("s", "use", "Use"),
        Binding("m", "make_default", "Make default"),
        Binding("t", "test", "Test"),
        Binding("escape,f3", "close", "Close", key_display="esc"),
    ]

    DEFAULT_CSS = """
    ProfilesScreen {
        #where {
            padding: 0 1;
            color: $text-muted;
        }
        #profile-table {
            height: auto;
            max-height: 1fr;
            margin: 1 1 0 1;
        }
        #empty {
            margin: 1 2;
            color: $text-muted;
        }
        #legend {
            padding: 0 2;
            color: $text-muted;
        }
    }
    """

    app: FoundryApp

    def compose(self) -> ComposeResult:
        yield ScreenTitle("Profiles")
        where = f"saved in {config_file()}" if self.app.persist else "demo mode: changes stay in memory"
        yield Static(where, id="where", markup=False)
        yield DataTable(id="profile-table", cursor_type="row")
        yield Static("No profiles yet: press n to create one.", id="empty")
        yield Static("● in use   ★ default", id="legend")
        yield Report(id="report")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("", "Name", "Endpoint", "Auth", "Deployment")
        self.refresh_table()
        if self.app.profile is None and not self.app.config.profiles:
            self.action_new()
        elif self.app.profile is None:
            self.query_one(Report).notice(
                "No profile is in use: pick one with s, and make it the default with m.", warning=True
            )

    # -- the table -------------------------------------------------------------------------------

    def profiles(self) -> dict[str, Profile]:
        """The config's profiles, plus the one in use when it comes from elsewhere (the env profile)."""
        profiles = dict(self.app.config.profiles)
        active = self.app.profile
        if active is not None and active.name not in profiles:
            profiles[active.name] = active
        return profiles

    def refresh_table(self, select: str | None = None) -> None:
        table = self.query_one(DataTable)
        current = select or self.highlighted_name()
        table.clear()
        active = self.app.profile.name if self.app.profile else None
        colors = self.app.theme_variables  # DataTable cells are Rich text: no $variables there
        for name, profile in self.profiles().items():
            marks = Text.assemble(
                ("●", colors["text-success"]) if name == active else " ",
                ("★", colors["text-warning"]) if name == self.app.config.default_profile else " ",
            )
            deployment = self.app.deployment if name == active else profile.deployment()
            table.add_row(
                marks,
                Text(name, style="bold" if name == active else ""),
                Text(profile.endpoint_url()),
                Text(describe_auth(profile)),
                Text(deployment or "none"),
                key=name,
            )
        names = list(self.profiles())
        if current in names:
            table.move_cursor(row=names.index(current))
        empty = not names
        table.display = not empty
        self.query_one("#empty").display = empty
        self.query_one("#legend").display = not empty
        self.refresh_bindings()

    def highlighted_name(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def highlighted(self) -> Profile | None:
        name = self.highlighted_name()
        return self.profiles().get(name) if name else None

    def editable(self) -> Profile | None:
        """The highlighted profile if it lives in the config (the env profile lives in the shell)."""
        profile = self.highlighted()
        if profile is not None and profile.name not in self.app.config.profiles:
            self.query_one(Report).notice(
                f"'{profile.name}' comes from the ANTHROPIC_FOUNDRY_* environment variables: "
                "change them in your shell.",
                warning=True,
            )
            return None
        return profile

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "delete", "use", "make_default", "test"):
            return self.query_one(DataTable).row_count > 0 or None
        return True

    # -- actions ---------------------------------------------------------------------------------

    def action_new(self) -> None:
        self.app.push_screen(ProfileForm(), self.form_closed)

    @on(DataTable.RowSelected)
    def action_edit(self) -> None:
        profile = self.editable()
        if profile is not None:
            self.app.push_screen(ProfileForm(profile), self.form_closed)

    def form_closed(self, saved: SavedProfile | None) -> None:
        if saved is None:
            return
        self.refresh_table(select=saved.name)
        app = self.app
        in_use = app.profile is not None and app.profile.name == saved.name
        is_default = app.config.default_profile == saved.name
        roles = " and ".join(role for role, holds in (("in use", in_use), ("the default", is_default)) if holds)
        headline = f"Saved '{saved.name}'" + (f", now {roles}" if roles else "") + ".\n"
        profile = app.config.profiles[saved.name]
        self.query_one(Report).show(("✓ ", "$text-success bold"), headline, key_outcome(saved, profile, app.persist))
        self.query_one(DataTable).focus()

    def action_delete(self) -> None:
        profile = self.editable()
        if profile is None:
            return
        app = self.app
        if app.profile is not None and app.profile.name == profile.name and len(app.config.profiles) == 1:
            self.query_one(Report).notice(
                f"'{profile.name}' is the only profile and it is in use: create another (n) before deleting it.",
                warning=True,
            )
            return
        app.push_screen(ConfirmDelete(profile.name, persist=app.persist), partial(self.delete_answered, profile.name))

    def delete_answered(self, name: str, delete: bool | None) -> None:
        if delete:
            self.delete_profile(name)

    @work(exclusive=True, group="delete", exit_on_error=False)
    async def delete_profile(self, name: str) -> None:
        """The default passes to the profile in use (else the first); use passes to the default."""
        app, config, report = self.app, self.app.config, self.query_one(Report)
        before = (dict(config.profiles), config.default_profile)
        del config.profiles[name]
        in_use = app.profile.name if app.profile is not None and app.profile.name in config.profiles else None
        if config.default_profile == name:
            config.default_profile = in_use or next(iter(config.profiles), None)
        try:
            app.save_config()
        except ConfigError as error:
            config.profiles, config.default_profile = before
            report.config_error(error)
            return
        app.forget_client(name)
        lines: list[str | tuple[str, str]] = [f"Deleted '{name}'."]
        if app.profile is not None and app.profile.name == name:  # never the last one: action_delete refuses
            successor = config.profiles.get(config.default_profile or "") or next(iter(config.profiles.values()))
            app.use_profile(successor)
            lines.append(f" Now using '{successor.name}'.")
        if before[1] == name and config.default_profile:
            lines.append(f" '{config.default_profile}' is now the default.")
        self.refresh_table()
        try:
            if app.persist:
                await asyncio.to_thread(app.secrets.delete_api_key, name)
        except ConfigError as error:
            lines.append(("\nBut " + error.message, "$text-warning"))
        report.show(*lines)

    def action_use(self) -> None:
        profile = self.highlighted()
        if profile is None:
            return
        self.app.use_profile(profile)
        self.refresh_table()
        self.query_one(Report).notice(f"Now using '{profile.name}' › {self.app.deployment or 'no deployment'}.")

    def action_make_default(self) -> None:
        profile = self.highlighted()
        if profile is None:
            return
        config = self.app.config
        before = config.default_profile
        config.default_profile = profile.name
        try:
            self.app.save_config()
        except ConfigError as error:
            config.default_profile = before
            self.query_one(Report).config_error(error)
            return
        self.refresh_table()
        self.query_one(Report).notice(f"'{profile.name}' is now the default: foundry-tui starts with it.")

    def action_test(self) -> None:
        profile = self.highlighted()
        if profile is not None:
            self.test_profile(profile)

    @work(exclusive=True, group="test", exit_on_error=False)
    async def test_profile(self, profile: Profile) -> None:
        app = self.app
        deployment = app.deployment if profile is app.profile else profile.deployment()
        report = self.query_one(Report)
        if not deployment:
            report.config_error(ConfigError(f"'{profile.name}' has no deployment", hint="edit it (e) and add one"))
            return
        await report.check(profile, deployment, profile.name)

    def action_close(self) -> None:
        self.dismiss()
