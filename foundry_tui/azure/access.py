"""Which Resource Manager to ask, with which credential, for which resource name."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from foundry_tui.config.profile import DEFAULT_ARM_ENDPOINT, ConfigError, Profile, validate_arm_endpoint
from foundry_tui.service.auth import DeviceCodePrompt, TokenCredential, make_credential

ARM_ENDPOINT_VARIABLE = "FOUNDRY_TUI_ARM_ENDPOINT"
_RESOURCE_HOST_SUFFIXES = (".services.ai.azure.com", ".cognitiveservices.azure.com", ".openai.azure.com")


@dataclass(frozen=True)
class ArmAccess:
    """Resource Manager's root URL, the credential to call it with, and how that credential was chosen."""

    endpoint: str
    credential: TokenCredential
    credential_note: str

    @property
    def scope(self) -> str:
        """Resource Manager's token scope: https://management.azure.com/.default for the public cloud."""
        return f"{self.endpoint}/.default"

    @property
    def over_plain_http(self) -> bool:
        """True only for a loopback endpoint (validated): azure-core must be told to send a token over http."""
        return self.endpoint.startswith("http://")


class StaticToken:
    """A fixed bearer token (the demo's emulator key): a `TokenCredential` that never signs in."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, int(time.time()) + 3600)


def arm_endpoint(profile: Profile, environ: Mapping[str, str] = os.environ) -> str:
    """FOUNDRY_TUI_ARM_ENDPOINT, else the profile's [azure] endpoint, else the public cloud's."""
    if value := environ.get(ARM_ENDPOINT_VARIABLE, "").strip():
        try:
            return validate_arm_endpoint(value)
        except ConfigError as error:
            raise error.within(ARM_ENDPOINT_VARIABLE) from None
    return validate_arm_endpoint(profile.azure.endpoint or DEFAULT_ARM_ENDPOINT)


def arm_access(
    profile: Profile,
    environ: Mapping[str, str] = os.environ,
    *,
    on_device_code: Callable[[DeviceCodePrompt], None] | None = None,
    emulator_key: str | None = None,
) -> ArmAccess:
    """Entra profiles use their own credential; an API key cannot read Resource Manager, so
    API-key profiles borrow the Azure CLI / default credential chain (and say so).

    `emulator_key`: the profile's API key, sent as the token only to a loopback Resource Manager
    (the emulator takes its key as a token; the real one is never on loopback).
    """
    endpoint = arm_endpoint(profile, environ)
    if emulator_key and profile.auth == "api-key" and endpoint.startswith("http://"):
        return ArmAccess(endpoint, StaticToken(emulator_key), "the profile's API key (a loopback emulator)")
    if profile.auth == "entra":
        credential = make_credential(profile.entra.credential, tenant_id=profile.entra.tenant_id, on_device_code=on_device_code)
        return ArmAccess(endpoint, credential, f"the profile's Entra credential ({profile.entra.credential})")
    note = "the Azure CLI / default credential chain, as an API key cannot read Resource Manager"
    return ArmAccess(endpoint, make_credential("default"), note)


def resource_name(profile: Profile) -> str:
    """The account to look for: [azure] resource, else the profile's resource, else its base URL's host."""
    if profile.azure.resource:
        return profile.azure.resource
    if profile.resource:
        return profile.resource
    host = urlsplit(profile.endpoint_url()).hostname or ""
    for suffix in _RESOURCE_HOST_SUFFIXES:
        if host.endswith(suffix):
            return host.removesuffix(suffix)
    raise ConfigError(
        f"cannot tell the Azure resource name from the base URL host {host!r}",
        hint=f"set resource = \"NAME\" under [profiles.{profile.name}.azure] in the config file",
    )
