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
