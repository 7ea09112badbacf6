"""6. Flood: a 20,000-delta reply from a loopback server at full speed, against a bare httpx read.

The emulator runs in its own process, so the network side of the race costs the app nothing. In
the same run: the bare read of the stream (the floor: the network), then the real app from Enter
to the reply's last line in a frame, while a ticker measures the longest event-loop step and a
typist measures key echo. Then the first turn of a fresh app against a ~30 ms server.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from textual import events

from benchmarks.common import (
    SIZE,
    Figure,
    FrameLog,
    LoopProbe,
    finished_on_screen,
    percentile,
    prompt_box,
    screen_text,
    wait_for,
)
from foundry_tui.config.file import Config
from foundry_tui.config.profile import Profile, RequestDefaults
from foundry_tui.config.secrets import Secrets
from foundry_tui.ui.app import FoundryApp
from foundry_tui.ui.widgets.prompt import PromptInput
from foundry_tui.ui.widgets.turn import TurnView

DEPLOYMENT = "claude-sonnet-4-5"
MAX_TOKENS = 64_000  # the app and the bare read ask for the same stream
FIRST_TOKEN_MS = 30


@contextmanager
def emulator_process() -> Iterator[tuple[str, str]]:
    """(base url, key) of `foundry-tui emulator --pace 0` in its own process."""
    server = subprocess.Popen(
        [sys.executable, "-m", "foundry_tui", "emulator", "--port", "0", "--pace", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    try:
        url = server.stdout.readline().rsplit(" ", 1)[-1].strip()
        key = server.stdout.readline().rsplit(" ", 1)[-1].strip()
        yield url, key
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()


class SteeredTransport:
    """The real network, with the emulator's steering headers on every request. An httpx transport
    in all but name: httpx is imported by the app, when the app imports it, not by the benchmark."""

    def __init__(self, headers: dict[str, str]) -> None:
        self._inner = None
        self._headers = headers

    async def handle_async_request(self, request):
        import httpx

        from foundry_tui.service.tls import tls_context

        self._inner = self._inner or httpx.AsyncHTTPTransport(verify=tls_context())  # as the app's own client
        request.headers.update(self._headers)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        if self._inner is not None:
            await self._inner.aclose()


def network_app(url: str, key: str, headers: dict[str, str]) -> FoundryApp:
    profile = Profile(name="bench", base_url=url, deployments=[DEPLOYMENT], defaults=RequestDefaults(max_tokens=MAX_TOKENS))
    secrets = Secrets(environ={})
    secrets.hold_in_memory("bench", key)
    return FoundryApp(
        config=Config(profiles={"bench": profile}, default_profile="bench"),
        secrets=secrets, profile=profile, persist=False, transport=SteeredTransport(headers),
    )  # fmt: skip


async def bare_read(url: str, key: str, deltas: int) -> float:
    """Seconds to read the whole stream with httpx and nothing else: the network's share."""
    import httpx

    body = {"model": DEPLOYMENT, "max_tokens": MAX_TOKENS, "stream": True, "messages": [{"role": "user", "content": "bench"}]}
    headers = {"api-key": key, "anthropic-version": "2023-06-01", "x-emulator-reply-tokens": str(deltas)}
    async with httpx.AsyncClient(timeout=60) as client:
        started = time.perf_counter()
        async with client.stream("POST", url + "v1/messages", json=body, headers=headers) as response:
            async for _ in response.aiter_raw():
                pass
        return time.perf_counter() - started


async def enter(app: FoundryApp, text: str) -> float:
    """Type `text` into the prompt and press Enter, as terminal input arrives; when Enter was sent."""
    prompt = app.screen.query_one(PromptInput)
    for char in text:
        app._driver.send_message(events.Key(char, char))
    await wait_for(lambda: prompt.text == text, timeout=5)
    started = time.perf_counter()
    app._driver.send_message(events.Key("enter", "\r"))
    return started


