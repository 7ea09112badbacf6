"""One exchange in the chat: the prompt, optional thinking, the streamed reply, and its footer.

Deltas are flushed to the screen at most once a frame (~30 fps), so a fast stream costs one render
per frame rather than one per token; while more than a screenful comes a frame, the reply is drawn
as a plain-text draft until it slows down. Text that comes after a quiet frame, the first token
above all, is flushed at once rather than a frame later.
`flush()` always runs at the end of a turn, so no token is ever left behind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import constants
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Collapsible, Static

from foundry_tui.attachments import Attachment
from foundry_tui.config.profile import Price
from foundry_tui.format import request_ids
from foundry_tui.safetext import terminal_line, terminal_text
from foundry_tui.session.chat import REFUSAL_NOTE
from foundry_tui.ui.format import partial_footer, turn_footer
from foundry_tui.ui.widgets.attachments import attachment_line
from foundry_tui.ui.widgets.markdown_view import MarkdownView
from foundry_tui.ui.widgets.problem import ProblemView

if TYPE_CHECKING:  # the service layer loads with the first turn, not at start-up
    from textual.timer import Timer

    from foundry_tui.service.auth import DeviceCodePrompt
    from foundry_tui.service.errors import FoundryError
    from foundry_tui.service.events import RetryScheduled
    from foundry_tui.service.messages import TurnResult, Usage

FRAME = 1 / 30
# Text waits one screen period (1/TEXTUAL_FPS) before it is flushed, about what it would wait for
# its frame anyway, so that a flood arriving right behind the first words is seen as one: its
# first frame is already a draft, and nothing is rendered that would scroll past unseen.
GATHER = 1 / constants.MAX_FPS
# A frame that brings more than a screenful of text scrolls it past unread: until the stream slows
# down, the reply is drawn as a draft (see MarkdownView.drafting).
FLOOD_CHARS = 4_000


class TurnView(Vertical, can_focus=True):
    """States: streaming → done | failed | cancelled."""

    @dataclass
    class RetryRequested(Message):
        turn: TurnView

    def __init__(
        self,
        prompt: str,
        deployment: str,
        *,
        prices: dict[str, Price] | None = None,
        reply: str = "",
        thinking: str = "",
        state: str = "streaming",
        result: TurnResult | None = None,
        error: FoundryError | None = None,
        attachments: list[Attachment] | None = None,
    ) -> None:
        """A new turn streams; one from history passes its reply, thinking, final state, result and error."""
        super().__init__(classes="turn")
        self.prompt = prompt
        self.attachments = attachments or []  # sent with the prompt, and again by a retry
        self.deployment = deployment
        self.state = state
        self.result = result
        self.error = error
        self.request_id = result.request_id if result else None
        self.apim_request_id = result.apim_request_id if result else None
        self.usage_seen: Usage | None = None  # the last usage the stream reported: a cancelled turn shows it
        self._prices = prices or {}
        self._text: list[str] = [reply] if reply else []  # everything received, for copy and history
        self._pending_text: list[str] = []
        self._pending_chars = 0
        self._thinking: list[str] = [thinking] if thinking else []
        self._pending_thinking = bool(thinking)
        self._flush_timer: Timer | None = None
        self._flushed_at = 0.0  # time.monotonic() of the last flush
        self._retry_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        if self.attachments:
            yield attachment_line(self.attachments)
        yield Static(terminal_text(self.prompt), classes="user-prompt", markup=False)
        yield MarkdownView(self.reply_source, classes="reply")
        yield Static("waiting for the first token…", classes="turn-status")
        yield Static(classes="turn-footer", markup=False)

    def on_mount(self) -> None:
        if self.state != "streaming":
            self.flush()  # a turn from history: its thinking, collapsed
            self._show_outcome()

    # -- what the chat screen feeds in -------------------------------------------------------

    def set_ids(self, request_id: str | None, apim_request_id: str | None) -> None:
        self.request_id = request_id
        self.apim_request_id = apim_request_id
        self._status(f"streaming…  {self.ids_text()}")

    def waiting_for_sign_in(self, prompt: DeviceCodePrompt, key: str) -> None:
        """The code stays on the turn: the sign-in screen can be hidden, and the code is needed elsewhere."""
        uri, code = terminal_line(prompt.verification_uri), terminal_line(prompt.user_code)
        status = self.query_one(".turn-status", Static)
        status.update(Content(f"waiting for you to sign in: open {uri} and enter {code} · {key} shows it again"))
        status.display = True

    def add_text(self, text: str) -> None:
        self._text.append(text)
        self._pending_text.append(text)
        self._pending_chars += len(text)
        if self._pending_chars > FLOOD_CHARS:  # what the next frame draws is already overtaken
            self.query_one(MarkdownView).drafting = True
        self._schedule_flush()

    def add_thinking(self, text: str) -> None:
        self._thinking.append(text)
        self._pending_thinking = True
        self._schedule_flush()

    def retry_scheduled(self, event: RetryScheduled) -> None:
        """Count the wait down on screen: "retrying in 2 s (429 rate limit)"."""
        remaining = [event.delay]

        def tick() -> None:
            self._status(f"retrying in {max(remaining[0], 0):.0f} s ({event.reason}), attempt {event.attempt}")
            remaining[0] -= 1

        self._stop_retry_timer()
        tick()
        if event.delay >= 1:
            self._retry_timer = self.set_interval(1, tick, repeat=int(event.delay))

    def finished(self, result: TurnResult) -> None:
        self._end("done", result, None)

    def failed(self, error: FoundryError, result: TurnResult | None) -> None:
        self._end("failed", result, error)

    def cancelled(self) -> None:
        self._end("cancelled", None, None)

    # -- reading back ------------------------------------------------------------------------

    @property
    def reply_source(self) -> str:
        return "".join(self._text)

    def ids_text(self) -> str:
        return request_ids(self.request_id, self.apim_request_id)

    # -- internals ---------------------------------------------------------------------------

    def _end(self, state: str, result: TurnResult | None, error: FoundryError | None) -> None:
        self.state = state
        self.error = error
        self._stop_retry_timer()
        self.flush()
        self.query_one(MarkdownView).finish()
        self.remove_class("streaming")
        if result is not None:
            self.result = result
            self.request_id = result.request_id or self.request_id
            self.apim_request_id = result.apim_request_id or self.apim_request_id
        self._show_outcome()

    def _show_outcome(self) -> None:
        """The footer, the error panel or the cancelled/interrupted note of a finished turn."""
        notes = {
            "cancelled": "⊘ cancelled — the partial reply is kept",
            "interrupted": "⊘ interrupted — the app stopped before this reply finished; what arrived is kept",
        }
        result = self.result
        refused = self.state == "done" and result is not None and result.stop_reason == "refusal"
        self._status(REFUSAL_NOTE if refused else notes.get(self.state, ""))
        lines = []
        if result is not None and result.status and result.status < 400:
            lines.append(terminal_line(turn_footer(result, self._prices)))
        elif self.state == "cancelled" and self.usage_seen is not None:
            lines.append(partial_footer(self.deployment, self.usage_seen, self._prices))
        if result is not None:
            lines.extend(f"⚠ {terminal_line(warning)}" for warning in result.warnings)
        ids = self.ids_text()
        if ids and self.error is None:  # the error panel shows them itself
            lines.append(ids)
        footer = self.query_one(".turn-footer", Static)
        footer.update("\n".join(lines))
        footer.display = bool(lines)
        if self.error is not None:
            self.mount(ProblemView(self.error, classes="error-panel"), before=footer)
        if self.state in ("failed", "cancelled", "interrupted") and not self.query(".retry-button"):
            self.mount(Button("Retry (F5)", variant="warning", classes="retry-button", compact=True), before=footer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.RetryRequested(self))

    def _status(self, text: str) -> None:
        status = self.query_one(".turn-status", Static)
        status.update(text)
        status.display = bool(text)

    def _schedule_flush(self) -> None:
        if self._flush_timer is not None:
            return
        wait = max(self._flushed_at + FRAME - time.monotonic(), GATHER)
        self._flush_timer = self.set_timer(wait, self.flush)

    def flush(self) -> None:
        """Move buffered deltas to the screen (called by the frame clock and at the end)."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        self._flushed_at = time.monotonic()
        if self._pending_thinking:
            self._pending_thinking = False
            self._thinking_view().update(terminal_text("".join(self._thinking)))
        text = "".join(self._pending_text)
        flooding = len(text) > FLOOD_CHARS
        view = self.query_one(MarkdownView)
        view.drafting = flooding
        if text:
            self._pending_text.clear()
            self._pending_chars = 0
            view.append(text)
        if flooding and self.state == "streaming":  # the clock ticks on: the draft ends a frame after the flood
            self._flush_timer = self.set_timer(FRAME, self.flush)

    def _thinking_view(self) -> Static:
        existing = self.query(".thinking-text")
        if existing:
            return existing.first(Static)
        text = Static(classes="thinking-text", markup=False)
        self.mount(Collapsible(text, title="Thinking", collapsed=True), before=self.query_one(MarkdownView))
        return text

    def _stop_retry_timer(self) -> None:
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None

    def toggle_thinking(self) -> None:
        for collapsible in self.query(Collapsible):
            collapsible.collapsed = not collapsible.collapsed

