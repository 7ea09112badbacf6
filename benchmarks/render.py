"""2. Render at full speed: the recorded reply into the real chat view, headless.

Against the floor (Textual's `Markdown.update()` of the final text, once) and the baseline (stock
`Markdown.get_stream` into a single `Markdown` widget, as the best Textual chat clients do).
"""

from __future__ import annotations

import time

import httpx
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from benchmarks.common import SIZE, Figure, wait_for
from benchmarks.recorded import Recording, recording
from foundry_tui.config.file import Config
from foundry_tui.config.profile import Profile
from foundry_tui.config.secrets import Secrets
from foundry_tui.ui.app import FoundryApp


def recorded_transport(rec: Recording) -> httpx.MockTransport:
    headers = {"content-type": "text/event-stream", "request-id": "req_bench", "apim-request-id": "bench"}
    return httpx.MockTransport(lambda request: httpx.Response(200, headers=headers, content=rec.aiter_chunks()))


def bench_app(transport: httpx.AsyncBaseTransport) -> FoundryApp:
    """The real app on an in-memory profile whose requests are answered by `transport`."""
    profile = Profile(name="bench", base_url="http://127.0.0.1:9/anthropic/", deployments=["claude-sonnet-4-5"])
    secrets = Secrets(environ={})
    secrets.hold_in_memory("bench", "bench-key")
    return FoundryApp(
        config=Config(profiles={"bench": profile}, default_profile="bench"),
        secrets=secrets,
        profile=profile,
        persist=False,
        transport=transport,
    )


async def chat_view(rec: Recording) -> float:
    """Seconds from sending the prompt to the reply fully rendered in the chat view."""
    app = bench_app(recorded_transport(rec))
    async with app.run_test(size=SIZE) as pilot:
        started = time.perf_counter()
        turn = app.screen.start_turn("bench")
        await wait_for(lambda: turn.state == "done")
        await pilot.pause()
        elapsed = time.perf_counter() - started
        assert turn.reply_source == rec.text
    return elapsed


class MarkdownApp(App):
    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown()


async def markdown_update(rec: Recording) -> float:
    app = MarkdownApp()
    async with app.run_test(size=SIZE) as pilot:
        started = time.perf_counter()
        await app.query_one(Markdown).update(rec.text)
        await pilot.pause()
        return time.perf_counter() - started


async def markdown_stream(rec: Recording) -> float:
    app = MarkdownApp()
    async with app.run_test(size=SIZE) as pilot:
        markdown = app.query_one(Markdown)
        started = time.perf_counter()
        stream = Markdown.get_stream(markdown)
        for delta in rec.deltas:
            await stream.write(delta)
        await stream.stop()
        await pilot.pause()
        return time.perf_counter() - started


async def run(quick: bool) -> list[Figure]:
    size = 2_000 if quick else 20_000
    rec = recording(size)
    await chat_view(recording(500))  # warm-up: imports, Pygments lexers, CSS
    ours = await chat_view(rec)
    floor = await markdown_update(rec)
    baseline = await markdown_stream(rec)
    label = f"{size // 1000}k deltas"
    return [
        Figure(f"render: chat view, full speed, {label}", ours * 1000, "ms"),
        Figure("render: floor, one Markdown.update()", floor * 1000, "ms"),
        Figure("render: baseline, Markdown.get_stream", baseline * 1000, "ms"),
        Figure("render: baseline / ours (how much faster)", baseline / ours, "x", "≥ 5x", baseline / ours >= 5),
        Figure("render: ours / floor", ours / floor, "x", "≤ 2.5x", ours / floor <= 2.5),
    ]
