"""API-key and Entra ID auth: headers, token caching, errors, device-code plumbing."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError
from helpers import LIFETIME, Clock, FakeCredential

from foundry_tui.service.auth import REFRESH_MARGIN, ApiKeyAuth, DeviceCodePrompt, EntraAuth, make_credential
from foundry_tui.service.errors import ConnectionFailed, CredentialError

SCOPE = "https://cognitiveservices.azure.com/.default"
TENANT = "11111111-2222-3333-4444-555555555555"



def entra(**credential_options: Any) -> tuple[EntraAuth, FakeCredential, Clock]:
    clock = Clock()
    credential = FakeCredential(clock, **credential_options)
    return EntraAuth(credential, SCOPE, clock=clock), credential, clock


async def bearer(auth: EntraAuth) -> str:
    return (await auth.headers())["authorization"]


async def test_api_key_headers_and_repr_hides_the_key() -> None:
    auth = ApiKeyAuth("sk-very-secret")
    assert await auth.headers() == {"api-key": "sk-very-secret", "x-api-key": "sk-very-secret"}
    assert "secret" not in repr(auth) and "secret" not in str(auth)
    assert not auth.can_refresh
    auth.invalidate()  # a no-op: the key stays
    assert (await auth.headers())["api-key"] == "sk-very-secret"


async def test_entra_token_is_cached_until_five_minutes_before_expiry() -> None:
    auth, credential, clock = entra()
    start = clock.now
    assert await bearer(auth) == "Bearer tok1"
    assert credential.calls == [((SCOPE,), {})]
    clock.now = start + LIFETIME - REFRESH_MARGIN - 1
    assert await bearer(auth) == "Bearer tok1"
    assert len(credential.calls) == 1
    clock.now = start + LIFETIME - REFRESH_MARGIN
    assert await bearer(auth) == "Bearer tok2"
    assert len(credential.calls) == 2
    assert await bearer(auth) == "Bearer tok2"  # and the new one is cached in turn
    assert len(credential.calls) == 2


async def test_invalidate_forces_a_refetch() -> None:
    auth, credential, _ = entra()
    assert await auth.token() == "tok1"
    auth.invalidate()
    assert await auth.token() == "tok2"
    assert len(credential.calls) == 2


async def test_concurrent_requests_share_one_fetch() -> None:
    auth, credential, _ = entra(delay=0.02)
    headers = await asyncio.gather(*(auth.headers() for _ in range(100)))
    assert len(credential.calls) == 1
    assert {h["authorization"] for h in headers} == {"Bearer tok1"}


async def test_tenant_id_is_passed_to_the_credential() -> None:
    clock = Clock()
    credential = FakeCredential(clock)
    await EntraAuth(credential, SCOPE, tenant_id=TENANT, clock=clock).token()
    assert credential.calls == [((SCOPE,), {"tenant_id": TENANT})]


async def test_description_names_the_credential_that_answered() -> None:
    class ChainCredential(FakeCredential):
        _successful_credential = ApiKeyAuth("x")  # any object: its class name is what shows

    credential = ChainCredential(Clock())
    auth = EntraAuth(credential, SCOPE, clock=credential.clock)
    assert auth.description == "entra (ChainCredential)"
    await auth.token()
    assert auth.description == "entra (ApiKeyAuth)"
    assert repr(auth) == f"EntraAuth(scope={SCOPE!r})"


AADSTS_MESSAGE = """DefaultAzureCredential failed to retrieve a token from the included credentials.
Attempted credentials:
\tEnvironmentCredential: EnvironmentCredential authentication unavailable.
\tAzureCliCredential: AADSTS700082: The refresh token has expired due to inactivity.
\tTrace ID: 1234 AADSTS50076 and AADSTS700082 again
To mitigate this issue, please refer to the troubleshooting guidelines here at https://aka.ms/azsdk/python/identity/defaultazurecredential/troubleshoot."""


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            ClientAuthenticationError(AADSTS_MESSAGE),
            "Entra ID sign-in failed: DefaultAzureCredential failed to retrieve a token from the included credentials. "
            "(AADSTS50076, AADSTS700082)",
        ),
        (
            RuntimeError("AADSTS90002: Tenant not found.\nmore about AADSTS90002"),
            "Entra ID sign-in failed: AADSTS90002: Tenant not found.",  # a code already shown is not repeated
        ),
        (OSError(), "Entra ID sign-in failed: OSError"),
    ],
)
async def test_credential_errors_become_one_line_credential_errors(error: Exception, message: str) -> None:
    auth, credential, _ = entra(error=error)
    with pytest.raises(CredentialError) as caught:
        await auth.headers()
    assert caught.value.message == message
    assert caught.value.hint == CredentialError.default_hint
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    credential.error = None  # a failure is not cached: the next call tries again
    assert await bearer(auth) == "Bearer tok2"


