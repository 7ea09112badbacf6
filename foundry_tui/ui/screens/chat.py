"""The chat view: the conversation log, the prompt, and the streaming worker.

The conversation's rules live in `ChatSession` and its turn loop in `run_turn()` (shared with
`ask`). The worker is an async Textual worker on the app's event loop; it only renders the events
`run_turn()` yields (a list per network read) into the turn's widget, which buffers them until the
next frame.
"""

from __future__ import annotations

import asyncio
import re
from contextlib import aclosing
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from foundry_tui.attachments import Attachment, AttachmentError, existing_file, load_attachment
from foundry_tui.config.profile import ConfigError
from foundry_tui.format import savings, tokens, total_cost
from foundry_tui.safetext import terminal_line
from foundry_tui.session.chat import ChatSession
from foundry_tui.ui.format import turn_cost, turn_savings
from foundry_tui.ui.heap import freeze_long_lived, release_removed
from foundry_tui.ui.widgets.attachments import AttachmentChips
from foundry_tui.ui.widgets.key_bar import KeyBar
from foundry_tui.ui.widgets.markdown_view import MarkdownView
from foundry_tui.ui.widgets.problem import problem_notice
from foundry_tui.ui.widgets.prompt import PromptInput
from foundry_tui.ui.widgets.turn import TurnView

if TYPE_CHECKING:  # the service layer loads with the first turn; the store after the first frame
    from foundry_tui.config.profile import Profile
    from foundry_tui.service.errors import FoundryError
    from foundry_tui.service.messages import TurnResult
    from foundry_tui.session.turn import TurnEvent
    from foundry_tui.store.conversations import Conversation
    from foundry_tui.store.errors import StoreError
    from foundry_tui.ui.app import FoundryApp

AT_PATH = re.compile(r"(?:^|(?<=\s))@(\S+)[ \t]?")  # `@notes.md` in a prompt attaches that file
WELCOME = "Enter sends your prompt · ctrl+o picks the deployment · F1 lists every key"
NEW_TEXT_BELOW = "▼ new text below · ctrl+b"
PRERENDER_STEP = 0.01  # seconds of rendering per idle moment: keys and frames stay prompt


class StatusBar(Static):
    """Profile, deployment and session totals: always visible at the top."""


class ChatScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", key_display="esc"),
        Binding("ctrl+r", "copy_ids", "Copy ids", key_display="^r"),
        Binding("ctrl+g", "copy_reply", "Copy reply", key_display="^g"),
        Binding("ctrl+o,f2", "app.pick_deployment", "Deployment", key_display="^o"),
        Binding("ctrl+n", "new_chat", "New chat", key_display="^n"),
        Binding("ctrl+b", "follow", "Bottom", key_display="^b"),
        Binding("f5", "retry", "Retry", show=False),
        Binding("f9", "attach", "Attach", show=False, priority=True),
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
        self.session = ChatSession()  # the messages, the settings and the conversation id
        self.session_cost = 0.0
        self.session_unpriced = 0  # turns the price table does not know: the total leaves them out
        self.session_savings = 0.0  # what prompt caching saved in this chat (priced turns only)
        self.session_input = 0
        self.session_output = 0

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar", markup=False)
        with VerticalScroll(id="chat-log"):
            yield Static(WELCOME, id="welcome", markup=False)
        yield Static(NEW_TEXT_BELOW, id="new-text-below", markup=False)
        yield AttachmentChips(id="attachment-chips")
        yield PromptInput(id="prompt")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(PromptInput).focus()
        self.refresh_status()
        log = self.query_one("#chat-log", VerticalScroll)
        self.watch(log, "scroll_y", self.show_new_text_below, init=False)
        self.watch(log, "virtual_size", self.show_new_text_below, init=False)

    # -- status ------------------------------------------------------------------------------

    def refresh_status(self) -> None:
        app = self.app
        profile = app.profile.name if app.profile else "no profile"
        deployment = app.deployment or "no deployment"
        totals = f"{tokens(self.session_input)} in · {tokens(self.session_output)} out · {total_cost(self.session_cost, self.session_unpriced)}"
        if self.session_savings:
            totals += f" · saved {savings(self.session_savings)}"
        self.query_one(StatusBar).update(terminal_line(f"◆ {profile}  ›  {deployment}") + f"      session {totals}")

    # -- sending -----------------------------------------------------------------------------

    @on(PromptInput.Submitted)
    async def send(self, event: PromptInput.Submitted) -> None:
        if self.streaming_turn() is not None:
            self.notify("A reply is still streaming: press Esc to cancel it first.", severity="warning")
            return
        prompt = await self.attach_at_paths(event.text)
        if prompt is None:  # a file could not go: nothing is sent, the prompt stays as typed
            return
        if not prompt:
            self.notify("The files are attached: now type the prompt that goes with them.")
            event.prompt.clear()
            return
        event.prompt.clear()
        self.start_turn(prompt, self.query_one(AttachmentChips).take())

    async def attach_at_paths(self, text: str) -> str | None:
        """Attach every `@path` naming a file and return the prompt without them; None if one is refused."""
        named = {match.group(1): existing_file(match.group(1)) for match in AT_PATH.finditer(text)}
        files = {name: path for name, path in named.items() if path is not None}
        for path in files.values():
            if not await self.attach(path):
                return None
        if not files:
            return text
        return AT_PATH.sub(lambda match: "" if match.group(1) in files else match.group(0), text).strip()

    async def attach(self, path: Path) -> bool:
        """Read a file off the event loop and add its chip; a refusal is said, and nothing changes."""
        try:
            attachment = await load_attachment(path)
            self.query_one(AttachmentChips).add(attachment)
        except AttachmentError as problem:
            self.notify(problem_notice(problem), title="Not attached", severity="error", markup=False)
            return False
        return True

    def action_attach(self) -> None:
        from foundry_tui.ui.screens.attach_file import AttachFileScreen

        def picked(path: Path | None) -> None:
            if path is not None:
                self.run_worker(self.attach(path), group="attach")

        self.app.push_screen(AttachFileScreen(), picked)

    @on(PromptInput.PathPasted)
    def path_pasted(self, event: PromptInput.PathPasted) -> None:
        self.run_worker(self.attach(event.path), group="attach")

    def start_turn(self, prompt: str, attachments: list[Attachment] | None = None) -> TurnView | None:
        app = self.app
        if app.profile is None or app.deployment is None:
            self.notify("Set up a profile and pick a deployment first (F3, ctrl+o).", severity="error")
            return None
        turn = TurnView(prompt, app.deployment, prices=app.profile.prices, attachments=attachments)
        turn.add_class("streaming")
        log = self.query_one("#chat-log", VerticalScroll)
        log.mount(turn)
        log.scroll_end(animate=False)
        log.anchor()
        self.stream_turn(turn, app.profile, app.deployment)
        self.refresh_bindings()  # esc cancels now
        return turn

    @work(exclusive=True, group="turn", exit_on_error=False)
    async def stream_turn(self, turn: TurnView, profile: Profile, deployment: str) -> None:
        """Render the events of one `run_turn()`; whatever happens, the turn does not stay streaming."""
        from foundry_tui.service.errors import SetupError, StreamError
        from foundry_tui.service.events import TextDelta
        from foundry_tui.service.messages import TurnResult
        from foundry_tui.session.turn import BUG_HINT, run_turn

        try:
            client = self.app.client(profile)
        except ConfigError as error:
            self.turn_failed(turn, SetupError(str(error), hint=error.hint), None)
            return
        try:
            history = await self.app.history()
            events = run_turn(
                self.session, turn.prompt, client=client, profile=profile, deployment=deployment,
                history=history, source="chat", detach=self.app.finish_before_exit, attachments=turn.attachments,
                on_cancel_not_saved=self.say_not_saved,
            )  # fmt: skip
            async with aclosing(events):
                async for batch in events:
                    # the client joins a read's text deltas: one add per read, however many tokens
                    if text := [event.text for event in batch if type(event) is TextDelta]:
                        turn.add_text("".join(text))
                    for event in batch:
                        if type(event) is not TextDelta:
                            self.show_event(turn, event)
            self.call_after_refresh(self.prerender_history)  # what streamed past unseen, after the last frame
        except asyncio.CancelledError:
            if turn.is_attached and turn.state == "streaming":  # not when the app is closing around it,
                # nor when the next turn cancels this one while its reply is being written
                turn.cancelled()
                if turn.usage_seen is not None:  # billed up to the cancel
                    self.add_to_totals(TurnResult(deployment=deployment, usage=turn.usage_seen))
            raise
        except Exception as bug:  # a rendering bug: the turn was saved as cancelled; say it failed
            if turn.state == "streaming":
                self.turn_failed(turn, StreamError(f"the reply could not be shown ({type(bug).__name__})", hint=BUG_HINT), None)
        finally:
            if self.is_attached:
                self.refresh_bindings()  # esc has nothing to cancel any more
                self.show_new_text_below()

    def show_event(self, turn: TurnView, event: TurnEvent) -> None:
        """Every event but text deltas, which the worker adds a batch at a time (text first, so an
        ending comes after the text before it)."""
        from foundry_tui.service.events import (
            Done,
            Failed,
            ResponseStarted,
            RetryScheduled,
            ThinkingDelta,
            UsageUpdated,
        )
        from foundry_tui.session.turn import HistoryWarning

        match event:
            case ThinkingDelta(thinking=thinking):
                turn.add_thinking(thinking)
            case ResponseStarted(request_id=request_id, apim_request_id=apim_request_id):
                self.app.close_device_code()
                turn.set_ids(request_id, apim_request_id)
            case RetryScheduled():
                turn.retry_scheduled(event)
            case UsageUpdated(usage=usage):
                turn.usage_seen = usage
            case HistoryWarning(error=error):
                self.say_not_saved(error)
            case Done(result=result):
                self.turn_done(turn, result)
            case Failed(error=error, result=result):
                self.app.close_device_code()
                self.turn_failed(turn, error, result)

    def say_not_saved(self, error: StoreError) -> None:
        self.app.notify(problem_notice(error), title="This turn is not saved", severity="warning", markup=False)

    def turn_done(self, turn: TurnView, result: TurnResult) -> None:
        turn.finished(result)
        self.add_to_totals(result)

    def turn_failed(self, turn: TurnView, error: FoundryError, result: TurnResult | None) -> None:
        turn.failed(error, result)
        if result is not None:
            self.add_to_totals(result)

    def add_to_totals(self, result: TurnResult) -> None:
        self.session_input += result.usage.input_tokens
        self.session_output += result.usage.output_tokens
        prices = self.app.profile.prices if self.app.profile else {}
        priced = turn_cost(result, prices)
        if priced is None:
            self.session_unpriced += 1
        else:
            self.session_cost += priced
        self.session_savings += turn_savings(result, prices) or 0.0
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
        release_removed()
        settings = self.session.settings
        settings.system = None  # the conversation's own system prompt applies
        self.session = ChatSession.resume(conversation, settings)
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
        """Render what was not drawn yet, newest first, a few ms per idle moment, so scrolling up
        finds it ready (a resumed conversation, or the part of a long reply that streamed past)."""
        for view in reversed(self.query(MarkdownView).nodes):
            while not view.render_some(PRERENDER_STEP):
                await asyncio.sleep(0.002)
        freeze_long_lived()

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
        self.app.copy_with_notice(turn.ids_text(), "request ids")

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

    async def action_new_chat(self) -> None:
        self.action_cancel()
        self.session.reset()
        log = self.query_one("#chat-log", VerticalScroll)
        await log.remove_children(TurnView)
        release_removed()
        self.session_cost = self.session_savings = 0.0
        self.session_unpriced = self.session_input = self.session_output = 0
        self.refresh_status()
        self.query_one(PromptInput).focus()
        self.notify("New conversation")

    def show_new_text_below(self) -> None:
        """The marker shows while a reply streams below a log the user scrolled up."""
        log = self.query_one("#chat-log", VerticalScroll)
        scrolled_up = log.max_scroll_y - log.scroll_y > 1
        self.query_one("#new-text-below").display = scrolled_up and self.streaming_turn() is not None

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
        if turn is self.query(TurnView).last():
            self.session.retry(turn.prompt)  # the unfinished exchange is replaced, not repeated
        self.start_turn(turn.prompt, turn.attachments)

    def action_toggle_thinking(self) -> None:
        turn = self.current_turn()
        if turn is not None:
            turn.toggle_thinking()

    def action_chat_settings(self) -> None:
        self.app.open_chat_settings(self)
