"""Profiles: one Foundry endpoint, how to authenticate to it and which deployments to offer.

Validation lives here so the config file, the environment and command-line flags all get the
same rules and the same one-line messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from urllib.parse import urlsplit

from foundry_tui.problem import Problem

DEFAULT_SCOPE = "https://cognitiveservices.azure.com/.default"
DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
GUIDE_DEPLOYMENTS = ("claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1")
AUTH_METHODS = ("api-key", "entra")
ENTRA_CREDENTIALS = ("default", "azure-cli", "device-code")
ENV_PROFILE_NAME = "env"
FOUNDRY_HOST_SUFFIX = ".services.ai.azure.com"

_PROFILE_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_RESOURCE_CHARS = re.compile(r"[A-Za-z0-9-]+")
_USERINFO = re.compile(r"^([^/?#]*://)?[^/?#]*@")
_LOOPBACK_IPV4 = re.compile(r"127(\.\d{1,3}){3}")
_RESOURCE_HINT = (
    "the resource name is the first part of the host, e.g. 'my-resource' in https://my-resource.services.ai.azure.com"
)


class ConfigError(Problem):
    """A mistake the user can fix: shown as one line (plus an optional hint), never as a traceback."""

    def within(self, context: str) -> ConfigError:
        """The same error, prefixed with where it was found (a file, a profile, a variable)."""
        return ConfigError(f"{context}: {self.message}", self.hint)


@dataclass
class EntraOptions:
    credential: str = "default"
    tenant_id: str | None = None
    scope: str = DEFAULT_SCOPE
    # The user's consent to keep a device-code sign-in in a plain 0600 file where there is no secret store.
    unencrypted_token_cache: bool = False


@dataclass
class AzureOptions:
    """Where the resource lives in Azure Resource Manager, for deployment discovery.

    `subscription` and `resource_group` are pinned after the first discovery; `resource` names
    the ARM account when the base URL's host does not; `endpoint` overrides Resource Manager.
    """

    subscription: str | None = None
    resource_group: str | None = None
    resource: str | None = None
    endpoint: str | None = None


@dataclass
class RequestDefaults:
    max_tokens: int = 4096
    temperature: float | None = None
    system: str | None = None
    prompt_caching: bool = True  # mark cache breakpoints in every request (session/caching.py)


@dataclass
class Price:
    """USD per million tokens, for deployments whose price the built-in table does not know."""

    input: float
    output: float
    cache_write: float | None = None
    cache_read: float | None = None


DEFAULT_IDLE_TIMEOUT = 120.0  # seconds without content (pings do not count) before a turn fails
MAX_IDLE_TIMEOUT = 3600.0


@dataclass
class Profile:
    name: str
    resource: str | None = None
    base_url: str | None = None
    auth: str = "api-key"
    entra: EntraOptions = field(default_factory=EntraOptions)
    azure: AzureOptions = field(default_factory=AzureOptions)
    deployments: list[str] = field(default_factory=list)
    default_deployment: str | None = None
    defaults: RequestDefaults = field(default_factory=RequestDefaults)
    prices: dict[str, Price] = field(default_factory=dict)
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT

    def endpoint_url(self) -> str:
        """The Anthropic API root of this endpoint (ends in "/"): Foundry's "/anthropic/", or a gateway's path."""
        resource, base_url = resolve_endpoint(self.resource, self.base_url)
        return base_url or f"https://{resource}{FOUNDRY_HOST_SUFFIX}/anthropic/"

    def endpoint_host(self) -> str:
        """host[:port] of the endpoint, for display."""
        return urlsplit(self.endpoint_url()).netloc

    def deployment(self) -> str | None:
        if self.default_deployment:
            return self.default_deployment
        return self.deployments[0] if self.deployments else None

    def validate(self) -> None:
        """Raise ConfigError naming the offending key (as spelled in the config file)."""
        if self.name != ENV_PROFILE_NAME:
            validate_profile_name(self.name)
        resolve_endpoint(self.resource, self.base_url)
        if self.auth not in AUTH_METHODS:
            raise ConfigError(f"auth must be {_choices(AUTH_METHODS)}")
        if self.entra.credential not in ENTRA_CREDENTIALS:
            raise ConfigError(f"entra.credential must be {_choices(ENTRA_CREDENTIALS)}")
        if self.defaults.max_tokens < 1:
            raise ConfigError("defaults.max_tokens must be at least 1")
        if self.defaults.temperature is not None and not 0 <= self.defaults.temperature <= 1:
            raise ConfigError("defaults.temperature must be between 0 and 1")
        if self.azure.endpoint is not None:
            validate_arm_endpoint(self.azure.endpoint)
        self._validate_deployments()
        self._validate_prices()

    def _validate_deployments(self) -> None:
        named = list(self.deployments)
        if self.default_deployment is not None:
            named.append(self.default_deployment)
        for deployment in named:
            if not deployment or any(char.isspace() for char in deployment):
                raise ConfigError(f"deployment name {deployment!r} must be non-empty and without spaces")
        if self.deployments and self.default_deployment is not None and self.default_deployment not in self.deployments:
            raise ConfigError(
                f"default_deployment {self.default_deployment!r} is not in deployments ({', '.join(self.deployments)})"
            )

    def _validate_prices(self) -> None:
        for deployment, price in self.prices.items():
            for kind in fields(Price):
                value = getattr(price, kind.name)
                if value is not None and value < 0:
                    raise ConfigError(f"prices.{deployment}.{kind.name} must not be negative")


def validate_profile_name(name: str) -> str:
    """Check a name the user picked; "env" is taken by the profile built from environment variables."""
    if not _PROFILE_NAME.fullmatch(name):
        raise ConfigError(f"invalid profile name {name!r}: use 1 to 64 letters, digits, '-', '_' or '.'")
    if name == ENV_PROFILE_NAME:
        raise ConfigError(
            f"the profile name {ENV_PROFILE_NAME!r} is reserved for the profile built from environment variables",
            hint="pick another name",
        )
    return name


def validate_resource(name: str) -> str:
    """Check an Azure resource name (the first label of <resource>.services.ai.azure.com)."""
    name = name.strip()
    if "://" in name or "." in name or "/" in name:
        raise ConfigError(
            f"{name!r} looks like a URL: use it as the base URL instead of the resource name", hint=_RESOURCE_HINT
        )
    if not 2 <= len(name) <= 64:
        raise ConfigError(f"resource name {name!r} must be 2 to 64 characters long (it is {len(name)})")
    if not _RESOURCE_CHARS.fullmatch(name):
        raise ConfigError(f"resource name {name!r} may contain only letters, digits and hyphens")
    if name.startswith("-") or name.endswith("-"):
        raise ConfigError(f"resource name {name!r} cannot start or end with a hyphen")
    return name


def without_credentials(url: str) -> str:
    """`url` with any user name and password shown as `***`: what a message may echo of a URL."""
    return _USERINFO.sub(r"\1***@", url)


def normalize_base_url(url: str) -> str:
    """Turn what people paste (with or without "v1/messages", a trailing slash) into the API root.

    Like the SDK's `base_url`, the path is kept as given (an API gateway serves Claude on its own
    path); only a Foundry host (*.services.ai.azure.com) gets the "/anthropic" it needs added.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ConfigError("the base URL is not a valid URL") from None
    if "@" in parts.netloc:  # before any message that would echo the URL, and with it a password
        raise ConfigError(
            "the base URL must not contain a user name or password (user:pass@)",
            hint="remove them from the URL; the API key goes in the keyring: foundry-tui profile set-key NAME",
        )
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ConfigError(f"base URL {url!r} must start with https://")
    if not parts.hostname:
        raise ConfigError(f"base URL {url!r} has no host")
    if parts.query or parts.fragment:
        raise ConfigError(f"base URL {url!r} must not have a query or fragment")
    if scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"base URL {url!r} must use https://", hint="plain http:// is allowed only for localhost (the emulator)"
        )
    path = parts.path.rstrip("/").removesuffix("/v1/messages")
    if parts.hostname.lower().endswith(FOUNDRY_HOST_SUFFIX) and not path.endswith("/anthropic"):
        path += "/anthropic"  # Foundry serves Claude there; a gateway's own path is used as given
    return f"{scheme}://{parts.netloc}{path}/"


