"""Chat settings (F4): the system prompt, max tokens, temperature, thinking and prompt caching of one conversation.

They start from the conversation's own values, else the profile's defaults, and apply to the
next turns of this conversation only; the profile is not changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Static, TextArea

from foundry_tui.config.profile import RequestDefaults
from foundry_tui.ui.widgets.dialog import DialogScreen

if TYPE_CHECKING:
    from foundry_tui.ui.app import FoundryApp
    from foundry_tui.ui.screens.chat import ChatScreen


def parse_max_tokens(text: str) -> int:
    """A whole number of at least 1, or ValueError with the message to show."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError("A whole number, e.g. 4096.") from None
    if value < 1:
        raise ValueError("At least 1.")
    return value


def parse_temperature(text: str) -> float | None:
    """Empty (the default), or a number from 0 to 1; ValueError with the message to show."""
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError("A number from 0 to 1, or empty.") from None
    if not 0 <= value <= 1:
        raise ValueError("From 0 to 1.")
    return value


def parse_thinking(text: str) -> int | None:
    """Empty (no extended thinking), or a token budget of at least 1,024 (the API's minimum)."""
    if not text.strip():
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError("A whole number of tokens, or empty for off.") from None
    if value < 1024:
        raise ValueError("At least 1024, or empty for off.")
    return value


PARSERS = {"max-tokens": parse_max_tokens, "temperature": parse_temperature, "thinking": parse_thinking}


class ChatSettingsScreen(DialogScreen[bool]):
    """Dismisses with True when the settings were applied."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", key_display="^s"),
        Binding("escape", "dismiss(False)", "Cancel", key_display="esc"),
    ]
    DEFAULT_CSS = """
    ChatSettingsScreen #system {
        height: 8;
    }
    ChatSettingsScreen .numbers {
        height: auto;
        margin: 1 0 0 0;
    }
    ChatSettingsScreen .number {
        width: 1fr;
        height: auto;
        margin: 0 0 0 2;
    }
    ChatSettingsScreen .number:first-child {
        margin: 0;
    }
    ChatSettingsScreen #prompt-caching {
        margin: 1 0 0 0;
    }
    ChatSettingsScreen .buttons {
        height: auto;
        margin: 1 0 0 0;
    }
    ChatSettingsScreen .buttons KeyBar {
        width: 1fr;
        margin: 1 0 0 0;
    }
    ChatSettingsScreen .buttons Button {
        margin: 0 0 0 2;
    }
    """

    app: FoundryApp

    def __init__(self, chat: ChatScreen) -> None:
        super().__init__()
        self.chat = chat

    def compose(self) -> ComposeResult:
        defaults = self.app.profile.defaults if self.app.profile else RequestDefaults()
        effective = self.chat.session.effective(defaults)
        system, max_tokens, temperature = effective.system, effective.max_tokens, effective.temperature
        with self.dialog("Chat settings · this conversation", id="chat-settings"):
            yield Label("System prompt, sent with every turn", classes="field-label")
            yield TextArea(system or "", id="system", soft_wrap=True, tab_behavior="focus")
            with Horizontal(classes="numbers"):
                with Vertical(classes="number"):
                    yield Label("Max tokens per reply", classes="field-label")
                    yield Input(str(max_tokens), id="max-tokens")
                    yield Static(id="max-tokens-problem", classes="problem", markup=False)
                with Vertical(classes="number"):
                    yield Label("Temperature, 0 to 1", classes="field-label")
                    yield Input("" if temperature is None else f"{temperature:g}", placeholder="empty: the default", id="temperature")
                    yield Static(id="temperature-problem", classes="problem", markup=False)
                with Vertical(classes="number"):
                    yield Label("Thinking budget, tokens", classes="field-label")
                    budget = effective.thinking_budget
                    yield Input("" if budget is None else str(budget), placeholder="empty: off", id="thinking")
                    yield Static(id="thinking-problem", classes="problem", markup=False)
            yield Checkbox(
                "Prompt caching: later turns reread the conversation at a tenth of the price",
                value=bool(effective.prompt_caching),
                id="prompt-caching",
            )
            with Horizontal(classes="buttons"):
                yield self.key_line()
                yield Button("Cancel", id="cancel")
                yield Button("Save", variant="primary", id="save")

    def on_mount(self) -> None:
        self.query_one("#system", TextArea).focus()

    @on(Input.Changed)
    def show_field_problem(self, event: Input.Changed) -> None:
        self.field_is_valid(event.input)

    def field_is_valid(self, field: Input) -> bool:
        """Show the field's problem under it (or clear it)."""
        try:
            PARSERS[field.id or ""](field.value)
        except ValueError as error:
            problem = str(error)
        else:
            problem = ""
        self.show_problem(field, problem)
        return not problem

    def show_problem(self, field: Input, problem: str) -> None:
        problem_line = self.query_one(f"#{field.id}-problem", Static)
        problem_line.update(problem)
        problem_line.display = bool(problem)
        field.set_class(bool(problem), "-invalid")

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        fields = {name: self.query_one(f"#{name}", Input) for name in PARSERS}
        invalid = [field for field in fields.values() if not self.field_is_valid(field)]
        if invalid:
            invalid[0].focus()
            return
        max_tokens = parse_max_tokens(fields["max-tokens"].value)
        thinking = parse_thinking(fields["thinking"].value)
        if thinking is not None and thinking >= max_tokens:
            self.show_problem(fields["thinking"], "Must be below max tokens, which must leave room for the answer.")
            fields["thinking"].focus()
            return
        settings = self.chat.session.settings
        settings.system = self.query_one("#system", TextArea).text
        settings.max_tokens = max_tokens
        settings.temperature = parse_temperature(fields["temperature"].value)
        settings.thinking_budget = thinking
        settings.prompt_caching = self.query_one("#prompt-caching", Checkbox).value
        self.chat.refresh_status()
        self.notify("Settings apply to the next turns of this conversation.", title="Chat settings saved")
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(False)
