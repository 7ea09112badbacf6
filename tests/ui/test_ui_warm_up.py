"""The warm-up after the first frame loads what the first turn needs (issue #12)."""

from __future__ import annotations

import json
import subprocess
import sys

FIRST_TURN = """
import asyncio, json, sys
from foundry_tui.demo import start_demo
from foundry_tui.ui.app import FoundryApp

async def main():
    demo = start_demo(pace=0)
    app = FoundryApp(config=demo.config, secrets=demo.secrets, profile=demo.profile, persist=False)
    async with app.run_test(size=(120, 40)) as pilot:
        while not (warm_up := [worker for worker in app.workers if worker.name == "warm-up"]):
            await pilot.pause(0.01)  # it starts once the first frame is out
        await app.workers.wait_for_complete(warm_up)
        before = set(sys.modules)
        lexers = sys.modules.get("pygments.lexers.python")
        compiled = lexers is not None and "_tokens" in vars(lexers.PythonLexer)  # its patterns, ~35 ms
        await pilot.press(*"Show me some Python code", "enter")
        while not app.screen.query("TurnView") or app.screen.query("TurnView").last().state == "streaming":
            await pilot.pause(0.05)
        fence = "```python" in app.screen.query("TurnView").last().reply_source
        loaded = sorted(set(sys.modules) - before)
    demo.stop()
    print(json.dumps({"loaded": loaded, "fence": fence, "compiled": compiled}))

asyncio.run(main())
"""


def test_the_first_turn_loads_no_transport_and_compiles_no_python_lexer():
    """httpx's transport (httpcore, h11), anyio's backend and the Python lexer were loaded, off the
    event loop, before the first turn needed them."""
    child = subprocess.run([sys.executable, "-c", FIRST_TURN], capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr[-2000:]
    found = json.loads(child.stdout.strip().splitlines()[-1])
    assert found["fence"], "the demo's reply has no Python fence to render"
    late = [name for name in found["loaded"] if name.split(".")[0] in ("httpcore", "h11", "anyio", "sniffio") or name == "pygments.lexers.python"]
    assert late == []
    assert found["compiled"]


DEMO_START = """
import asyncio, json, sys
import foundry_tui.commands.app, foundry_tui.ui.app  # what `foundry-tui --demo` loads before its app runs
from foundry_tui.demo import start_demo
from foundry_tui.ui.app import FoundryApp

loaded_before_run = sorted(name for name in sys.modules if name.startswith(("foundry_tui.emulator.", "tomlkit")))
at_backend_start = []

async def main():
    demo = start_demo(pace=0, serve=False)

    def start_backend():
        at_backend_start.append("foundry_tui.emulator.server" in sys.modules)
        demo.serve()

    app = FoundryApp(config=demo.config, secrets=demo.secrets, profile=demo.profile, persist=False, start_backend=start_backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"hello", "enter")  # at once: the request waits in the socket's backlog if need be
        while not app.screen.query("TurnView") or app.screen.query("TurnView").last().state == "streaming":
            await pilot.pause(0.05)
        turn = app.screen.query("TurnView").last()
        state, text = turn.state, turn.reply_source
    demo.stop()
    print(json.dumps({"before": loaded_before_run, "at_backend_start": at_backend_start, "state": state, "text": text}))

asyncio.run(main())
"""


def test_the_demo_loads_its_emulator_after_the_first_frame_and_answers_a_prompt_sent_at_once():
    """The demo binds its socket first (the profile names it); the app starts the emulator on it in
    the warm-up after the first frame, so start-up does without loading it (~25 ms)."""
    child = subprocess.run([sys.executable, "-c", DEMO_START], capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr[-2000:]
    found = json.loads(child.stdout.strip().splitlines()[-1])
    assert found["before"] == ["foundry_tui.emulator.address"]  # its URLs, nothing else; no tomlkit either
    assert found["at_backend_start"] == [False]  # started once, by the warm-up, and nothing loaded it before
    assert found["state"] == "done" and found["text"]


async def test_a_backend_that_cannot_start_is_said_in_one_line():
    from helpers import SIZE, wait_until

    from foundry_tui.demo import start_demo
    from foundry_tui.ui.app import FoundryApp

    demo = start_demo(pace=0, serve=False)

    def start_backend() -> None:
        raise OSError("the socket was closed")

    app = FoundryApp(config=demo.config, secrets=demo.secrets, profile=demo.profile, persist=False, start_backend=start_backend)
    notices: dict[str | None, str] = {}
    notify = app.notify
    app.notify = lambda message, **options: notices.update({options.get("title"): message}) or notify(message, **options)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "The demo's emulator did not start" in notices)
    demo.stop()
    assert notices["The demo's emulator did not start"] == "the socket was closed"
    assert demo.listener.fileno() == -1  # a demo that never served closes its socket all the same
