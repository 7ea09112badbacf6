"""Request authentication: an Azure API key, or a Microsoft Entra ID token from azure-identity.

azure-identity's sync credentials run in a worker thread (its async ones would need aiohttp), and
tokens are cached here until five minutes before they expire, so a long chat calls the credential
about once an hour. `invalidate()` drops the token after a 401 so the retry fetches a fresh one.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol, TypeVar

from foundry_tui.service.errors import ConnectionFailed, CredentialError, FoundryError
from foundry_tui.service.signin import SignedInOnce, load_record, token_cache_choice

REFRESH_MARGIN = 300.0  # seconds before expiry at which a cached token counts as stale
T = TypeVar("T")
# The line of a credential chain's report that says what to do ("Please run 'az login' to set up an account").
_ACTIONABLE_LINE = re.compile(r"^\s*(?:\w+: )?(Please run '[^']+'.*)$", re.MULTILINE)
_OFFLINE_HINT = (
    "Signing in to Entra ID needs the network (login.microsoftonline.com): "
    "check your connection, and HTTPS_PROXY / NO_PROXY if you use a proxy."
)


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
    kept: str = ""  # whether this sign-in will be kept for the next start, and where

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
    if isinstance(credential, SignedInOnce):
        credential = credential.credential
    inner = getattr(credential, "_successful_credential", None)
    return type(inner or credential).__name__


def credential_error(exc: Exception) -> FoundryError:
    """One line from azure-identity's many: the first, any AADSTS code and what to run ("az login").

    A sign-in that could not reach Entra ID at all is a connection failure, not an auth one.
    """
    text = str(exc).strip() or type(exc).__name__
    first = text.splitlines()[0]
    if _is_network_failure(exc):
        return ConnectionFailed(f"Entra ID sign-in could not reach the network: {first}", hint=_OFFLINE_HINT)
    codes = sorted(set(re.findall(r"AADSTS\d+", text)) - set(re.findall(r"AADSTS\d+", first)))
    suffix = f" ({', '.join(codes)})" if codes else ""
    action = _ACTIONABLE_LINE.search(text)
    if action and action.group(1) not in first:
        suffix += f": {action.group(1)}"
    return CredentialError(f"Entra ID sign-in failed: {first}{suffix}")


def _is_network_failure(exc: BaseException) -> bool:
    """Whether azure-core's transport (or the OS) failed to connect somewhere in the exception's causes."""
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (ServiceRequestError, ServiceResponseError, ConnectionError)):
            return True
        current = current.__cause__ or current.__context__
    return False


def quiet_azure_logs() -> None:
    """azure-identity logs each failure as a warning; with no handler, Python prints it on stderr
    (over the app's screen, or next to our own one-line message). Our errors say it once."""
    azure_logger = logging.getLogger("azure")
    if not any(isinstance(handler, logging.NullHandler) for handler in azure_logger.handlers):
        azure_logger.addHandler(logging.NullHandler())
    azure_logger.propagate = False


def make_credential(
    kind: str,
    *,
    tenant_id: str | None = None,
    on_device_code: Callable[[DeviceCodePrompt], None] | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
    profile_name: str | None = None,
    allow_unencrypted_cache: bool = False,
) -> TokenCredential:
    """Build the azure-identity credential a profile names (imported lazily: it is slow to load).

    The device-code prompt arrives on azure-identity's thread; with `loop` it is handed over to
    that event loop so UI code never runs off its thread. With `profile_name`, a device-code
    sign-in is kept for the next start (see `signin`).
    """
    import azure.identity as identity

    quiet_azure_logs()
    if kind == "azure-cli":
        return identity.AzureCliCredential(tenant_id=tenant_id) if tenant_id else identity.AzureCliCredential()
    if kind != "device-code":
        return identity.DefaultAzureCredential(exclude_interactive_browser_credential=True)
    choice = None if profile_name is None else token_cache_choice(profile_name, allow_unencrypted=allow_unencrypted_cache)

    def prompt(uri: str, code: str, expires_on: datetime) -> None:
        event = DeviceCodePrompt(uri, code, expires_on, choice.note if choice else "")
        if on_device_code is None:
            return
        if loop is not None:
            loop.call_soon_threadsafe(on_device_code, event)
        else:
            on_device_code(event)

    options: dict[str, Any] = {"tenant_id": tenant_id} if tenant_id else {}
    if profile_name is None or choice is None or choice.persistence is None:
        return identity.DeviceCodeCredential(prompt_callback=prompt, **options)
    record = load_record(profile_name)
    credential = identity.DeviceCodeCredential(
        prompt_callback=prompt, cache_persistence_options=choice.persistence, authentication_record=record, **options
    )
    return SignedInOnce(credential, profile_name, record)
