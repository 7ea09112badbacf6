"""What every benchmark shares: timing helpers and the result row they report."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

SIZE = (120, 40)


async def wait_for(predicate: Callable[[], bool], timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark did not finish")
        await asyncio.sleep(0.002)


@dataclass
class Figure:
    """One measured figure next to its target; `ok` is None when there is no target."""

    name: str
    value: float
    unit: str
    target: str = ""
    ok: bool | None = None

    def row(self) -> str:
        verdict = {True: "ok", False: "MISSED", None: ""}[self.ok]
        value = f"{self.value:.3g}" if abs(self.value) < 1000 else f"{self.value:,.0f}"
        return f"{self.name:<52} {value:>10} {self.unit:<6} {self.target:<18} {verdict}"


async def median_seconds(run: Callable[[], Awaitable[object]], repeat: int) -> float:
    """The median of `repeat` timed runs, after one warm-up run (imports, caches)."""
    await run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class FrameLog:
    """Times at which the app pushed a frame (its `_display` runs headless too, minus the write),
    and the text of each frame pushed once `keep_text` holds (text costs a render of the screen)."""

    def __init__(self, app, keep_text: Callable[[], bool] = lambda: False) -> None:
        self.times: list[float] = []
        self.texts: list[tuple[float, list[str]]] = []
        self._watches: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is not None:
                self.times.append(time.perf_counter())
                self._settle_watches(self.times[-1])
                if keep_text():
                    self.texts.append((self.times[-1], screen_text(screen)))

        app._display = display

    def _settle_watches(self, pushed: float) -> None:
        for watch in list(self._watches):
            shows, future = watch
            if not future.done() and shows():
                future.set_result(pushed)
            if future.done():
                self._watches.remove(watch)

    def first_showing(self, shows: Callable[[], bool]) -> asyncio.Future[float]:
        """When the first frame from now on is pushed that `shows` holds for as it is drawn. Asked of
        the frame itself: a poll that sees the state change can wake after that frame went out, and
        then waited for the next one (a cursor blink, up to half a second later)."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._watches.append((shows, future))
        return future

    async def first_after(self, moment: float, timeout: float = 5.0) -> float:
        """The first frame pushed after `moment`."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            later = [t for t in self.times[-8:] if t > moment]
            if later:
                return later[0]
            await asyncio.sleep(0.0005)
        raise TimeoutError("no frame was pushed")


def screen_text(screen) -> list[str]:
    """The lines a screen shows now, as text."""
    return [strip.text for strip in screen._compositor.render_strips()]


def prompt_box(lines: list[str]) -> tuple[list[str], str]:
    """(the screen above the prompt box, the prompt's text): the box is the last ╭…╰ on screen."""
    top = max((i for i, line in enumerate(lines) if line.startswith("╭")), default=len(lines))
    bottom = max((i for i, line in enumerate(lines) if line.startswith("╰")), default=len(lines))
    text = " ".join(line.strip(" │┃▊▌▐▕") for line in lines[top + 1 : bottom])
    return lines[:top], text.strip()


def footer_index(chat: list[str]) -> int | None:
    """The finished turn's footer line ("… tok/s · end_turn"), the last one on screen."""
    return max((i for i, line in enumerate(chat) if "tok/s" in line), default=None)


def reply_last_line(chat: list[str]) -> str:
    """The reply's last non-blank line, just above the footer."""
    footer = footer_index(chat)
    assert footer is not None, "the turn has no footer"
    return next(line for line in reversed(chat[:footer]) if line.strip(" ▊"))


def finished_on_screen(screens: list[tuple[float, list[str]]]) -> float:
    """When the chat above the prompt first showed the footer under the reply's last line, as the
    last of `screens` (the settled one) shows it: a frame drawn before the layout caught up with the
    reply's true height does not count."""
    last = reply_last_line(screens[-1][1])
    for at, chat in screens:
        if footer_index(chat) is not None and reply_last_line(chat) == last:
            return at
    raise AssertionError("the finished turn was never on screen")


async def key_to_frame(app, frames: FrameLog, key: str, changed: Callable[[], bool]) -> float:
    """Seconds from a key press to the first frame that shows its effect."""
    from textual import events

    shown = frames.first_showing(changed)
    started = time.perf_counter()
    app._driver.send_message(events.Key(key, None))  # the path real terminal input takes
    try:
        return await asyncio.wait_for(shown, 5) - started
    except TimeoutError:
        raise TimeoutError(f"{key} had no effect on screen") from None


class LoopProbe:
    """While running: a 5 ms ticker's lateness (event-loop steps) and key echo into `prompt`."""

    TICK = 0.005

    def __init__(self, prompt) -> None:
        self.prompt = prompt
        self.stalls: list[float] = []
        self.echoes: list[float] = []
        self._running = False
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._running = True
        self._tasks = [asyncio.create_task(self._ticker()), asyncio.create_task(self._typist())]

    async def stop(self) -> None:
        self._running = False
        await asyncio.gather(*self._tasks)

    async def _ticker(self) -> None:
        while self._running:
            before = time.perf_counter()
            await asyncio.sleep(self.TICK)
            self.stalls.append(time.perf_counter() - before - self.TICK)

    async def _typist(self) -> None:
        from textual import events

        while self._running:
            await asyncio.sleep(0.1)
            expected = self.prompt.text + "x"
            pressed = time.perf_counter()
            self.prompt.app._driver.send_message(events.Key("x", "x"))  # as real terminal input arrives
            while self.prompt.text != expected and self._running:
                await asyncio.sleep(0.001)
            self.echoes.append(time.perf_counter() - pressed)
