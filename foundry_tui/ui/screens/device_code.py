"""The Entra ID device-code sign-in, shown while azure-identity waits for the user.

Over SSH there is no browser here: the user signs in on any other device, so the address and the
code must be easy to read and to copy, and the time left must always be visible.
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import webbrowser
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from foundry_tui.service.auth import DeviceCodePrompt
from foundry_tui.ui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from foundry_tui.ui.app import FoundryApp

WARN_SECONDS = 60


def utc_now() -> datetime:
    return datetime.now(UTC)


def can_open_browser(environ: Mapping[str, str] = os.environ) -> bool:
    """Only on a local desktop: over SSH a browser would open on the wrong machine, and without a
    display `webbrowser` falls back to a text browser that would take over this terminal."""
    if environ.get("SSH_CONNECTION") or environ.get("SSH_TTY"):
        return False
    return sys.platform in ("darwin", "win32") or bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def countdown(seconds: int) -> str:
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


class DeviceCodeScreen(ModalScreen[None]):
    """Esc only hides this screen: the sign-in goes on in the background until it expires."""

    BINDINGS = [
        Binding("c", "copy_code", "Copy code"),
        Binding("u", "copy_url", "Copy URL"),
        Binding("o", "open_browser", "Open browser"),
        Binding("escape", "dismiss", "Hide", key_display="esc"),
    ]

    DEFAULT_CSS = """
    DeviceCodeScreen {
        align: center middle;

        #device-code-box {
            width: 72;
            max-width: 100%;
            height: auto;
            padding: 1 2;
            border: round $primary;
            border-title-style: bold;
            background: $surface;
        }
        .step {
            color: $text-muted;
        }
        #device-code-url {
            margin: 0 0 1 2;
            color: $accent;
            text-style: bold underline;
        }
        #device-code {
            width: auto;
            margin: 0 0 1 2;
            padding: 1 4;
            background: $primary 25%;
            color: $text;
            text-style: bold;
        }
        #device-code-countdown {
            color: $text;
        }
        #device-code-countdown.-soon {
            color: $warning;
        }
        #device-code-countdown.-expired {
            color: $error;
            text-style: bold;
        }
        #device-code-help, #device-code-kept {
            margin-top: 1;
            color: $text-muted;
        }
    }
    """

    app: FoundryApp

    def __init__(self, prompt: DeviceCodePrompt, *, clock: Callable[[], datetime] = utc_now) -> None:
        """`clock` is for tests, which need a countdown that does not move."""
        super().__init__()
        self.prompt = prompt
        self._clock = clock
        self.time_left = Static(id="device-code-countdown")

    def compose(self) -> ComposeResult:
        with Vertical(id="device-code-box") as box:
            box.border_title = "Sign in to Microsoft Entra ID"
            yield Static("On any device (this one, a phone, a laptop), open", classes="step")
            yield Static(self.prompt.verification_uri, id="device-code-url", markup=False)
            yield Static("and enter the code", classes="step")
            yield Static(self.prompt.user_code, id="device-code", markup=False)
            yield self.time_left
            if self.prompt.kept:
                yield Static(self.prompt.kept, id="device-code-kept", markup=False)
            yield Static(
                "The request carries on by itself once you have signed in. "
                "Esc hides this; the sign-in keeps waiting in the background, and F8 shows it again.",
                id="device-code-help",
            )
        yield KeyBar()

    def on_mount(self) -> None:
        self._ticker = self.set_interval(1, self.show_time_left)
        self.show_time_left()

    def seconds_left(self) -> int:
        return max(0, math.ceil((self.prompt.expires_on - self._clock()).total_seconds()))

    def show_time_left(self) -> None:
        left = self.seconds_left()
        label = self.time_left
        label.set_class(0 < left <= WARN_SECONDS, "-soon")
        label.set_class(left == 0, "-expired")
        if left:
            label.update(f"The code expires in {countdown(left)}")
            return
        label.update("The code has expired. Press esc and try again for a new code.")
        self._ticker.stop()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_browser":
            return can_open_browser()
        return True

    def action_copy_code(self) -> None:
        self.app.copy_with_notice(self.prompt.user_code, "sign-in code")

    def action_copy_url(self) -> None:
        self.app.copy_with_notice(self.prompt.verification_uri, "sign-in address")

    @work(exclusive=True, exit_on_error=False)
    async def action_open_browser(self) -> None:
        if not await asyncio.to_thread(webbrowser.open, self.prompt.verification_uri):
            self.notify("No browser could be opened: copy the address with u.", severity="warning")
