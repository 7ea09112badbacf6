"""How the app ends: a crash exits non-zero, SIGTERM/SIGHUP save the reply and exit 143/129 (issue #9)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import threading
import time

import pytest
from helpers import SIZE, send, wait_until

from foundry_tui.commands import app as app_command
from foundry_tui.store.store import Store
from foundry_tui.ui.app import FoundryApp


def test_a_crash_inside_the_app_exits_non_zero(monkeypatch):
    run = FoundryApp.run
    monkeypatch.setattr(FoundryApp, "run", lambda self: run(self, headless=True))

    def crash(self: FoundryApp) -> None:
        raise RuntimeError("bad data from the history")

    monkeypatch.setattr(FoundryApp, "_start_history", crash)  # runs on a timer once the app is up
    status = app_command.run(argparse.Namespace(demo=True, deployment=None, profile=None))
    assert status == 1


def test_a_normal_quit_exits_zero(monkeypatch):
    run = FoundryApp.run
    monkeypatch.setattr(FoundryApp, "run", lambda self: run(self, headless=True))
    monkeypatch.setattr(FoundryApp, "_start_history", lambda self: self.exit())
    assert app_command.run(argparse.Namespace(demo=True, deployment=None, profile=None)) == 0


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
async def test_a_signal_mid_reply_saves_it_and_exits_with_the_shell_status(make_app, signum, status):
    from foundry_tui.emulator.server import EmulatorConfig, EmulatorThread

    with EmulatorThread(EmulatorConfig(port=0, pace=50)) as slow:
        app = make_app(slow)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.store is not None)
            turn = await send(pilot, "Write a long report")
            await wait_until(pilot, lambda: len(turn.reply_source) > 30)
            conversation_id = app.screen.session.conversation_id
            app.exit_on_signal(signum)
            await wait_until(pilot, lambda: not app.is_running)
    assert app.return_code == status
    with Store.open() as store:
        reply = store.conversations.load(conversation_id).messages[1]
    assert reply.state == "cancelled" and len(reply.text) > 30


def test_quitting_during_a_device_code_sign_in_does_not_wait_for_the_credential(monkeypatch, emulator):
    """azure-identity's device-code credential blocks its thread until the user signs in (or ~15
    minutes pass); the loop's shutdown used to wait for that thread before the process could end."""
    from datetime import UTC, datetime, timedelta

    from foundry_tui.config.file import Config
    from foundry_tui.config.profile import EntraOptions, Profile
    from foundry_tui.config.secrets import Secrets
    from foundry_tui.service import connect
    from foundry_tui.service.auth import DeviceCodePrompt
    from foundry_tui.ui.screens.device_code import DeviceCodeScreen

    release = threading.Event()

    class BlockingDeviceCode:
        def __init__(self, on_device_code, loop) -> None:
            self.show = lambda prompt: loop.call_soon_threadsafe(on_device_code, prompt)

        def get_token(self, *scopes, **kwargs):
            self.show(DeviceCodePrompt("https://microsoft.com/devicelogin", "ABCD-1234", datetime.now(UTC) + timedelta(minutes=15)))
            release.wait(30)
            raise RuntimeError("the user never signed in")

    monkeypatch.setattr(connect, "make_credential", lambda kind, **options: BlockingDeviceCode(options["on_device_code"], options["loop"]))
    profile = Profile(name="work", base_url=emulator.base_url, auth="entra", entra=EntraOptions(credential="device-code"),
                      deployments=["claude-sonnet-4-5"])  # fmt: skip
    app = FoundryApp(config=Config(profiles={"work": profile}, default_profile="work"), secrets=Secrets(environ={}), profile=profile)

    async def sign_in_then_quit() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await send(pilot, "hello")
            await wait_until(pilot, lambda: isinstance(app.screen, DeviceCodeScreen))
            await pilot.press("ctrl+q")

    started = time.monotonic()
    try:
        asyncio.run(sign_in_then_quit())  # as App.run does: the loop's shutdown waits for its executor
        assert time.monotonic() - started < 8
    finally:
        release.set()
