"""The multi-line prompt: Enter sends; ctrl+j, alt+enter or a trailing backslash adds a line.

Terminals disagree on modified Enter keys: shift+enter is usually indistinguishable from Enter,
and alt+enter reaches Textual as plain Enter unless the terminal speaks the Kitty keyboard
protocol. ctrl+j (a bare line feed) survives tmux and SSH, and "\\ then Enter" (as in Claude
Code) works in every terminal, so both are offered.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

from foundry_tui.attachments import existing_file


class PromptInput(TextArea):
    BINDINGS = [
        Binding("ctrl+j,alt+enter", "newline", "Newline", key_display="^j"),
    ]

    @dataclass
    class Submitted(Message):
        prompt: PromptInput
        text: str

    @dataclass
    class PathPasted(Message):
        """A file's path was pasted (a file dragged onto the terminal): it attaches instead of being typed."""

        prompt: PromptInput
        path: Path

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus", compact=True)
        self.placeholder = "Ask Claude…   Enter sends · ctrl+j or \\ Enter adds a line"

    def on_key(self, event: events.Key) -> None:
        """Enter sends. This handler runs before TextArea's own (which would insert a newline), and
        `prevent_default` keeps that one from running; every other key goes on to it."""
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            if self._backslash_before_cursor():
                self.replace("\n", (self.cursor_location[0], self.cursor_location[1] - 1), self.cursor_location)
            else:
                self.submit()

    def on_paste(self, event: events.Paste) -> None:
        """Runs before TextArea's paste handler; `prevent_default` keeps a file's path out of the text."""
        if (path := pasted_file(event.text)) is not None:
            event.stop()
            event.prevent_default()
            self.post_message(self.PathPasted(self, path))

    def _backslash_before_cursor(self) -> bool:
        row, column = self.cursor_location
        return column > 0 and self.document.get_line(row)[column - 1] == "\\"

    def submit(self) -> None:
        text = self.text.strip()
        if text:
            self.post_message(self.Submitted(self, text))

    def action_newline(self) -> None:
        self.insert("\n")


def pasted_file(text: str) -> Path | None:
    """The existing file a paste names ('/a/b.png', "'/a/my file.pdf'", '/a/my\\ file.pdf'), else None."""
    text = text.strip()
    if not text or "\n" in text or len(text) > 4096:
        return None
    try:
        words = shlex.split(text)
    except ValueError:
        return None
    return existing_file(words[0]) if len(words) == 1 else None
