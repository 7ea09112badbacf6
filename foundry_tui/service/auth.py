"""Request authentication: an Azure API key, or a Microsoft Entra ID token from azure-identity.

azure-identity's sync credentials run in a worker thread (its async ones would need aiohttp), and
tokens are cached here until five minutes before they expire, so a long chat calls the credential
about once an hour. `invalidate()` drops the token after a 401 so the retry fetches a fresh one.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol, TypeVar

from foundry_tui.service.errors import CredentialError

REFRESH_MARGIN = 300.0  # seconds before expiry at which a cached token counts as stale
T = TypeVar("T")


class Auth(Protocol):
    description: str
    can_refresh: bool

    async def headers(self) -> dict[str, str]: ...

    def invalidate(self) -> None: ...


class ApiKeyAuth:
    """Sends the key in both `api-key` and `x-api-key`: one SDK release sent only one and got 401."""

    can_refresh = False
    description = "api-key"

    def __init__(self, key: str) -> None:
        self._headers = {"api-key": key, "x-api-key": key}

    async def headers(self) -> dict[str, str]:
        return self._headers

    def invalidate(self) -> None:
        """A key cannot be refreshed; a 401 is final."""

    def __repr__(self) -> str:
        return "ApiKeyAuth(key=***)"


@dataclass(frozen=True, slots=True)
class DeviceCodePrompt:
    """What the user must do to finish a device-code sign-in (shown by the CLI or the app)."""

    verification_uri: str
    user_code: str
    expires_on: datetime

    def seconds_left(self) -> float:
        return (self.expires_on - datetime.now(UTC)).total_seconds()


class TokenCredential(Protocol):
    """The part of azure-identity's credential interface we use."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


class EntraAuth:
    """Bearer tokens from an azure-identity credential, fetched in a thread and cached."""

    can_refresh = True

    def __init__(
        self,
        credential: TokenCredential,
        scope: str,
        *,
        tenant_id: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._credential = credential
        self._scope = scope
        self._tenant_id = tenant_id
        self._clock = clock
        self._token: str | None = None
        self._expires_on = 0.0
        self._lock = asyncio.Lock()
        self.description = f"entra ({type(credential).__name__})"

    async def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {await self.token()}"}

    async def token(self) -> str:
        async with self._lock:  # concurrent requests share one fetch
            if self._token is None or self._clock() >= self._expires_on - REFRESH_MARGIN:
                await self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        self._token = None

    async def _fetch(self) -> None:
        kwargs = {"tenant_id": self._tenant_id} if self._tenant_id else {}
        try:
            access = await in_daemon_thread(partial(self._credential.get_token, self._scope, **kwargs))
        except Exception as exc:  # azure-identity raises many types; all mean "no token"
            raise credential_error(exc) from None
        self._token = access.token
        self._expires_on = float(access.expires_on)
        self.description = f"entra ({answering_credential(self._credential)})"

    def __repr__(self) -> str:
        return f"EntraAuth(scope={self._scope!r})"


async def in_daemon_thread(call: Callable[[], T]) -> T:
    """`call()` in a daemon thread. Unlike `asyncio.to_thread`, nothing waits for it at exit: a
    device-code sign-in blocks its thread until the user signs in, and quitting the app must not.
    Cancelling the await abandons the thread; its result is then dropped."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def run() -> None:
        try:
            result = call()
        except BaseException as exc:  # handed to the awaiting task, which decides
            report = partial(settle, partial(future.set_exception, exc))
        else:
            report = partial(settle, partial(future.set_result, result))
        try:
            loop.call_soon_threadsafe(report)
        except RuntimeError:  # the loop is closed: the app has quit and nobody waits any more
            pass

    context = contextvars.copy_context()  # as to_thread does: what the thread hands back runs in the caller's context
    threading.Thread(target=context.run, args=(run,), name="foundry-tui-credential", daemon=True).start()
    return await future


def answering_credential(credential: Any) -> str:
    """Which credential of a DefaultAzureCredential chain produced the token, when it says."""
    inner = getattr(credential, "_successful_credential", None)
    return type(inner or credential).__name__


def credential_error(exc: Exception) -> CredentialError:
    """azure-identity's messages span many lines; keep the first and any AADSTS code."""
    text = str(exc).strip() or type(exc).__name__
    first = text.splitlines()[0]
    codes = sorted(set(re.findall(r"AADSTS\d+", text)) - set(re.findall(r"AADSTS\d+", first)))
    suffix = f" ({', '.join(codes)})" if codes else ""
    return CredentialError(f"Entra ID sign-in failed: {first}{suffix}")


def make_credential(
    kind: str,
    *,
    tenant_id: str | None = None,
    on_device_code: Callable[[DeviceCodePrompt], None] | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> TokenCredential:
    """Build the azure-identity credential a profile names (imported lazily: it is slow to load).

    The device-code prompt arrives on azure-identity's thread; with `loop` it is handed over to
    that event loop so UI code never runs off its thread.
    """
    import azure.identity as identity

    if kind == "azure-cli":
        return identity.AzureCliCredential(tenant_id=tenant_id) if tenant_id else identity.AzureCliCredential()
    if kind == "device-code":

        def prompt(uri: str, code: str, expires_on: datetime) -> None:
            event = DeviceCodePrompt(uri, code, expires_on)
            if on_device_code is None:
                return
            if loop is not None:
                loop.call_soon_threadsafe(on_device_code, event)
            else:
                on_device_code(event)

        if tenant_id:
            return identity.DeviceCodeCredential(prompt_callback=prompt, tenant_id=tenant_id)
        return identity.DeviceCodeCredential(prompt_callback=prompt)
    return identity.DefaultAzureCredential(exclude_interactive_browser_credential=True)
