"""The multi-line prompt: Enter sends; ctrl+j, alt+enter or a trailing backslash adds a line.

Terminals disagree on modified Enter keys: shift+enter is usually indistinguishable from Enter,
and alt+enter reaches Textual as plain Enter unless the terminal speaks the Kitty keyboard
protocol. ctrl+j (a bare line feed) survives tmux and SSH, and "\\ then Enter" (as in Claude
Code) works in every terminal, so both are offered.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea


class PromptInput(TextArea):
    BINDINGS = [
        Binding("ctrl+j,alt+enter", "newline", "Newline", key_display="^j"),
    ]

    @dataclass
    class Submitted(Message):
        prompt: PromptInput
        text: str

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

    def _backslash_before_cursor(self) -> bool:
        row, column = self.cursor_location
        return column > 0 and self.document.get_line(row)[column - 1] == "\\"

    def submit(self) -> None:
        text = self.text.strip()
        if text:
            self.post_message(self.Submitted(self, text))

    def action_newline(self) -> None:
        self.insert("\n")
