"""`foundry-tui --demo` in a real terminal: tmux types a prompt, the screen shows the answer."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")


class Tmux:
    """One private tmux server (its own socket), so no user session or environment leaks in."""

    def __init__(self, name: str) -> None:
        self.socket = f"foundry-tui-test-{os.getpid()}-{name}"

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "app")

    def wait_for(self, *texts: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if all(text in screen for text in texts):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {texts!r}; the screen was:\n{screen}")
            time.sleep(0.1)


@pytest.fixture
def tmux(foundry_home):
    session = Tmux("demo")
    command = " ".join(
        [
            "env",
            "-u",
            "COLUMNS",  # Textual prefers these to the terminal's real size
            "-u",
            "LINES",
            f"FOUNDRY_TUI_HOME={shlex.quote(str(foundry_home))}",
            f"PYTHONPATH={shlex.quote(os.environ.get('PYTHONPATH', ''))}",
            "TERM=xterm-256color",
            shlex.quote(sys.executable),
            "-m",
            "foundry_tui",
            "--demo",
        ]
    )
    session.run("new-session", "-d", "-s", "app", "-x", "120", "-y", "40", command)
    yield session
    session.run("kill-server")


def test_demo_streams_an_answer_with_usage_and_request_id(tmux):
    tmux.wait_for("demo", "claude-sonnet-4-5", "Ask Claude")
    tmux.run("send-keys", "-t", "app", "Hello there", "Enter")
    tmux.wait_for("Hello there")
    screen = tmux.wait_for("tok/s", "request-id req_", "apim-request-id")
    usage_line = next(line for line in screen.splitlines() if "tok/s" in line)
    for part in ("claude-sonnet-4-5 · ", " in · ", " out · $", "TTFT", "end_turn"):
        assert part in usage_line
    tmux.run("send-keys", "-t", "app", "C-r")
    tmux.wait_for("Copied request ids")
    tmux.run("send-keys", "-t", "app", "C-q")
