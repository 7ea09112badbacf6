"""The help screen (F1): every key, grouped, read from the real bindings so it cannot drift."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from foundry_tui.ui.screens.chat import ChatScreen
from foundry_tui.ui.widgets.dialog import DialogScreen
from foundry_tui.ui.widgets.prompt import PromptInput

Row = tuple[str, str, str]  # keys, description, note

GROUPS = {  # group → what its keys act on
    "Chat": "",
    "Turn": "the focused turn (tab), else the newest",
    "Navigation": "",
    "App": "",
}
# action → (group, what it does beyond the binding's own description); others go to their source's group.
ACTION_NOTES: dict[str, tuple[str, str]] = {
    "newline": ("Chat", "add a line to the prompt (or end the line with \\ and press enter)"),
    "cancel": ("Chat", "stop the streaming reply; what arrived is kept"),
    "new_chat": ("Chat", "start a new conversation"),
    "chat_settings": ("Chat", "system prompt, max tokens, temperature, thinking"),
    "app.pick_deployment": ("Chat", "pick, add, remove or check deployments"),
    "attach": ("Chat", "pick a file; or paste a path, or type @path"),
    "copy_ids": ("Turn", "request-id and apim-request-id, for support"),
    "copy_reply": ("Turn", "the reply's Markdown source"),
    "retry": ("Turn", "send a failed or cancelled prompt again"),
    "toggle_thinking": ("Turn", "show or hide the model's thinking"),
    "screen.copy_text": ("Turn", "the text selected with the mouse"),
    "follow": ("Navigation", "jump to the newest reply and follow it"),
    "scroll_log": ("Navigation", ""),
    "app.focus_next": ("Navigation", "the prompt, then each turn"),
    "app.focus_previous": ("Navigation", ""),
    "help": ("App", "this screen"),
    "profiles": ("App", "create, edit, test or switch profiles"),
    "show_device_code": ("App", "show a hidden Entra device code again"),
    "quit": ("App", ""),
}
TIPS = (
    (
        "New lines",
        "ctrl+j adds a line, in tmux and over SSH too. Ending a line with \\ and pressing enter works "
        "in every terminal. shift+enter and alt+enter usually reach the app as a plain enter (alt+enter "
        "works only where the terminal speaks the Kitty keyboard protocol), so they are not relied on.",
    ),
    (
        "Copying",
        "Copies go through OSC 52: your terminal puts them on your local clipboard, even over SSH. "
        "In tmux, add `set -s set-clipboard on` to ~/.tmux.conf. Copied ids are also shown in a "
        "notification, to copy by hand where the terminal ignores OSC 52.",
    ),
    (
        "Command palette",
        "ctrl+p finds every command: themes, profiles, deployments, checking them all, and copying a "
        "single request id.",
    ),
)
_KEY_NAMES = {"escape": "esc", "pageup": "PgUp", "pagedown": "PgDn", "delete": "del"}


def key_label(keys: str) -> str:
    """'ctrl+o,f2' → 'ctrl+o / F2'."""
    return " / ".join(_KEY_NAMES.get(key, key.upper() if re.fullmatch(r"f\d+", key) else key) for key in keys.split(","))


def declared_bindings(*classes: type) -> Iterator[Binding]:
    """The bindings each class declares itself, in order (a TextArea's dozens stay out of PromptInput's)."""
    for cls in classes:
        for binding in cls.__dict__.get("BINDINGS", ()):
            yield binding if isinstance(binding, Binding) else Binding(*binding)


def help_rows(sources: Iterable[tuple[Iterable[Binding], str]], fixed: Iterable[tuple[str, Row]]) -> dict[str, list[Row]]:
    """Rows grouped by GROUPS; a source's bindings join its group unless ACTION_NOTES says otherwise."""
    groups: dict[str, list[Row]] = {group: [] for group in GROUPS}
    for group, row in fixed:
        groups[group].append(row)
    for bindings, default_group in sources:
        for binding in bindings:
            if not binding.description:
                continue
            group, note = ACTION_NOTES.get(binding.action.split("(")[0], (default_group, ""))
            groups[group].append((key_label(binding.key), binding.description, note))
    return groups


def rows_content(rows: list[Row], key_width: int) -> Content:
    lines = [with_note(Content.assemble((keys.ljust(key_width), "bold $accent"), description), note) for keys, description, note in rows]
    return Content("\n").join(lines)


def with_note(text: str | Content, note: str) -> Content:
    """`text`, then `note` (if any) in a muted colour."""
    return Content.assemble(text, (f"  {note}" if note else "", "not bold $foreground-muted"))


class HelpScreen(DialogScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", key_display="esc"),
        Binding("f1,q", "dismiss", "Close", show=False),
    ]
    DEFAULT_CSS = """
    HelpScreen #help {
        height: 90%;
    }
    HelpScreen #help-body {
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    HelpScreen .help-heading {
        color: $primary;
        text-style: bold;
        margin: 1 0 0 0;
        &:first-child {
            margin: 0;
        }
    }
    HelpScreen .help-rows {
        padding: 0 0 0 2;
    }
    HelpScreen .help-tip {
        padding: 0 0 0 2;
    }
    """

    def compose(self) -> ComposeResult:
        groups = help_rows(self.binding_sources(), self.fixed_rows())
        key_width = max(len(keys) for rows in groups.values() for keys, _, _ in rows) + 2
        with self.dialog("Keys", id="help"):
            with VerticalScroll(id="help-body"):
                for group, rows in groups.items():
                    yield Static(with_note(group, GROUPS[group]), classes="help-heading")
                    yield Static(rows_content(rows, key_width), classes="help-rows")
                for title, text in TIPS:
                    yield Static(title, classes="help-heading")
                    yield Static(text, classes="help-tip", markup=False)
            yield self.key_line()

    def binding_sources(self) -> list[tuple[Iterable[Binding], str]]:
        return [
            (declared_bindings(PromptInput), "Chat"),
            (declared_bindings(*ChatScreen.__mro__), "Chat"),
            (declared_bindings(*type(self.app).__mro__), "App"),
        ]

    def fixed_rows(self) -> list[tuple[str, Row]]:
        """Keys handled outside BINDINGS: by PromptInput's key handler and by Textual itself."""
        return [
            ("Chat", ("enter", "Send", "send the prompt")),
            ("App", (self.app.COMMAND_PALETTE_BINDING, "Commands", "every command, themes included")),
        ]
