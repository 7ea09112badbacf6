"""`foundry-tui --demo` in a real terminal: tmux types a prompt, the screen shows the answer."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")


class Tmux:
    """One private tmux server (its own socket), so no user session or environment leaks in."""

    def __init__(self, name: str) -> None:
        self.socket = f"foundry-tui-test-{os.getpid()}-{name}"
        self.running = False

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


    def launch(self, home, *args: str, **env: str) -> None:
        """foundry-tui with these arguments in a 120x40 pane, the session's environment made explicit."""
        variables = {
            "FOUNDRY_TUI_HOME": str(home),
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
            "PYTHON_KEYRING_BACKEND": os.environ.get("PYTHON_KEYRING_BACKEND", ""),
            "TERM": "xterm-256color",
            **env,
        }
        command = " ".join(
            ["env", "-u", "COLUMNS", "-u", "LINES"]  # Textual prefers these to the terminal's real size
            + [f"{name}={shlex.quote(value)}" for name, value in variables.items()]
            + [shlex.quote(sys.executable), "-m", "foundry_tui", *args]
        )
        if self.running:
            self.run("respawn-pane", "-k", "-t", "app", command)
        else:
            self.run("new-session", "-d", "-s", "app", "-x", "120", "-y", "40", command)
            self.run("set-option", "-t", "app", "remain-on-exit", "on")  # a killed app must not end the session
            self.running = True

    def app_pid(self) -> int:
        return int(self.run("display-message", "-p", "-t", "app", "#{pane_pid}").strip())


@pytest.fixture
def tmux():
    session = Tmux("app")
    yield session
    if session.running:  # the server may be gone already with its last pane
        subprocess.run(["tmux", "-L", session.socket, "kill-server"], capture_output=True)


def test_demo_streams_an_answer_with_usage_and_request_id(tmux, foundry_home):
    tmux.launch(foundry_home, "--demo")
    tmux.wait_for("demo", "claude-sonnet-4-5", "Ask Claude")
    tmux.run("send-keys", "-t", "app", "Hello there", "Enter")
    tmux.wait_for("Hello there")
    screen = tmux.wait_for("tok/s", "request-id: req_", "apim-request-id: ")
    usage_line = next(line for line in screen.splitlines() if "tok/s" in line)
    for part in ("claude-sonnet-4-5 · ", " in · ", " out · $", "TTFT", "end_turn"):
        assert part in usage_line
    tmux.run("send-keys", "-t", "app", "C-r")
    tmux.wait_for("Copied request ids")
    tmux.run("send-keys", "-t", "app", "C-q")


def test_kill_9_mid_answer_then_restart_shows_the_partial_answer_and_its_ids(tmux, foundry_home):
    from foundry_tui.emulator import EmulatorConfig, EmulatorThread

    with EmulatorThread(EmulatorConfig(port=0, pace=40)) as emulator:
        env = {"ANTHROPIC_FOUNDRY_BASE_URL": emulator.base_url, "ANTHROPIC_FOUNDRY_API_KEY": emulator.api_key}
        tmux.launch(foundry_home, **env)
        tmux.wait_for("env", "claude-sonnet-4-5", "Ask Claude")
        tmux.run("send-keys", "-t", "app", "Write a long report", "Enter")
        screen = tmux.wait_for("streaming…", "request-id: req_")
        request_id = screen.split("request-id: ")[1].split()[0]
        time.sleep(2.5)  # a couple of checkpoints
        os.kill(tmux.app_pid(), signal.SIGKILL)
        tmux.launch(foundry_home, **env)
        screen = tmux.wait_for("interrupted", f"request-id: {request_id}", "Retry (F5)")
        assert "Write a long report" in screen
