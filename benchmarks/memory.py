"""5. Memory and scroll: a 200-turn conversation of ~2,000-token replies in the chat view.

Runs in a child process so the peak RSS is the app's alone: read from the process's own memory
map (VmHWM), not `getrusage`, whose peak Linux carries over from the parent a child was forked from
(a test run's big pytest process made a 200 MB app measure 470 MB).
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import time

from benchmarks.common import SIZE, Figure, FrameLog, key_to_frame, percentile
from benchmarks.recorded import recording
from benchmarks.render import bench_app
from foundry_tui.service.messages import TurnResult, Usage
from foundry_tui.ui.widgets.turn import TurnView


async def measure(turns: int) -> dict[str, float]:
    reply = recording(2_000).text
    app = bench_app(transport=None)
    async with app.run_test(size=SIZE) as pilot:
        log = app.screen.query_one("#chat-log")
        started = time.perf_counter()
        await app.screen.show_turns(
            [
                TurnView(
                    f"Question {index}",
                    "claude-sonnet-4-5",
                    reply=f"Answer {index}.\n\n{reply}",
                    state="done",
                    result=TurnResult("claude-sonnet-4-5", status=200, usage=Usage(2_000, 2_000), request_id=f"req_{index}"),
                )
                for index in range(turns)
            ]
        )
        await pilot.pause()
        loaded = time.perf_counter() - started
        await app.workers.wait_for_complete()  # the idle pre-render of every reply
        await pilot.pause()
        frames = FrameLog(app)
        page_times = []
        for key in ["pageup"] * 10 + ["pagedown"] * 5:
            before = log.scroll_y
            page_times.append(await key_to_frame(app, frames, key, lambda before=before: log.scroll_y != before))
        top = await key_to_frame(app, frames, "ctrl+home", lambda: log.scroll_y == 0)
    return {"load_s": loaded, "page_p95_s": percentile(page_times, 0.95), "top_s": top, "peak_mb": peak_megabytes()}


def peak_megabytes() -> float:
    """This process's peak resident set since it began running this program."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # elsewhere: may include the parent's


def run(quick: bool) -> list[Figure]:
    turns = 60 if quick else 200
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", str(turns)], capture_output=True, text=True, check=True
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    return [
        Figure(f"memory: {turns} turns x 2k tokens, peak RSS", result["peak_mb"], "MB", "≤ 300 MB", result["peak_mb"] <= 300),
        Figure("memory: time to load those turns", result["load_s"] * 1000, "ms"),
        Figure("scroll: page up/down p95", result["page_p95_s"] * 1000, "ms", "≤ 50 ms", result["page_p95_s"] <= 0.05),
        Figure("scroll: jump to top", result["top_s"] * 1000, "ms", "≤ 50 ms", result["top_s"] <= 0.05),
    ]


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(int(sys.argv[1])))))
