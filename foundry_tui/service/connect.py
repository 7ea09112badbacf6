"""Build a `FoundryClient` from a profile: resolve its key or Entra credential."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from foundry_tui.config.profile import ConfigError, Profile
from foundry_tui.config.secrets import Secrets
from foundry_tui.service.auth import ApiKeyAuth, Auth, DeviceCodePrompt, EntraAuth, make_credential
from foundry_tui.service.client import FoundryClient
from foundry_tui.service.retry import RetryPolicy


def auth_for_profile(
    profile: Profile,
    secrets: Secrets,
    *,
    on_device_code: Callable[[DeviceCodePrompt], None] | None = None,
) -> Auth:
    if profile.auth == "entra":
        credential = make_credential(
            profile.entra.credential,
            tenant_id=profile.entra.tenant_id,
            on_device_code=on_device_code,
            loop=_running_loop(),
            profile_name=profile.name,
            allow_unencrypted_cache=profile.entra.unencrypted_token_cache,
        )
        return EntraAuth(credential, profile.entra.scope, tenant_id=profile.entra.tenant_id)
    found = secrets.get_api_key(profile.name)
    if found is None:
        raise ConfigError(
            f"no API key for profile '{profile.name}'",
            hint=f"save one with `foundry-tui profile set-key {profile.name}`, or export ANTHROPIC_FOUNDRY_API_KEY",
        )
    return ApiKeyAuth(found[0])


def client_for_profile(
    profile: Profile,
    secrets: Secrets,
    *,
    retry: RetryPolicy | None = None,
    idle_timeout: float | None = None,
    on_device_code: Callable[[DeviceCodePrompt], None] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FoundryClient:
    """`idle_timeout`: seconds without content before a turn fails (None: the profile's); `transport`
    replaces the network (tests and benchmarks feed recorded bytes through it)."""
    auth = auth_for_profile(profile, secrets, on_device_code=on_device_code)
    return FoundryClient(profile.endpoint_url(), auth, retry=retry, idle_timeout=idle_timeout or profile.idle_timeout, transport=transport)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
