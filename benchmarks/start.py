"""4. Start: `check --help`, and launch-to-interactive of `--demo` against a hello-world Textual app.

Both apps run in a real pseudo-terminal (120x40); "interactive" is when the first full frame,
which holds the prompt and the status bar, has reached the terminal.

Every start is timed as an installed app starts: with its modules' bytecode cached (pip compiles
it at install; a checkout writes it on the first run). Where PYTHONDONTWRITEBYTECODE is set, as on
our development machine, the children keep bytecode in a temporary PYTHONPYCACHEPREFIX instead,
filled by one untimed launch of each command. The demo's start with the variable set is printed
beside it: a checkout without `__pycache__` then compiles our modules at every start.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Mapping

from benchmarks.common import Figure

HELLO_APP = "from textual.app import App\nfrom textual.widgets import Static\n\nclass Hello(App):\n    def compose(self):\n        yield Static('Hello from Textual')\n\nHello().run()\n"


def seconds_until_shown(argv: list[str], marker: bytes, base_env: Mapping[str, str], timeout: float = 30.0) -> float:
    """Launch `argv` in a pty and time until `marker` appears in what it writes."""
    primary, secondary = os.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**base_env, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdin=secondary, stdout=secondary, stderr=secondary, env=env, start_new_session=True)
    os.close(secondary)
    seen = b""
    try:
        while marker not in seen:
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"{argv} did not show {marker!r}")
            ready, _, _ = select.select([primary], [], [], 0.05)
            if ready:
                try:
                    seen = seen[-4096:] + os.read(primary, 65536)
                except OSError:
                    break
        return time.perf_counter() - started
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        os.close(primary)


def seconds_to_run(argv: list[str], env: Mapping[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True, env=env)
    return time.perf_counter() - started


def with_bytecode(cache_dir: str) -> dict[str, str]:
    """The environment, but with bytecode kept: in `cache_dir` if the environment forbids writing it."""
    env = dict(os.environ)
    if env.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        env["PYTHONPYCACHEPREFIX"] = cache_dir
    return env


def run(quick: bool) -> list[Figure]:
    repeat = 3 if quick else 7
    python = sys.executable
    help_argv = [python, "-m", "foundry_tui", "check", "--help"]
    hello_argv, hello_marker = [python, "-c", HELLO_APP], b"Hello from Textual"
    demo_argv, demo_marker = [python, "-m", "foundry_tui", "--demo"], b"session 0 in"
    uncached = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryDirectory(prefix="foundry-tui-bytecode-") as cache_dir:
        env = with_bytecode(cache_dir)
        seconds_to_run(help_argv, env)  # untimed: fills the bytecode cache
        seconds_until_shown(hello_argv, hello_marker, env)
        seconds_until_shown(demo_argv, demo_marker, env)
        help_s = statistics.median(seconds_to_run(help_argv, env) for _ in range(repeat))
        hello, demo, demo_uncached = [], [], []
        for _ in range(repeat):  # interleaved, so all three see the same machine
            hello.append(seconds_until_shown(hello_argv, hello_marker, env))
            demo.append(seconds_until_shown(demo_argv, demo_marker, env))
            demo_uncached.append(seconds_until_shown(demo_argv, demo_marker, uncached))
    hello_s, demo_s = statistics.median(hello), statistics.median(demo)
    return [
        Figure("start: foundry-tui check --help", help_s * 1000, "ms", "≤ 300 ms", help_s <= 0.3),
        Figure("start: hello-world Textual app, to first frame", hello_s * 1000, "ms"),
        Figure("start: foundry-tui --demo, to interactive chat", demo_s * 1000, "ms"),
        Figure("start: demo / hello world", demo_s / hello_s, "x", "≤ 1.5x", demo_s / hello_s <= 1.5),
        Figure("start: demo with PYTHONDONTWRITEBYTECODE=1", statistics.median(demo_uncached) * 1000, "ms"),
    ]
