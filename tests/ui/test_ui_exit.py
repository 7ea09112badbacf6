"""How the app ends: a crash exits non-zero, SIGTERM/SIGHUP save the reply and exit 143/129 (issue #9)."""

from __future__ import annotations

import argparse
import signal

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
    from foundry_tui.emulator import EmulatorConfig, EmulatorThread

    with EmulatorThread(EmulatorConfig(port=0, pace=50)) as slow:
        app = make_app(slow)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.store is not None)
            turn = await send(pilot, "Write a long report")
            await wait_until(pilot, lambda: len(turn.reply_source) > 30)
            conversation_id = app.screen.conversation_id
            app.exit_on_signal(signum)
            await wait_until(pilot, lambda: not app.is_running)
    assert app.return_code == status
    with Store.open() as store:
        reply = store.conversations.load(conversation_id).messages[1]
    assert reply.state == "cancelled" and len(reply.text) > 30
