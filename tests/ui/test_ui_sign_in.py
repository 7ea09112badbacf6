"""A device-code sign-in in the app: the code hidden with esc comes back with F8 and stays on the waiting turn."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from helpers import SIZE, send, wait_until, write_config
from textual.widgets import Static

from foundry_tui.config.file import Config
from foundry_tui.config.profile import EntraOptions, Profile
from foundry_tui.config.secrets import Secrets
from foundry_tui.service import signin
from foundry_tui.ui.app import FoundryApp
from foundry_tui.ui.screens.device_code import DeviceCodeScreen

CODE = "F4BXZPMX2"


class WaitingDeviceCode:
    """A DeviceCodeCredential that shows its code, then waits until the test says the user signed in."""

    token = ""

    def __init__(self, **options: Any) -> None:
        self.prompt = options["prompt_callback"]
        self.signed_in = threading.Event()
        WaitingDeviceCode.latest = self

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.prompt("https://microsoft.com/devicelogin", CODE, datetime.now(UTC) + timedelta(minutes=15))
        assert self.signed_in.wait(20)
        return AccessToken(WaitingDeviceCode.token, 2_000_000_000)


@pytest.fixture
def device_code_app(emulator, monkeypatch: pytest.MonkeyPatch) -> FoundryApp:
    import azure.identity

    monkeypatch.setattr(azure.identity, "DeviceCodeCredential", WaitingDeviceCode)
    monkeypatch.setattr(signin, "encrypted_cache_available", lambda: False)
    WaitingDeviceCode.token = emulator.api_key
    profile = Profile(
        "lab", base_url=emulator.base_url, auth="entra", entra=EntraOptions(credential="device-code"),
        deployments=["claude-haiku-4-5"],
    )
    config = Config(profiles={"lab": profile}, default_profile="lab")
    write_config(config)
    return FoundryApp(config=config, secrets=Secrets(environ={}), profile=profile)


def on_device_code_screen(app: FoundryApp) -> bool:
    return isinstance(app.screen, DeviceCodeScreen) and app.screen.is_mounted


async def test_a_hidden_code_comes_back_with_f8_and_stays_on_the_waiting_turn(device_code_app: FoundryApp) -> None:
    app = device_code_app
    async with app.run_test(size=SIZE) as pilot:
        turn = await send(pilot, "hello")
        await wait_until(pilot, lambda: on_device_code_screen(app))
        assert "this session only" in str(app.screen.query_one("#device-code-kept", Static).content)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, DeviceCodeScreen))
        status = str(turn.query_one(".turn-status", Static).content)
        assert CODE in status and "https://microsoft.com/devicelogin" in status and "F8" in status

        await pilot.press("f8")
        await wait_until(pilot, lambda: on_device_code_screen(app))
        assert str(app.screen.query_one("#device-code", Static).content) == CODE

        WaitingDeviceCode.latest.signed_in.set()
        await wait_until(pilot, lambda: turn.state == "done", timeout=20)
        assert not isinstance(app.screen, DeviceCodeScreen)
        await pilot.press("f8")  # the sign-in is over: nothing to show
        await pilot.pause()
        assert not isinstance(app.screen, DeviceCodeScreen)
        assert any("No sign-in is waiting" in notice.message for notice in app._notifications)
