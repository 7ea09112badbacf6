"""The config file (config_dir()/config.toml), meant to be edited by hand as well as by the app.

    default_profile = "work"              # optional; "env" means the environment variables
    theme = "foundry-azure"               # optional
    usage_days = 30                       # optional; days the usage log keeps its rows

    [profiles.work]
    resource = "my-resource"              # or base_url = "https://…/anthropic/" (not both)
    auth = "api-key"                      # or "entra"
    deployments = ["claude-sonnet-4-5", "claude-haiku-4-5"]
    default_deployment = "claude-sonnet-4-5"
    idle_timeout = 120                    # seconds without content before a turn fails (ask --timeout
                                          # bounds a whole turn; this bounds each silence in it)

    [profiles.work.entra]                 # used when auth = "entra"
    credential = "default"                # default | azure-cli | device-code
    tenant_id = "…"
    scope = "https://cognitiveservices.azure.com/.default"
    unencrypted_token_cache = false       # true: keep a device-code sign-in in a 0600 file when there is no secret store

    [profiles.work.azure]                 # Resource Manager, for `foundry-tui deployments` (all optional)
    subscription = "…"                    # pinned after the first discovery, with resource_group
    resource_group = "…"
    resource = "my-resource"              # the account name, when the base URL's host does not say it
    endpoint = "https://management.azure.com"  # or a sovereign cloud's; FOUNDRY_TUI_ARM_ENDPOINT wins

    [profiles.work.defaults]              # request defaults
    max_tokens = 4096
    temperature = 0.7                     # 0 to 1
    system = "…"
    prompt_caching = false                # default true: cache the conversation (cheaper long chats)

    [profiles.work.prices.my-deployment]  # USD per million tokens, for deployments with custom names
    input = 3.0
    output = 15.0
    cache_write = 3.75                    # optional
    cache_read = 0.3                      # optional

API keys never go in this file (see secrets.py). Keys this version does not know are ignored, so
a newer config still loads, and every save (config/book.py) keeps them, with comments and key order.
Values equal to their defaults are not written.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from .env import env_profile, with_endpoint
from .paths import config_file, make_private_dirs
from .profile import (
    ENV_PROFILE_NAME,
    MAX_IDLE_TIMEOUT,
    AzureOptions,
    ConfigError,
    EntraOptions,
    Price,
    Profile,
    RequestDefaults,
    validate_profile_name,
)

DEFAULT_USAGE_DAYS = 30
_NO_PROFILE_HINT = "run `foundry-tui` to set one up, or export ANTHROPIC_FOUNDRY_API_KEY and ANTHROPIC_FOUNDRY_RESOURCE"
_TOML_POSITION = re.compile(r"(?P<what>.*) \(at line (?P<line>\d+), column \d+\)")

# What each known key must hold; anything else in a table is ignored.
_KINDS: dict[str, Callable[[Any], bool]] = {
    "a string": lambda value: isinstance(value, str),
    "an integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "a number": lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    "a list of strings": lambda value: isinstance(value, list) and all(isinstance(item, str) for item in value),
    "a table": lambda value: isinstance(value, dict),
    "a boolean": lambda value: isinstance(value, bool),
}
_PROFILE_KEYS = {
    "resource": "a string",
    "base_url": "a string",
    "auth": "a string",
    "deployments": "a list of strings",
    "default_deployment": "a string",
    "idle_timeout": "a number",
}
_ENTRA_KEYS = {
    "credential": "a string",
    "tenant_id": "a string",
    "scope": "a string",
    "unencrypted_token_cache": "a boolean",
}
_AZURE_KEYS = {"subscription": "a string", "resource_group": "a string", "resource": "a string", "endpoint": "a string"}
_DEFAULTS_KEYS = {
    "max_tokens": "an integer",
    "temperature": "a number",
    "system": "a string",
    "prompt_caching": "a boolean",
}
_PRICE_KEYS = {"input": "a number", "output": "a number", "cache_write": "a number", "cache_read": "a number"}


@dataclass
class Config:
    profiles: dict[str, Profile] = field(default_factory=dict)  # keyed by profile name
    default_profile: str | None = None
    theme: str | None = None
    usage_days: int = DEFAULT_USAGE_DAYS

    def select(self, name: str | None = None, environ: Mapping[str, str] = os.environ) -> Profile:
        """The profile to use: the one named, else default_profile, else the env profile, else the only one."""
        if name is not None:
            return self._named(name, environ, "unknown profile")
        if self.default_profile is not None:
            return self._named(self.default_profile, environ, "default_profile names an unknown profile")
        profile = env_profile(environ)
        if profile is not None:
            return profile
        if len(self.profiles) == 1:
            return next(iter(self.profiles.values()))
        if not self.profiles:
            raise ConfigError("no profile configured", hint=_NO_PROFILE_HINT)
        raise ConfigError(
            f"several profiles and no default_profile (known: {self._known()})",
            hint="pick one with --profile or set default_profile in the config file",
        )

    def _named(self, name: str, environ: Mapping[str, str], unknown: str) -> Profile:
        if name == ENV_PROFILE_NAME:
            profile = env_profile(environ)
            if profile is None:
                raise ConfigError(
                    "the env profile needs ANTHROPIC_FOUNDRY_API_KEY and ANTHROPIC_FOUNDRY_RESOURCE "
                    "(or ANTHROPIC_FOUNDRY_BASE_URL)"
                )
            return profile
        if name not in self.profiles:
            raise ConfigError(f"{unknown} {name!r} (known: {self._known()})")
        return self.profiles[name]

    def _known(self) -> str:
        return ", ".join(sorted(self.profiles)) or "none"


def load_config(path: Path | None = None) -> Config:
    """Read the config file; a missing file is an empty config, a broken one a one-line ConfigError."""
    path = path or config_file()
    data = read_toml(path)
    return Config() if data is None else config_from_toml(data, path)


MAX_FILE_BYTES = 1024 * 1024  # config and theme files are a few KB; /dev/zero must not fill the memory


def read_text(path: Path) -> str | None:
    """A small text file's content, or None if it does not exist; refuses anything over MAX_FILE_BYTES.

    The read itself is bounded (not a stat), so a symlink to /dev/zero or a FIFO cannot take the memory.
    """
    try:
        with path.open("rb") as stream:
            payload = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    if len(payload) > MAX_FILE_BYTES:
        raise ConfigError(
            f"{path}: larger than {MAX_FILE_BYTES // 1024 // 1024} MiB, so not read",
            hint="is it the right file? Config and theme files are a few KB",
        )
    try:
        return payload.decode()
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None


def read_toml(path: Path) -> dict[str, Any] | None:
    """The parsed file, or None if it does not exist; errors as "<path>:<line>: <what>"."""
    text = read_text(path)
    return None if text is None else parse_toml(text, path)


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        position = _TOML_POSITION.fullmatch(str(error))
        if position is None:
            raise ConfigError(f"{path}: {error}") from None
        raise ConfigError(f"{path}:{position['line']}: {position['what']}") from None


def config_from_toml(data: Mapping[str, Any], path: Path | None = None) -> Config:
    """The Config a parsed file describes; errors name the file (if given), the profile and the key."""
    try:
        return _config_from_toml(data)
    except ConfigError as error:
        raise (error.within(str(path)) if path is not None else error) from None


def write_toml(path: Path, data: Mapping[str, Any], *, header: str = "") -> None:
    """Replace `path` atomically with `data` as TOML (see write_text)."""
    import tomlkit  # only writers pay for it

    write_text(path, header + tomlkit.dumps(data))


def write_text(path: Path, text: str) -> None:
    """Replace `path` atomically, readable by its owner only from the first byte.

    The temp file is created 0600 in the same directory (never chmod-ed afterwards, so never briefly
    world-readable), synced, then renamed over the old file: a crash or a full disk leaves the old
    file as it was.
    """
    import tempfile  # only writers pay for it

    try:
        make_private_dirs(path.parent)
        descriptor, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(text.encode())
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temp_name, path)
        except BaseException:
            os.unlink(temp_name)
            raise
    except OSError as error:
        raise ConfigError(f"{path}: cannot write: {error.strerror or error}") from None


def _config_from_toml(data: Mapping[str, Any]) -> Config:
    top = _known(
        data, {"default_profile": "a string", "theme": "a string", "usage_days": "an integer", "profiles": "a table"}
    )
    if top.get("usage_days", DEFAULT_USAGE_DAYS) < 1:
        raise ConfigError("usage_days must be at least 1")
    profiles = {}
    for name, table in top.pop("profiles", {}).items():
        try:
            validate_profile_name(name)
            if not isinstance(table, dict):
                raise ConfigError("must be a table")
            profiles[name] = _profile_from_toml(name, table)
        except ConfigError as error:
            raise error.within(f"profile {name!r}") from None
    return Config(profiles=profiles, **top)


def _profile_from_toml(name: str, table: Mapping[str, Any]) -> Profile:
    sections = _known(table, {"entra": "a table", "azure": "a table", "defaults": "a table", "prices": "a table"})
    prices = {}
    for deployment, price in sections.get("prices", {}).items():
        where = f"prices.{deployment}"
        if not isinstance(price, dict):
            raise ConfigError(f"{where} must be a table")
        values = _known(price, _PRICE_KEYS, where)
        if "input" not in values or "output" not in values:
            raise ConfigError(f"{where} needs both input and output")
        prices[deployment] = Price(**values)
    profile = Profile(
        name=name,
        entra=EntraOptions(**_known(sections.get("entra", {}), _ENTRA_KEYS, "entra")),
        azure=AzureOptions(**_known(sections.get("azure", {}), _AZURE_KEYS, "azure")),
        defaults=RequestDefaults(**_known(sections.get("defaults", {}), _DEFAULTS_KEYS, "defaults")),
        prices=prices,
        **_known(table, _PROFILE_KEYS),
    )
    if not 0 < profile.idle_timeout <= MAX_IDLE_TIMEOUT:
        raise ConfigError(f"idle_timeout must be above 0 and at most {MAX_IDLE_TIMEOUT:g} seconds")
    return with_endpoint(profile)  # validated, base URL normalised


def _known(table: Mapping[str, Any], kinds: Mapping[str, str], where: str = "") -> dict[str, Any]:
    """The keys of `table` listed in `kinds`, type-checked; numbers become floats."""
    values = {}
    for key, kind in kinds.items():
        if key not in table:
            continue
        value = table[key]
        if not _KINDS[kind](value):
            raise ConfigError(f"{where + '.' if where else ''}{key} must be {kind}")
        values[key] = float(value) if kind == "a number" else value
    return values


def config_to_toml(config: Config) -> dict[str, Any]:
    """The file that describes `config`, leaving out what equals its default."""
    data: dict[str, Any] = tidy(config)
    for table in data.get("profiles", {}).values():
        del table["name"]  # the table's key already says it
    return data


def profile_to_toml(profile: Profile) -> dict[str, Any]:
    """A profile's table, as config_to_toml writes it."""
    data: dict[str, Any] = tidy(profile)
    del data["name"]
    return data


def tidy(value: Any) -> Any:
    """A dataclass as TOML data, leaving out None and values equal to their defaults."""
    if isinstance(value, dict):
        return {key: tidy(item) for key, item in value.items()}
    if not is_dataclass(value):
        return value
    data = {}
    for spec in fields(value):
        item = getattr(value, spec.name)
        default = spec.default_factory() if spec.default_factory is not MISSING else spec.default
        if item is not None and item != default:
            data[spec.name] = tidy(item)
    return data