async def flood(url: str, key: str, deltas: int) -> dict[str, float]:
    app = network_app(url, key, {"x-emulator-reply-tokens": str(deltas)})
    async with app.run_test(size=SIZE) as pilot:
        await app.history()
        await pilot.pause(0.3)  # the first frame and the idle warm-up are the first-turn figure's subject
        turns: list[TurnView] = []  # the new turn, once mounted: found once, not queried every poll

        def ended() -> bool:
            turns[:] = turns or list(app.screen.query(TurnView))
            return bool(turns) and turns[-1].state != "streaming"

        frames = FrameLog(app, keep_text=ended)
        probe = LoopProbe(app.screen.query_one(PromptInput))
        started = await enter(app, "bench")
        probe.start()
        await wait_for(ended)
        await frames.first_after(time.perf_counter())
        await probe.stop()
        await pilot.pause(0.3)  # the screen settles: its last frame names the reply's last line
        frames.texts.append((time.perf_counter(), screen_text(app.screen)))
        shown = finished_on_screen([(at, prompt_box(text)[0]) for at, text in frames.texts])
        turn = turns[-1]
        assert turn.state == "done", turn.state
        assert turn.result is not None and turn.result.usage.output_tokens >= deltas, "not the whole flood"
    return {"shown_s": shown - started, "step_max_s": max(probe.stalls), "echo_p95_s": percentile(probe.echoes, 0.95)}


FIRST_TURN = """
import asyncio, json, sys
from benchmarks.flood import first_turn
assert "httpx" not in sys.modules and "markdown_it" not in sys.modules  # the app's own imports are measured
print(json.dumps(asyncio.run(first_turn(sys.argv[1], sys.argv[2]))))
"""


async def first_turn(url: str, key: str) -> float:
    """In a fresh process: Enter to the first text of the first turn in a frame."""
    headers = {"x-emulator-fault": "slow-first-token", "x-emulator-delay-ms": str(FIRST_TOKEN_MS), "x-emulator-reply-tokens": "50"}
    app = network_app(url, key, headers)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)  # a user takes longer than this to type a prompt
        frames = FrameLog(app)
        shown = frames.first_showing(lambda: bool(app.screen.query("TurnView")) and bool(app.screen.query("TurnView").last().reply_source))
        started = await enter(app, "hello")
        return await asyncio.wait_for(shown, 10) - started


def first_turn_in_fresh_process(url: str, key: str) -> float:
    child = subprocess.run([sys.executable, "-c", FIRST_TURN, url, key], capture_output=True, text=True, check=True)
    return float(json.loads(child.stdout.strip().splitlines()[-1]))


async def run(quick: bool) -> list[Figure]:
    deltas = 4_000 if quick else 20_000
    repeat = 1 if quick else 5
    with emulator_process() as (url, key):
        await bare_read(url, key, deltas)  # warm-up: the emulator's first reply, our imports
        floors, runs = [], []
        for _ in range(repeat):  # interleaved, so both see the same machine
            floors.append(await bare_read(url, key, deltas))
            runs.append(await flood(url, key, deltas))
        first = statistics.median(first_turn_in_fresh_process(url, key) for _ in range(repeat))
    floor = statistics.median(floors)
    shown = statistics.median(r["shown_s"] for r in runs)
    step = max(r["step_max_s"] for r in runs)
    echo = statistics.median(r["echo_p95_s"] for r in runs)
    label = f"{deltas // 1000}k deltas"
    return [
        Figure(f"flood: bare httpx read, {label}", floor * 1000, "ms"),
        Figure("flood: Enter to last line on screen", shown * 1000, "ms"),
        Figure("flood: ours / bare read", shown / floor, "x", "≤ 2x", shown / floor <= 2),
        Figure("flood: longest event-loop step", step * 1000, "ms", "≤ 50 ms", step <= 0.050),
        Figure("flood: key echo p95", echo * 1000, "ms", "≤ 100 ms", echo <= 0.100),
        Figure(f"first turn: first text after Enter ({FIRST_TOKEN_MS} ms server)", first * 1000, "ms", "≤ 150 ms", first <= 0.150),
    ]