def prompt_at(expires_in: float) -> tuple[str, str, datetime]:
    return "https://microsoft.com/devicelogin", "ABCD-1234", datetime.now(UTC) + timedelta(seconds=expires_in)


async def test_device_code_prompt_is_handed_to_the_event_loop() -> None:
    delivered = asyncio.Event()
    seen: list[tuple[DeviceCodePrompt, int]] = []

    def on_device_code(prompt: DeviceCodePrompt) -> None:
        seen.append((prompt, threading.get_ident()))
        delivered.set()

    credential = make_credential("device-code", on_device_code=on_device_code, loop=asyncio.get_running_loop())
    args = prompt_at(900)
    # azure-identity calls the callback on the thread that runs get_token
    await asyncio.to_thread(credential._prompt_callback, *args)  # type: ignore[attr-defined]
    await asyncio.wait_for(delivered.wait(), 1.0)
    [(prompt, thread)] = seen
    assert prompt == DeviceCodePrompt(*args)
    assert thread == threading.get_ident()  # the loop's thread, not the worker's
    assert 890 < prompt.seconds_left() <= 900


def test_device_code_prompt_without_a_loop_is_called_directly() -> None:
    seen: list[DeviceCodePrompt] = []
    credential = make_credential("device-code", tenant_id=TENANT, on_device_code=seen.append)
    args = prompt_at(60)
    credential._prompt_callback(*args)  # type: ignore[attr-defined]
    assert seen == [DeviceCodePrompt(*args)]
    assert credential._tenant_id == TENANT  # type: ignore[attr-defined]


def test_device_code_prompt_without_a_callback_is_dropped() -> None:
    credential = make_credential("device-code")
    assert credential._prompt_callback(*prompt_at(60)) is None  # type: ignore[attr-defined]


def test_credential_kinds() -> None:
    import azure.identity as identity

    cli = make_credential("azure-cli", tenant_id=TENANT)
    assert isinstance(cli, identity.AzureCliCredential) and cli.tenant_id == TENANT
    assert isinstance(make_credential("azure-cli"), identity.AzureCliCredential)
    assert isinstance(make_credential("device-code"), identity.DeviceCodeCredential)
    assert isinstance(make_credential("default"), identity.DefaultAzureCredential)


def _raised_from(outer: Exception, cause: Exception) -> Exception:
    try:
        raise outer from cause
    except Exception as error:
        return error


async def test_a_sign_in_without_network_is_a_connection_failure() -> None:
    from azure.core.exceptions import ServiceRequestError

    cause = ServiceRequestError("HTTPSConnection(host='login.microsoftonline.com', port=443): Failed to resolve")
    auth, _, _ = entra(error=_raised_from(ClientAuthenticationError("Authentication failed: …"), cause))
    with pytest.raises(ConnectionFailed) as caught:
        await auth.headers()
    assert caught.value.kind == "connection" and "could not reach" in caught.value.message
    assert caught.value.hint and "network" in caught.value.hint


async def test_a_credential_chain_failure_keeps_its_actionable_line() -> None:
    chain = """DefaultAzureCredential failed to retrieve a token from the included credentials.
Attempted credentials:
\tEnvironmentCredential: EnvironmentCredential authentication unavailable. Environment variables are not fully configured.
\tManagedIdentityCredential: ManagedIdentityCredential authentication unavailable, no response from the IMDS endpoint.
\tAzureCliCredential: Please run 'az login' to set up an account
To mitigate this issue, please refer to the troubleshooting guidelines here at https://aka.ms/azsdk/python/identity/defaultazurecredential/troubleshoot."""
    auth, _, _ = entra(error=ClientAuthenticationError(chain))
    with pytest.raises(CredentialError) as caught:
        await auth.headers()
    assert "Please run 'az login'" in caught.value.message
    assert "\n" not in caught.value.message


def test_azure_identity_log_lines_reach_no_handler_of_ours() -> None:
    """Without this, Python's last-resort handler prints azure-identity's warnings on stderr."""
    import logging

    class Collect(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.lines: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.lines.append(record.getMessage())

    collect = Collect()
    logging.getLogger().addHandler(collect)
    try:
        make_credential("azure-cli")
        logging.getLogger("azure.identity._credentials.azure_cli").warning("AzureCliCredential.get_token failed: x")
    finally:
        logging.getLogger().removeHandler(collect)
    assert collect.lines == []