def validate_arm_endpoint(url: str) -> str:
    """An Azure Resource Manager root such as https://management.usgovcloudapi.net, without a trailing slash."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"Resource Manager endpoint {without_credentials(url)!r} must be a URL like {DEFAULT_ARM_ENDPOINT}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"Resource Manager endpoint {without_credentials(url)!r} must use https://",
            hint="plain http:// is allowed only for localhost (the emulator)",
        )
    return url


def resolve_endpoint(resource: str | None, base_url: str | None) -> tuple[str | None, str | None]:
    """Exactly one of the two must be set; return it validated (the base URL normalised)."""
    if resource is not None and base_url is not None:
        raise ConfigError(
            f"set either a resource name or a base URL, not both (resource {resource!r}, base URL {without_credentials(base_url)!r})"
        )
    if resource is not None:
        return validate_resource(resource), None
    if base_url is not None:
        return None, normalize_base_url(base_url)
    raise ConfigError("no endpoint: set a resource name or a base URL", hint=_RESOURCE_HINT)


def _is_loopback(host: str) -> bool:
    return host == "localhost" or host == "::1" or bool(_LOOPBACK_IPV4.fullmatch(host))


def _choices(options: tuple[str, ...]) -> str:
    quoted = [f"'{option}'" for option in options]
    return f"{', '.join(quoted[:-1])} or {quoted[-1]}"
