"""7. Terminal: the flood in a real terminal (tmux 120x40, a real pty, Textual's own driver).

The emulator runs in its own process as in `flood`, and the bare httpx read of the same stream is
interleaved with the app's runs. The app runs in a private tmux server; one control-mode client,
driven over pipes, sends the keys and captures the pane every ~5 ms (a fork per poll would steal
the app's CPU on a small machine). From the screens it saw: Enter to the finished turn with the
reply's last line, the longest still screen while text arrives, and key echo during the flood.

The floor is read under the same load as the app's run: from another process, while the client
polls the app's idle pane at the same rate (the polling alone slows a bare read by ~10%). The
bare read without that load is printed next to it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from benchmarks.common import SIZE, Figure, finished_on_screen, footer_index, percentile, prompt_box
from benchmarks.flood import bare_read, emulator_process

POLL_EVERY = 0.005
KEY_EVERY = 0.03  # as a held key repeats: ~6 keys while a 20k flood arrives (one at 0.1 s)
PROMPT = "bench"
TYPED = "x"  # typed during the flood; not in the prompt box's placeholder
ECHO_TIMEOUT = 5.0
TURN_TIMEOUT = 60.0
STATUS_LINES = ("waiting for the first token", "streaming…")  # a streaming turn's line under its text
ROOT = Path(__file__).resolve().parent.parent


class ControlClient:
    """One tmux control-mode client (`tmux -C`) over pipes: every command without a fork."""

    def __init__(self, socket: str) -> None:
        self._tmux = subprocess.Popen(
            ["tmux", "-L", socket, "-C", "attach", "-f", "no-output", "-t", "app"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.command("display-message -p ready")  # after the attach's own reply block

    def command(self, line: str) -> list[str]:
        """Send one command; its output lines (between its %begin and %end)."""
        assert self._tmux.stdin is not None and self._tmux.stdout is not None
        self._tmux.stdin.write(line.encode() + b"\n")
        self._tmux.stdin.flush()
        while not self._tmux.stdout.readline().endswith(b" 1\n"):  # skip to our %begin; "0": the attach's
            pass
        output = []
        while not (reply := self._tmux.stdout.readline()).startswith((b"%end", b"%error")):
            if not reply:
                raise RuntimeError("the tmux control client went away")
            output.append(reply.decode(errors="replace").rstrip("\n"))
        if reply.startswith(b"%error"):
            raise RuntimeError(f"tmux {line!r} failed: {output}")
        return output

    def screen(self) -> list[str]:
        return self.command("capture-pane -p -t app")

    def type(self, text: str) -> None:
        self.command(f"send-keys -t app -l {shlex.quote(text)}")

    def close(self) -> None:
        assert self._tmux.stdin is not None and self._tmux.stdout is not None
        self._tmux.stdin.close()
        self._tmux.wait(timeout=10)
        self._tmux.stdout.close()


@dataclass
class Watch:
    """What the screen showed from Enter on: every change above the prompt box, and the keys typed."""

    before: list[str]  # the screen above the prompt box just before Enter
    entered: float
    changes: list[tuple[float, list[str]]] = field(default_factory=list)
    keys_sent: list[float] = field(default_factory=list)
    keys_echoed: list[float] = field(default_factory=list)
    polls: list[float] = field(default_factory=list)  # when each poll started
    poll_costs: list[float] = field(default_factory=list)

    def shown(self) -> float:
        """When the screen first showed the footer under the reply's last line (from the final screen)."""
        return finished_on_screen(self.changes)

    def first_text(self) -> float:
        """When a row of reply text first appeared: one that is not the header, the screen before
        Enter, the prompt or a status line (a row is enough: tmux may show a frame half drawn)."""
        before = {line.strip(" ▊") for line in self.before} | {"", PROMPT}
        for at, chat in self.changes:
            rows = {line.strip(" ▊") for line in chat[1:]} - before
            if any(not row.startswith(STATUS_LINES) for row in rows):
                return at
        raise AssertionError("no reply text was ever on screen")

    def longest_still(self) -> float:
        """The longest time the screen above the prompt stood still between first text and done."""
        start, end = self.first_text(), self.shown()
        times = [at for at, _ in self.changes if start <= at <= end]
        return max((later - earlier for earlier, later in pairwise(times)), default=0.0)

    def echoes(self) -> list[float]:
        return [echoed - sent for sent, echoed in zip(self.keys_sent, self.keys_echoed, strict=True)]

    def output_tokens(self) -> float:
        """The footer's output tokens, as shown: "4006 out", or "20.0k out" (three figures)."""
        chat = self.changes[-1][1]
        footer = footer_index(chat)
        found = re.search(r"([\d.]+)(k?) out", chat[footer] if footer is not None else "")
        return float(found.group(1)) * (1000 if found.group(2) else 1) if found else 0.0


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app in tmux never got there")
        time.sleep(0.02)


