"""A terminal that hangs up mid-reply must not keep the process alive (Textualize/textual#6692)."""

from __future__ import annotations

import os
import subprocess
import sys

from foundry_tui.store.store import Store

# The app as `foundry-tui` runs it, headless, on a terminal that is gone: Textual's teardown
# (`driver.close()`) never returns. A reply streams, then SIGHUP arrives.
HUNG_UP_APP = """
import argparse, signal, sys, threading
from helpers import SIZE, send, wait_until
from textual.drivers.headless_driver import HeadlessDriver
from foundry_tui.commands import app as app_command
from foundry_tui.ui.app import FoundryApp

HeadlessDriver.close = lambda self: threading.Event().wait()

async def reply_then_hang_up(pilot):
    app = pilot.app
    await wait_until(pilot, lambda: app.store is not None)
    turn = await send(pilot, "Write a long report")
    await wait_until(pilot, lambda: len(turn.reply_source) > 30)
    app.exit_on_signal(signal.SIGHUP)

run = FoundryApp.run
FoundryApp.run = lambda self: run(self, headless=True, size=SIZE, auto_pilot=reply_then_hang_up)
sys.exit(app_command.run(argparse.Namespace(demo=False, profile=None, deployment=None)))
"""


def test_a_teardown_stuck_on_a_dead_terminal_still_ends_the_process_after_saving_the_reply():
    from foundry_tui.emulator.server import EmulatorConfig, EmulatorThread

    with EmulatorThread(EmulatorConfig(port=0, pace=50)) as slow:
        env = {"ANTHROPIC_FOUNDRY_BASE_URL": slow.base_url, "ANTHROPIC_FOUNDRY_API_KEY": slow.api_key}
        child = subprocess.Popen([sys.executable, "-c", HUNG_UP_APP], env={**os.environ, **env}, stderr=subprocess.PIPE, text=True)
        try:
            status = child.wait(timeout=15)
        finally:
            child.kill()
            _, errors = child.communicate()
    assert status == 129, errors
    with Store.open() as store:
        conversation = store.conversations.latest()
    assert conversation is not None
    reply = conversation.messages[1]
    assert reply.state == "cancelled" and len(reply.text) > 30

