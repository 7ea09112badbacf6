"""5. Memory and scroll: a 200-turn conversation of ~2,000-token replies in the chat view, then a
reply streamed at the end of it at 500 deltas a second (the longest event-loop step meanwhile).

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

import httpx

from benchmarks.common import SIZE, Figure, FrameLog, LoopProbe, key_to_frame, percentile, wait_for
from benchmarks.pace import RATE, PacedSource
from benchmarks.recorded import recording
from benchmarks.render import bench_app
from foundry_tui.service.messages import TurnResult, Usage
from foundry_tui.ui.widgets.turn import TurnView


async def measure(turns: int, streamed: int) -> dict[str, float]:
    reply = recording(2_000).text
    source = PacedSource(recording(streamed).sse, RATE)
    headers = {"content-type": "text/event-stream", "request-id": "req_bench"}
    app = bench_app(httpx.MockTransport(lambda request: httpx.Response(200, headers=headers, content=source.chunks())))
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
        await pilot.press("ctrl+b")  # back at the newest turn, as a user who asks another question
        probe = LoopProbe(app.screen.query_one("PromptInput"))
        turn = app.screen.start_turn("bench")
        probe.start()
        await wait_for(lambda: turn.state != "streaming")
        await probe.stop()
    return {
        "load_s": loaded, "page_p95_s": percentile(page_times, 0.95), "top_s": top, "peak_mb": peak_megabytes(),
        "stream_step_max_s": max(probe.stalls),
    }  # fmt: skip


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
    turns, streamed = (60, 1_000) if quick else (200, 3_000)
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", str(turns), str(streamed)], capture_output=True, text=True, check=True
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    return [
        Figure(f"memory: {turns} turns x 2k tokens, peak RSS", result["peak_mb"], "MB", "≤ 300 MB", result["peak_mb"] <= 300),
        Figure("memory: time to load those turns", result["load_s"] * 1000, "ms"),
        Figure("scroll: page up/down p95", result["page_p95_s"] * 1000, "ms", "≤ 50 ms", result["page_p95_s"] <= 0.05),
        Figure("scroll: jump to top", result["top_s"] * 1000, "ms", "≤ 50 ms", result["top_s"] <= 0.05),
        Figure(
            f"long chat: {RATE:.0f}/s reply after them, loop step max", result["stream_step_max_s"] * 1000,
            "ms", "≤ 100 ms", result["stream_step_max_s"] <= 0.1,
        ),  # fmt: skip
    ]


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(int(sys.argv[1]), int(sys.argv[2])))))
