"""3. Render at a realistic pace: the recorded reply at 500 deltas/s into the real chat view.

Measures event-loop stalls (a 5 ms ticker's lateness), key echo latency (keys typed into the
prompt while the reply streams), how far the display falls behind the source, and completeness.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx

from benchmarks.common import SIZE, Figure, LoopProbe, percentile, wait_for
from benchmarks.recorded import recording
from benchmarks.render import bench_app
from foundry_tui.ui.widgets.markdown_view import MarkdownView
from foundry_tui.ui.widgets.prompt import PromptInput

RATE = 500.0


class PacedSource:
    """Serves the recorded events so the n-th text delta leaves at n / RATE seconds."""

    def __init__(self, sse: bytes, rate: float) -> None:
        self.events = [event + b"\n\n" for event in sse.split(b"\n\n") if event]
        self.rate = rate
        self.sent_at: list[float] = []  # per text delta
        self.sent_chars: list[int] = []  # cumulative reply characters per text delta

    async def chunks(self) -> AsyncIterator[bytes]:
        started = time.perf_counter()
        chars = 0
        batch: list[bytes] = []
        deltas = 0
        for event in self.events:
            batch.append(event)
            if b'"text_delta"' not in event:
                continue
            chars += len(_delta_text(event))
            deltas += 1
            due = started + deltas / self.rate
            if due > time.perf_counter():
                yield b"".join(batch)
                now = time.perf_counter()
                self._sent(len(batch), now, chars)
                batch = []
                await asyncio.sleep(max(0.0, due - now))
            self.sent_at.append(0.0)
            self.sent_chars.append(chars)
        yield b"".join(batch)
        self._sent(len(batch), time.perf_counter(), chars)

    def _sent(self, count: int, now: float, chars: int) -> None:
        for index in range(len(self.sent_at) - 1, -1, -1):
            if self.sent_at[index]:
                break
            self.sent_at[index] = now


def _delta_text(event: bytes) -> str:
    import json

    payload = json.loads(event.split(b"data: ", 1)[1])
    return payload["delta"]["text"]


async def run(quick: bool) -> list[Figure]:
    count = 2_500 if quick else 10_000
    rec = recording(count)
    source = PacedSource(rec.sse, RATE)
    headers = {"content-type": "text/event-stream", "request-id": "req_bench"}
    app = bench_app(httpx.MockTransport(lambda request: httpx.Response(200, headers=headers, content=source.chunks())))
    shown: list[tuple[float, int]] = []  # (time, reply characters handed to the view)
    original_append = MarkdownView.append

    def recording_append(view: MarkdownView, text: str) -> None:
        original_append(view, text)
        shown.append((time.perf_counter(), len(view.source)))

    MarkdownView.append = recording_append  # type: ignore[method-assign]
    try:
        async with app.run_test(size=SIZE) as pilot:
            prompt = app.screen.query_one(PromptInput)
            await app.history()  # the app's one-time start-up work is the start benchmark's subject
            await pilot.pause(0.2)
            probe = LoopProbe(prompt)
            turn = app.screen.start_turn("bench")
            probe.start()
            await wait_for(lambda: turn.state != "streaming")
            await probe.stop()
            await pilot.pause()
            complete = turn.query_one(MarkdownView).source == rec.text
    finally:
        MarkdownView.append = original_append  # type: ignore[method-assign]
    stalls, echoes = probe.stalls, probe.echoes
    lags = display_lags(source, shown)
    return [
        Figure(f"pace: {count // 1000 if count >= 1000 else count}k deltas at {RATE:.0f}/s, loop stall p99", percentile(stalls, 0.99) * 1000, "ms", "≤ 33 ms", percentile(stalls, 0.99) <= 0.033),
        Figure("pace: loop stall max", max(stalls) * 1000, "ms", "≤ 100 ms", max(stalls) <= 0.100),
        Figure("pace: key echo p95", percentile(echoes, 0.95) * 1000, "ms", "≤ 50 ms", percentile(echoes, 0.95) <= 0.050),
        Figure("pace: display behind source, max", max(lags) * 1000, "ms", "≤ 100 ms", max(lags) <= 0.100),
        Figure("pace: reply complete when the stream ends", float(complete), "bool", "= 1", complete),
    ]


def display_lags(source: PacedSource, shown: list[tuple[float, int]]) -> list[float]:
    """For each delta: time from leaving the source to its text being handed to the view."""
    lags = []
    position = 0
    for sent, chars in zip(source.sent_at, source.sent_chars, strict=True):
        while position < len(shown) and shown[position][1] < chars:
            position += 1
        if position == len(shown):
            lags.append(float("inf"))
        else:
            lags.append(max(0.0, shown[position][0] - sent))
    return lags
