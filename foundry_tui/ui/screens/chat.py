"""The chat view: the conversation log, the prompt, and the streaming worker.

The worker is an async Textual worker on the app's event loop; it only consumes typed events from
the service layer and hands them to the turn's widget, which buffers them until the next frame.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from foundry_tui.config.profile import ConfigError
from foundry_tui.safetext import terminal_line
from foundry_tui.service.pricing import format_cost
from foundry_tui.ui.format import tokens, turn_cost
from foundry_tui.ui.widgets.markdown_view import MarkdownView
from foundry_tui.ui.widgets.prompt import PromptInput
from foundry_tui.ui.widgets.turn import TurnView

if TYPE_CHECKING:  # the service layer loads with the first turn; the store after the first frame
    from foundry_tui.service.errors import FoundryError
    from foundry_tui.service.messages import MessageRequest, TurnResult
    from foundry_tui.store.conversations import Conversation
    from foundry_tui.store.recorder import TurnRecorder
    from foundry_tui.ui.app import FoundryApp

WELCOME = (
    "Type a prompt and press Enter.  ctrl+j (or \\ then Enter) adds a line · Esc cancels a reply · "
    "ctrl+o picks the deployment · F1 lists every key."
)


class StatusBar(Static):
    """Profile, deployment and session totals: always visible at the top."""


class ChatScreen(Screen):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", key_display="esc"),
        Binding("ctrl+r", "copy_ids", "Copy ids", key_display="^r"),
        Binding("ctrl+g", "copy_reply", "Copy reply", key_display="^g"),
        Binding("ctrl+o,f2", "app.pick_deployment", "Deployment", key_display="^o"),
        Binding("ctrl+n", "new_chat", "New chat", key_display="^n"),
        Binding("ctrl+b", "follow", "Bottom", key_display="^b"),
        Binding("f5", "retry", "Retry", show=False),
        Binding("f4", "chat_settings", "Settings", show=False),
        Binding("ctrl+t", "toggle_thinking", "Thinking", show=False),
        Binding("pageup", "scroll_log('scroll_page_up')", "Page up", show=False, priority=True),
        Binding("pagedown", "scroll_log('scroll_page_down')", "Page down", show=False, priority=True),
        Binding("ctrl+home", "scroll_log('scroll_home')", "Top", show=False, priority=True),
        Binding("ctrl+end", "follow", "Bottom", show=False, priority=True),
    ]

    app: FoundryApp

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict[str, Any]] = []  # the conversation sent to the API
        self.conversation_id: str | None = None  # where the history saves the next turn
        self.system: str | None = None
        self.max_tokens: int | None = None
        self.temperature: float | None = None
        self.thinking_budget: int | None = None
        self.session_cost = 0.0
        self.session_input = 0
        self.session_output = 0

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar", markup=False)
        with VerticalScroll(id="chat-log"):
            yield Static(WELCOME, id="welcome", markup=False)
        yield PromptInput(id="prompt")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(PromptInput).focus()
        self.refresh_status()

    # -- status ------------------------------------------------------------------------------

    def refresh_status(self) -> None:
        app = self.app
        profile = app.profile.name if app.profile else "no profile"
        deployment = app.deployment or "no deployment"
        totals = f"{tokens(self.session_input)} in · {tokens(self.session_output)} out · {format_cost(self.session_cost)}"
        self.query_one(StatusBar).update(terminal_line(f"◆ {profile}  ›  {deployment}") + f"      session {totals}")

    # -- sending -----------------------------------------------------------------------------

    @on(PromptInput.Submitted)
    def send(self, event: PromptInput.Submitted) -> None:
        if self.streaming_turn() is not None:
            self.notify("A reply is still streaming: press Esc to cancel it first.", severity="warning")
            return
        event.prompt.clear()
        self.start_turn(event.text)

    def start_turn(self, prompt: str) -> TurnView | None:
        app = self.app
        if app.profile is None or app.deployment is None:
            self.notify("Set up a profile and pick a deployment first (F3, ctrl+o).", severity="error")
            return None
        self.messages.append({"role": "user", "content": prompt})
        turn = TurnView(prompt, app.deployment, prices=app.profile.prices)
        turn.add_class("streaming")
        log = self.query_one("#chat-log", VerticalScroll)
        log.mount(turn)
        log.scroll_end(animate=False)
        log.anchor()
        self.stream_turn(turn, self.build_request(app.deployment))
        return turn

    def build_request(self, deployment: str) -> MessageRequest:
        from foundry_tui.service.messages import MessageRequest

        defaults = self.app.profile.defaults
        temperature = self.temperature if self.temperature is not None else defaults.temperature
        return MessageRequest(
            model=deployment,
            messages=list(self.messages),
            max_tokens=self.max_tokens or defaults.max_tokens,
            system=self.system if self.system is not None else defaults.system,
            temperature=None if self.thinking_budget else temperature,  # the API rejects both together
            thinking_budget=self.thinking_budget,
        )

    @work(exclusive=True, group="turn", exit_on_error=False)
    async def stream_turn(self, turn: TurnView, request: MessageRequest) -> None:
        from foundry_tui.service.errors import SetupError
        from foundry_tui.service.events import Done, Failed, ResponseStarted, RetryScheduled, TextDelta, ThinkingDelta

        try:
            client = self.app.client()
        except ConfigError as error:
            self.turn_failed(turn, SetupError(str(error), hint=error.hint), None)
            return
        recorder = await self.start_recording(turn.prompt, request)
        outcome: tuple[TurnResult | None, FoundryError | None] = (None, None)
        try:
            async with aclosing(client.stream(request)) as events:
                async for event in events:
                    if recorder is not None:
                        recorder.feed(event)
                    kind = type(event)
                    if kind is TextDelta:
                        turn.add_text(event.text)
                    elif kind is ThinkingDelta:
                        turn.add_thinking(event.thinking)
                    elif kind is ResponseStarted:
                        self.app.close_device_code()
                        turn.set_ids(event.request_id, event.apim_request_id)
                    elif kind is RetryScheduled:
                        turn.retry_scheduled(event)
                    elif kind is Done:
                        outcome = (event.result, None)
                        self.turn_done(turn, event.result)
                    elif kind is Failed:
                        outcome = (event.result, event.error)
                        self.app.close_device_code()
                        self.turn_failed(turn, event.error, event.result)
        except asyncio.CancelledError:
            saving = None
            if recorder is not None:  # saved even when the app is quitting: it waits for this
                saving = self.app.finish_before_exit(self.finish_recording(recorder, None, None, cancelled=True))
            if turn.is_attached:  # not when the app is closing around it
                turn.cancelled()
                self.keep_partial_reply(turn)
            if saving is not None:
                await asyncio.shield(saving)
            raise
        if recorder is not None:
            await self.finish_recording(recorder, *outcome)

    async def start_recording(self, prompt: str, request: MessageRequest) -> TurnRecorder | None:
        """Save the prompt before the request goes out; the turn joins the open conversation."""
        from foundry_tui.store.errors import StoreError
        from foundry_tui.store.usage import RequestContext

        store = await self.app.history()
        if store is None or self.app.profile is None:
            return None
        context = RequestContext.for_profile("chat", self.app.profile, request.model)
        try:
            recorder = await store.start_turn(prompt, context, conversation_id=self.conversation_id, system=request.system)
        except StoreError as error:
            self.notify(f"{error}", title="This turn is not saved", severity="warning")
            return None
        self.conversation_id = recorder.conversation_id
        return recorder

    async def finish_recording(
        self, recorder: TurnRecorder, result: TurnResult | None, error: FoundryError | None, *, cancelled: bool = False
    ) -> None:
        from foundry_tui.store.errors import StoreError

        try:
            await recorder.finish(result, error, cancelled=cancelled)
        except StoreError as failure:
            self.notify(f"{failure}", title="This turn is not saved", severity="warning")

    def turn_done(self, turn: TurnView, result: TurnResult) -> None:
        turn.finished(result)
        self.messages.append({"role": "assistant", "content": [block.to_dict() for block in result.content]})
        self.add_to_totals(result)

    def turn_failed(self, turn: TurnView, error: FoundryError, result: TurnResult | None) -> None:
        turn.failed(error, result)
        if result is not None:
            self.add_to_totals(result)
        self.keep_partial_reply(turn)

    def keep_partial_reply(self, turn: TurnView) -> None:
        """The API needs alternating roles: keep a partial reply, or drop the unanswered prompt."""
        if turn.reply_source.strip():
            self.messages.append({"role": "assistant", "content": turn.reply_source})
        elif self.messages and self.messages[-1]["role"] == "user":
            self.messages.pop()

    def add_to_totals(self, result: TurnResult) -> None:
        self.session_input += result.usage.input_tokens
        self.session_output += result.usage.output_tokens
        self.session_cost += turn_cost(result, self.app.profile.prices if self.app.profile else {}) or 0.0
        self.refresh_status()

    # -- history -----------------------------------------------------------------------------

    async def open_conversation(self, conversation_id: str) -> None:
        """Resume a saved conversation: its turns on screen, its messages as the context."""
        store = await self.app.history()
        if store is None:
            self.notify("History is off, so there is nothing to open.", severity="warning")
            return
        await self.show_conversation(await store.call(lambda s: s.conversations.load(conversation_id)))

    async def show_conversation(self, conversation: Conversation) -> None:
        from foundry_tui.ui.history import turns_of

        self.action_cancel()
        log = self.query_one("#chat-log", VerticalScroll)
        await log.remove_children(TurnView)
        self.messages = conversation.context_messages()
        self.conversation_id = conversation.id
        self.system = conversation.system
        prices = self.app.profile.prices if self.app.profile else {}
        await self.show_turns(turns_of(conversation, prices))

    async def show_turns(self, turns: list[TurnView]) -> None:
        """Mount finished turns (a resumed conversation); their replies render lazily."""
        log = self.query_one("#chat-log", VerticalScroll)
        with self.app.batch_update():
            await log.mount_all(turns)
        self.call_after_refresh(log.anchor)  # at the newest turn, and staying there as replies above render
        self.call_after_refresh(self.prerender_history)

    @work(exclusive=True, group="prerender")
    async def prerender_history(self) -> None:
        """Render lazy replies newest first, one per idle moment, so scrolling up finds them ready."""
        for view in reversed(self.query(MarkdownView).nodes):
            if not view.is_rendered:
                view.ensure_rendered()
                await asyncio.sleep(0.002)

    # -- actions -----------------------------------------------------------------------------

    def streaming_turn(self) -> TurnView | None:
        turns = self.query(TurnView)
        last = turns.last() if turns else None
        return last if last is not None and last.state == "streaming" else None

    def current_turn(self) -> TurnView | None:
        """The focused turn, else the newest one."""
        focused = self.focused
        if isinstance(focused, TurnView):
            return focused
        turns = self.query(TurnView)
        return turns.last() if turns else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.streaming_turn() is not None
        return True

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "turn")

    def action_copy_ids(self) -> None:
        turn = self.current_turn()
        if turn is None or not turn.ids_text():
            self.notify("No request ids yet: they arrive with the first response.", severity="warning")
            return
        both = "\n".join(filter(None, [f"request-id: {turn.request_id}" if turn.request_id else "",
                                        f"apim-request-id: {turn.apim_request_id}" if turn.apim_request_id else ""]))
        self.app.copy_with_notice(both, "request ids")

    def copy_one_id(self, attribute: str) -> None:
        turn = self.current_turn()
        value = getattr(turn, attribute) if turn is not None else None
        label = attribute.replace("_", "-")
        if not value:
            self.notify(f"No {label} on this turn.", severity="warning")
            return
        self.app.copy_with_notice(value, label)

    def action_copy_reply(self) -> None:
        turn = self.current_turn()
        if turn is None or not turn.reply_source:
            self.notify("No reply to copy yet.", severity="warning")
            return
        self.app.copy_with_notice(turn.reply_source, "the reply's Markdown", show=False)

    def action_new_chat(self) -> None:
        self.action_cancel()
        self.messages.clear()
        self.conversation_id = None
        self.system = None
        log = self.query_one("#chat-log", VerticalScroll)
        log.remove_children(TurnView)
        self.session_cost = 0.0
        self.session_input = self.session_output = 0
        self.refresh_status()
        self.query_one(PromptInput).focus()
        self.notify("New conversation")

    def action_follow(self) -> None:
        log = self.query_one("#chat-log", VerticalScroll)
        log.scroll_end(animate=False)
        log.anchor()

    def action_scroll_log(self, method: str) -> None:
        """Instant, not animated: a terminal should answer paging keys at once."""
        log = self.query_one("#chat-log", VerticalScroll)
        getattr(log, method)(animate=False)

    def action_retry(self) -> None:
        turn = self.current_turn()
        if turn is not None and turn.state in ("failed", "cancelled", "interrupted"):
            self.retry(turn)

    @on(TurnView.RetryRequested)
    def on_retry_requested(self, event: TurnView.RetryRequested) -> None:
        self.retry(event.turn)

    def retry(self, turn: TurnView) -> None:
        """Send the failed prompt again as a new turn at the end of the log."""
        if self.streaming_turn() is not None:
            self.notify("Wait for the current reply, or press Esc.", severity="warning")
            return
        if turn is self.query(TurnView).last() and turn.reply_source.strip():
            del self.messages[-2:]  # the prompt and the partial reply kept for context
        self.start_turn(turn.prompt)

    def action_toggle_thinking(self) -> None:
        turn = self.current_turn()
        if turn is not None:
            turn.toggle_thinking()

    def action_chat_settings(self) -> None:
        self.app.open_chat_settings(self)
