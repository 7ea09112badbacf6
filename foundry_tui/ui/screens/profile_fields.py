"""What the profile form is made of: its choices, field checks and the widgets only it uses.

The checks use the same rules and messages as the config file and the CLI (config/profile.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from textual.content import Content
from textual.widgets import RadioButton, RadioSet, Static

from foundry_tui.config.env import API_KEY_VAR, GUIDE_DEFAULT_DEPLOYMENT
from foundry_tui.config.profile import (
    FOUNDRY_HOST_SUFFIX as AZURE_HOST_SUFFIX,
)
from foundry_tui.config.profile import (
    GUIDE_DEPLOYMENTS,
    ConfigError,
    Profile,
    validate_resource,
)
from foundry_tui.config.secrets import KeyringStatus
from foundry_tui.ui.widgets.problem import problem_content

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


# Where a key typed in the form is kept when there is no keyring: the user picks, as `gh` asks.
KEY_STORAGE_LABELS = {"session": "This session only", "file": "A file only you can read (unencrypted)"}


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
        f"⚠ {reason[0].upper()}{reason[1:]}: keep a key saved here for this session only, or "
        f"UNENCRYPTED in a file only you can read. Or export {API_KEY_VAR}.",
        True,
    )


def radio_set(set_id: str, options: dict[str, str], chosen: str) -> RadioSet:
    """A one-line set of choices; each button's id is "<set id>-<option>"."""
    buttons = [RadioButton(label, value=key == chosen, id=f"{set_id}-{key}") for key, label in options.items()]
    return RadioSet(*buttons, id=set_id, compact=True)


def deployments_default_first(profile: Profile) -> list[str]:
    default = profile.deployment()
    return [default, *(name for name in profile.deployments if name != default)] if default else []




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