def wait_for_prompt(client: ControlClient) -> None:
    wait_until(lambda: "Ask Claude" in "\n".join(client.screen()))
    time.sleep(1.0)  # a user takes longer to type a prompt; the warm-up after the first frame is the first-turn figure's subject


BARE_READ = "import asyncio, sys; from benchmarks.flood import bare_read; print(asyncio.run(bare_read(sys.argv[1], sys.argv[2], int(sys.argv[3]))))"


def bare_read_while_polled(client: ControlClient, url: str, key: str, deltas: int) -> float:
    """Seconds for a bare read in another process while the pane is polled as during a flood."""
    reader = subprocess.Popen(
        [sys.executable, "-c", BARE_READ, url, key, str(deltas)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    while reader.poll() is None:
        started = time.perf_counter()
        client.screen()
        time.sleep(max(0.0, started + POLL_EVERY - time.perf_counter()))
    output, _ = reader.communicate()
    if reader.returncode != 0:
        raise RuntimeError("the bare read failed")
    return float(output.strip().splitlines()[-1])


def watch_flood(client: ControlClient) -> Watch:
    """Type the prompt, press Enter, poll until the turn is done and every typed key is echoed."""
    client.type(PROMPT)
    wait_until(lambda: prompt_box(client.screen())[1] == PROMPT, timeout=5)
    watch = Watch(before=prompt_box(client.screen())[0], entered=time.perf_counter())
    client.command("send-keys -t app Enter")
    previous = watch.before
    done_at = None
    next_key = watch.entered + KEY_EVERY
    while done_at is None or len(watch.keys_echoed) < len(watch.keys_sent):
        started = time.perf_counter()
        chat, prompt = prompt_box(client.screen())
        now = time.perf_counter()
        watch.polls.append(started)
        watch.poll_costs.append(now - started)
        if chat != previous:
            watch.changes.append((now, chat))
            previous = chat
        watch.keys_echoed += [now] * (min(prompt.count(TYPED), len(watch.keys_sent)) - len(watch.keys_echoed))
        if done_at is None and footer_index(chat) is not None:
            done_at = now
        if done_at is None and now >= next_key:
            client.type(TYPED)
            watch.keys_sent.append(time.perf_counter())
            next_key += KEY_EVERY
        if done_at is None and now - watch.entered > TURN_TIMEOUT:
            raise TimeoutError(f"the turn did not finish on screen in {TURN_TIMEOUT:.0f} s")
        if done_at is not None and now - done_at > ECHO_TIMEOUT:
            raise TimeoutError(f"{len(watch.keys_sent) - len(watch.keys_echoed)} typed keys never echoed")
        time.sleep(max(0.0, started + POLL_EVERY - time.perf_counter()))
    time.sleep(0.3)  # let the final screen settle: it names the reply's last line
    watch.changes.append((time.perf_counter(), prompt_box(client.screen())[0]))
    if watch.changes[-1][1] == watch.changes[-2][1]:
        watch.changes.pop()
    return watch


@contextmanager
def tmux_server() -> Iterator[str]:
    """A private tmux server's socket name; the server is killed on the way out, whatever happened."""
    socket = f"foundry-tui-bench-{os.getpid()}"
    try:
        yield socket
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)


def launch(socket: str, home: str, url: str, key: str, deltas: int, first: bool) -> None:
    """`benchmarks.terminal_app` in a 120x40 pane (a fresh app each time), with its environment made explicit."""
    variables = {"FOUNDRY_TUI_HOME": home, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
    command = " ".join(
        ["env", "-u", "COLUMNS", "-u", "LINES"]  # Textual prefers these to the terminal's real size
        + [f"{name}={shlex.quote(value)}" for name, value in variables.items()]
        + [shlex.quote(sys.executable), "-m", "benchmarks.terminal_app", url, key, str(deltas)]
    )
    width, height = SIZE
    tmux = ["tmux", "-L", socket]
    if first:
        size = ["-x", str(width), "-y", str(height)]
        subprocess.run([*tmux, "new-session", "-d", "-s", "app", *size, command], check=True)
        subprocess.run([*tmux, "set-option", "-t", "app", "remain-on-exit", "on"], check=True)
    else:
        subprocess.run([*tmux, "respawn-pane", "-k", "-t", "app", command], check=True)


async def run(quick: bool) -> list[Figure]:
    if shutil.which("tmux") is None:
        print("terminal: tmux is not installed; no figures", file=sys.stderr)
        return []
    deltas = 4_000 if quick else 20_000
    repeat = 1 if quick else 5
    quiet_floors, floors, watches = [], [], []
    with emulator_process() as (url, key), tmux_server() as socket, tempfile.TemporaryDirectory() as home:
        await bare_read(url, key, deltas)  # warm-up: the emulator's first reply, our imports
        for attempt in range(repeat):  # interleaved, so both see the same machine
            quiet_floors.append(await bare_read(url, key, deltas))
            launch(socket, home, url, key, deltas, first=attempt == 0)
            client = ControlClient(socket)
            try:
                wait_for_prompt(client)
                floors.append(bare_read_while_polled(client, url, key, deltas))
                watches.append(watch_flood(client))
            finally:
                client.close()
    for watch in watches:
        assert watch.output_tokens() >= deltas * 0.995, f"not the whole flood: {watch.output_tokens()} tokens"
    floor = statistics.median(floors)
    shown = statistics.median(watch.shown() - watch.entered for watch in watches)
    still = max(watch.longest_still() for watch in watches)
    echoes = [echo for watch in watches for echo in watch.echoes()]
    echo = percentile(echoes, 0.95)
    intervals = [later - earlier for watch in watches for earlier, later in pairwise(watch.polls)]
    costs = [cost for watch in watches for cost in watch.poll_costs]
    label = f"{deltas // 1000}k deltas"
    return [
        Figure(f"terminal: bare httpx read, {label}, quiet", statistics.median(quiet_floors) * 1000, "ms"),
        Figure(f"terminal: bare httpx read, {label}, pane polled", floor * 1000, "ms"),
        Figure("terminal: Enter to last line on screen", shown * 1000, "ms"),
        Figure("terminal: ours / bare read", shown / floor, "x", "≤ 2x", shown / floor <= 2),
        Figure("terminal: longest still screen while text arrives", still * 1000, "ms", "≤ 100 ms", still <= 0.100),
        Figure(f"terminal: key echo p95 during the flood, {len(echoes)} keys", echo * 1000, "ms", "≤ 100 ms", echo <= 0.1),
        Figure("terminal: screen poll interval, median", statistics.median(intervals) * 1000, "ms"),
        Figure("terminal: screen poll cost (capture-pane), median", statistics.median(costs) * 1000, "ms"),
    ]
