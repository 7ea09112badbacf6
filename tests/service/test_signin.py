"""Signed in once: the device-code account is saved after the first sign-in and reused on the next start."""

from __future__ import annotations

import asyncio
import stat
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.identity import AuthenticationRecord

from foundry_tui.config.profile import EntraOptions, Profile
from foundry_tui.config.secrets import Secrets
from foundry_tui.service import signin
from foundry_tui.service.auth import EntraAuth, answering_credential
from foundry_tui.service.connect import auth_for_profile

SCOPE = "https://cognitiveservices.azure.com/.default"
ACCOUNT = AuthenticationRecord("tenant-1", "client-1", "login.microsoftonline.com", "home.1", "ada@example.com")


class FakeDeviceCodeCredential:
    """Stands in for azure.identity.DeviceCodeCredential: records how it was built and what was asked."""

    built: list[FakeDeviceCodeCredential] = []

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.authenticated: list[list[str]] = []
        FakeDeviceCodeCredential.built.append(self)

    def authenticate(self, *, scopes: list[str]) -> AuthenticationRecord:
        self.authenticated.append(scopes)
        return ACCOUNT

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("tok", 2_000_000_000)


@pytest.fixture
def fake_device_code(monkeypatch: pytest.MonkeyPatch) -> type[FakeDeviceCodeCredential]:
    import azure.identity

    FakeDeviceCodeCredential.built = []
    monkeypatch.setattr(azure.identity, "DeviceCodeCredential", FakeDeviceCodeCredential)
    return FakeDeviceCodeCredential


def lab(*, unencrypted_token_cache: bool = False) -> Profile:
    entra = EntraOptions(credential="device-code", unencrypted_token_cache=unencrypted_token_cache)
    return Profile("lab", base_url="http://127.0.0.1:9/anthropic/", auth="entra", entra=entra)


async def start(profile: Profile) -> str:
    """One app start: build the auth as the app does and fetch a token."""
    auth = auth_for_profile(profile, Secrets(environ={}))
    assert isinstance(auth, EntraAuth)
    return (await auth.headers())["authorization"]


async def test_the_account_is_saved_after_the_first_sign_in_and_passed_on_the_next_start(
    fake_device_code: type[FakeDeviceCodeCredential], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signin, "encrypted_cache_available", lambda: True)
    assert await start(lab()) == "Bearer tok"
    first = fake_device_code.built[0]
    assert first.authenticated == [[SCOPE]]  # the one interactive sign-in
    assert first.options["authentication_record"] is None
    assert first.options["cache_persistence_options"].name == "foundry-tui.lab"
    assert not first.options["cache_persistence_options"].allow_unencrypted_storage
    saved = signin.record_path("lab")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert "ada@example.com" in saved.read_text() and "tok" not in saved.read_text()

    assert await start(lab()) == "Bearer tok"
    second = fake_device_code.built[1]
    assert second.options["authentication_record"].serialize() == ACCOUNT.serialize()
    assert second.authenticated == []  # silent: no device code this time


async def test_without_a_secret_store_or_consent_the_sign_in_lasts_the_session(
    fake_device_code: type[FakeDeviceCodeCredential], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signin, "encrypted_cache_available", lambda: False)
    await start(lab())
    built = fake_device_code.built[0]
    assert "cache_persistence_options" not in built.options and built.authenticated == []
    assert not signin.record_path("lab").exists()
    choice = signin.token_cache_choice("lab", allow_unencrypted=False, encrypted=lambda: False)
    assert "this session only" in choice.note and signin.CONSENT_SETTING in choice.note


async def test_with_consent_and_no_secret_store_the_cache_is_an_owner_only_plain_file(
    fake_device_code: type[FakeDeviceCodeCredential], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signin, "encrypted_cache_available", lambda: False)
    await start(lab(unencrypted_token_cache=True))
    assert fake_device_code.built[0].options["cache_persistence_options"].allow_unencrypted_storage
    choice = signin.token_cache_choice("lab", allow_unencrypted=True, encrypted=lambda: False)
    assert "UNENCRYPTED" in choice.note and "only by you" in choice.note


async def test_the_device_code_prompt_says_whether_the_sign_in_is_kept(
    fake_device_code: type[FakeDeviceCodeCredential], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signin, "encrypted_cache_available", lambda: False)
    seen: list[Any] = []
    auth_for_profile(lab(), Secrets(environ={}), on_device_code=seen.append)
    fake_device_code.built[0].options["prompt_callback"]("https://microsoft.com/devicelogin", "ABCD", datetime.now(UTC))
    await asyncio.sleep(0)  # the prompt is handed to the event loop
    assert seen and "this session only" in seen[0].kept


def test_a_damaged_record_means_signing_in_again() -> None:
    path = signin.record_path("lab")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert signin.load_record("lab") is None


def test_the_answering_credential_is_named_through_the_wrapper() -> None:
    wrapped = signin.SignedInOnce(FakeDeviceCodeCredential(), "lab", ACCOUNT)
    assert answering_credential(wrapped) == "FakeDeviceCodeCredential"
