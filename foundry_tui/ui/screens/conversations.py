"""The conversations dialog (ctrl+l / F6): the saved chats, most recent first, and a full-text search.

Enter resumes one; r renames it, d deletes it once confirmed, m and j export it to Markdown or
JSON where the user says (never over a file without asking). A request-id or apim-request-id pasted into the search finds the turn
that carried it, which is what support asks for. Every store call runs on the store's thread and
every file write on a worker thread, so the event loop never waits for the disk.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from foundry_tui.format import ago
from foundry_tui.safetext import terminal_line
from foundry_tui.store.conversations import ConversationSummary, SearchHit
from foundry_tui.store.errors import StoreError
from foundry_tui.ui.screens.export import ExportDialog, export_dir, export_name, write_export
from foundry_tui.ui.widgets.dialog import ConfirmationModal, DialogScreen
from foundry_tui.ui.widgets.problem import problem_content

if TYPE_CHECKING:
    from foundry_tui.store.store import Store
    from foundry_tui.ui.app import FoundryApp

T = TypeVar("T")

SEARCH_DELAY = 0.15  # seconds of quiet typing before searching
RECENT_LIMIT = 200
SEARCH_LIMIT = 100
HIT_TITLE_WIDTH = 32
MIN_FLEXIBLE_WIDTH = 16
# a reply's state → (what the list says, the theme colour saying it); a complete reply says nothing
STATE_LABELS = {
    "interrupted": ("⚠ interrupted", "text-warning"),
    "failed": ("✗ failed", "text-error"),
    "cancelled": ("◼ cancelled", "text-secondary"),
    "streaming": ("… streaming", "text-accent"),
}
UNAVAILABLE_HINT = "the warning at start-up says why; chats still work but are not saved"


async def history_call(app: FoundryApp, operation: Callable[[Store], T]) -> T:
    """`operation(store)` on the store's thread; raises StoreError, also when the history could not be opened."""
    store = await app.history()
    if store is None:
        raise StoreError("history is unavailable", UNAVAILABLE_HINT)
    return await store.call(operation)


@dataclass(frozen=True, slots=True)
class Entry:
    """What a row of the list stands for: the conversation that enter, r, d, m and j act on."""

    conversation_id: str
    title: str
    turns: int | None = None  # None for a search hit


@dataclass(frozen=True, slots=True)
class Column:
    label: str
    flexible: bool = False  # takes the width the other columns leave
    max_width: int | None = None
    right: bool = False


def fitted_widths(columns: list[Column], rows: list[list[Text]], room: int) -> list[int]:
    """Each column as wide as its widest cell (up to its maximum); the flexible one gets the rest."""
    widths = []
    for index, column in enumerate(columns):
        width = max([cell_len(column.label), *(cell_len(row[index].plain) for row in rows)])
        widths.append(min(width, column.max_width or width))
    flexible = next(index for index, column in enumerate(columns) if column.flexible)
    widths[flexible] = max(MIN_FLEXIBLE_WIDTH, room - sum(widths) + widths[flexible])
    return widths


class ConversationTable(DataTable[Text]):
    """The conversations, or the search hits: one row each, cut to the width of the dialog."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Open", key_display="↵"),
        Binding("r", "screen.rename", "Rename"),
        Binding("d,delete", "screen.delete", "Delete", key_display="d"),
        Binding("m", "screen.export('md')", "Markdown"),
        Binding("j", "screen.export('json')", "JSON"),
        Binding("slash", "screen.focus_search", "Search", key_display="/"),
    ]

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.entries: list[Entry] = []
        self._columns: list[Column] = []
        self._cells: list[list[Text]] = []

    @property
    def selected(self) -> Entry | None:
        return self.entries[self.cursor_row] if self.entries else None

    def show(self, columns: list[Column], rows: list[tuple[Entry, list[Text]]], *, stay: bool = False) -> None:
        """`stay`: keep the cursor on the conversation it was on (else where it was), not at the top."""
        kept, cursor_row = self.selected, self.cursor_row
        self.entries = [entry for entry, _ in rows]
        self._columns, self._cells = columns, [cells for _, cells in rows]
        ids = [entry.conversation_id for entry in self.entries]
        if not stay:
            cursor_row = 0
        elif kept is not None and kept.conversation_id in ids:
            cursor_row = ids.index(kept.conversation_id)
        self._draw(cursor_row)

    def on_resize(self) -> None:
        """The flexible column follows the dialog's width."""
        if self._columns:
            self._draw(self.cursor_row)

    def show_nothing(self) -> None:
        self.entries, self._columns, self._cells = [], [], []
        self.clear(columns=True)

    def _draw(self, cursor_row: int) -> None:
        room = self.scrollable_content_region.width - 2 * self.cell_padding * len(self._columns)
        widths = fitted_widths(self._columns, self._cells, room)
        self.clear(columns=True)
        for column, width in zip(self._columns, widths, strict=True):
            self.add_column(Text(column.label, justify="right" if column.right else "left"), width=width)
        for cells in self._cells:
            self.add_row(*cells)
        if self._cells:
            self.move_cursor(row=min(cursor_row, len(self._cells) - 1), scroll=True)


class SearchInput(Input):
    BINDINGS = [
        Binding("down,enter", "screen.focus_list", "Results", key_display="↓"),
    ]


class TitleInput(Input):
    BINDINGS = [
        Binding("enter", "submit", "Save", key_display="↵"),
        Binding("escape", "screen.stop_editing", "Cancel", key_display="esc"),
    ]


class ConversationsScreen(DialogScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", key_display="esc"),
        Binding("ctrl+l,f6", "dismiss", "Close", show=False),  # the keys that opened it
        Binding("ctrl+f", "focus_search", "Search", show=False),
    ]
    DEFAULT_CSS = """
    ConversationsScreen > #conversations {
        width: 100%;
        max-width: 100%;
        height: 100%;
        max-height: 100%;
    }
    ConversationsScreen #search {
        margin: 0 0 1 0;
    }
    ConversationsScreen ConversationTable {
        height: 1fr;
        background: $surface;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
    }
    ConversationsScreen #note {
        color: $text-muted;
        margin: 1 0 0 0;
        &.-problem { color: $text-error; }
    }
    ConversationsScreen #title {
        display: none;
        margin: 1 0 0 0;
    }
    """

    app: FoundryApp

    def __init__(self) -> None:
        super().__init__()
        self._editing: Entry | None = None  # the conversation being renamed or asked about
        self._search_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with self.dialog("Conversations", id="conversations"):
            yield SearchInput(placeholder="Search the messages, or paste a request-id or apim-request-id", id="search")
            yield ConversationTable(id="list")
            yield Static("Loading…", id="note", markup=False)
            yield TitleInput(placeholder="a title", id="title")
            yield self.key_line()

    def on_mount(self) -> None:
        self.query_one("#title", TitleInput).border_title = "New title"
        self.table.focus()
        self.load("")

    @property
    def table(self) -> ConversationTable:
        return self.query_one(ConversationTable)

    @property
    def query_text(self) -> str:
        return self.query_one(SearchInput).value.strip()

    # -- reading the store -----------------------------------------------------------------------

    @on(Input.Changed, "#search")
    def search_soon(self) -> None:
        """Search once the typing pauses, not on every key."""
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, lambda: self.load(self.query_text))

    @work(exclusive=True, group="load", exit_on_error=False)
    async def load(self, query: str, *, stay: bool = False) -> None:
        """The recent conversations, or the messages matching `query`; a newer load cancels this one.
        `stay` (after a change) keeps the cursor where it was."""
        try:
            if query:
                hits = await history_call(self.app, lambda store: store.conversations.search(query, limit=SEARCH_LIMIT))
                self.show_hits(query, hits, stay=stay)
            else:
                recent = await history_call(self.app, lambda store: store.conversations.recent(RECENT_LIMIT))
                self.show_conversations(recent, stay=stay)
        except StoreError as error:
            self.table.show_nothing()
            self.say_problem(error)

    def show_conversations(self, conversations: list[ConversationSummary], *, stay: bool) -> None:
        now, colours = time.time(), self.app.get_css_variables()
        columns = [Column("Title", flexible=True), Column("Profile › deployment"), Column("Turns", right=True),
                   Column("Updated"), Column("Last reply")]  # fmt: skip
        rows = [(Entry(c.id, c.title, c.turns), conversation_cells(c, now, colours)) for c in conversations]
        self.table.show(columns, rows, stay=stay)
        self.subtitle(plural(len(conversations), "conversation"))
        self.say("" if conversations else "No conversations yet: what you send in the chat is saved here.")

    def show_hits(self, query: str, hits: list[SearchHit], *, stay: bool) -> None:
        """One row per matching message; a search by id adds the id column support asked about."""
        now, colours = time.time(), self.app.get_css_variables()
        found = Style(bold=True, color=colours["text-accent"])
        id_column = next((name for name in ("request_id", "apim_request_id") if any(
            getattr(hit, name) == query for hit in hits)), None)  # fmt: skip
        columns = [Column("Conversation", max_width=HIT_TITLE_WIDTH), Column("When"), Column("From")]
        columns += [Column(id_column.replace("_", "-"))] if id_column else []
        columns.append(Column("Match", flexible=True))
        rows = []
        for hit in hits:
            cells = [cell(hit.title), cell(ago(hit.created_at, now)), cell("you" if hit.role == "user" else "claude")]
            cells += [cell(getattr(hit, id_column), found)] if id_column else []
            excerpt = cell(hit.excerpt)
            excerpt.highlight_words(re.findall(r"\w+", query), found, case_sensitive=False)
            rows.append((Entry(hit.conversation_id, hit.title), [*cells, excerpt]))
        self.table.show(columns, rows, stay=stay)
        self.subtitle(f"{plural(len(hits), 'message')} match{'es' * (len(hits) == 1)}")
        self.say("" if hits else f"No message matches {query!r}.")

    # -- what the dialog says ---------------------------------------------------------------------

    def subtitle(self, text: str) -> None:
        self.query_one("#conversations").border_subtitle = text

    def say(self, text: str | Content, *, problem: bool = False) -> None:
        """A line under the list: an empty list, or what went wrong."""
        note = self.query_one("#note", Static)
        note.set_class(problem, "-problem")
        note.update(text)
        note.display = bool(text)

    def say_problem(self, error: StoreError) -> None:
        self.say(problem_content(error), problem=True)

    # -- actions ----------------------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.action_stop_editing()
        self.query_one(SearchInput).focus()

    def action_focus_list(self) -> None:
        self.table.focus()

    @on(DataTable.RowSelected, "#list")
    def open_selected(self) -> None:
        entry = self.table.selected
        if entry is not None:
            self.resume(entry)

    @work(exclusive=True, group="resume", exit_on_error=False)
    async def resume(self, entry: Entry) -> None:
        """In the chat: its turns on screen, its messages sent with the next prompt."""
        try:
            await self.app.chat_screen().open_conversation(entry.conversation_id)
        except StoreError as error:  # deleted meanwhile by another foundry-tui, say
            self.say_problem(error)
            return
        self.dismiss()

    def action_rename(self) -> None:
        entry = self.start_editing()
        if entry is not None:
            title = self.query_one("#title", TitleInput)
            title.value = entry.title
            title.display = True
            title.focus()

    @on(Input.Submitted, "#title")
    def save_title(self, event: Input.Submitted) -> None:
        if self._editing is not None:
            self.rename(self._editing, event.value)

    @work(group="change", exit_on_error=False)
    async def rename(self, entry: Entry, title: str) -> None:
        try:
            await history_call(self.app, lambda store: store.conversations.rename(entry.conversation_id, title))
        except StoreError as error:
            self.say_problem(error)
            return
        self.action_stop_editing()
        self.load(self.query_text, stay=True)

    def action_delete(self) -> None:
        entry = self.start_editing()
        if entry is not None:
            turns = "" if entry.turns is None else f" and its {plural(entry.turns, 'turn')}"
            question = ConfirmationModal(f"Delete “{entry.title}”{turns}?", "The usage figures stay.")
            self.app.push_screen(question, self.delete_answered)

    def delete_answered(self, delete: bool | None) -> None:
        if delete:
            self.delete_conversation()
        else:
            self.action_stop_editing()

    @work(group="change", exit_on_error=False)
    async def delete_conversation(self) -> None:
        entry = self._editing
        if entry is None:
            return
        try:
            await history_call(self.app, lambda store: store.conversations.delete(entry.conversation_id))
        except StoreError as error:
            self.say_problem(error)
            return
        chat = self.app.chat_screen()
        if chat.session.conversation_id == entry.conversation_id:  # its turns would be saved to nowhere
            await chat.action_new_chat()
        self.action_stop_editing()
        self.notify(f"Deleted “{entry.title}”", markup=False)
        self.load(self.query_text, stay=True)

    def start_editing(self) -> Entry | None:
        """The selected conversation, now the one a rename or a delete is about."""
        self.action_stop_editing()
        self._editing = self.table.selected
        return self._editing

    def action_stop_editing(self) -> None:
        self._editing = None
        self.query_one("#title", TitleInput).display = False
        self.table.focus()

    @work(group="export", exit_on_error=False)
    async def action_export(self, extension: str) -> None:
        """Ask where, ask again before replacing a file, write '<title>-<id>.md' or '.json' and say where."""
        entry = self.table.selected
        if entry is None:
            return
        default = export_dir() / export_name(entry.title, entry.conversation_id, extension)
        path = await self.app.push_screen_wait(ExportDialog(default, extension))
        if path is None:
            return
        replace = await asyncio.to_thread(path.exists)
        if replace and not await self.app.push_screen_wait(
            ConfirmationModal(f"Replace {path.name}?", f"It already exists in {path.parent}.", confirm="Replace")
        ):
            self.notify("Nothing was written.", title="Not exported", markup=False)
            return
        try:
            conversation = await history_call(self.app, lambda store: store.conversations.load(entry.conversation_id))
            await asyncio.to_thread(write_export, conversation, extension, path, replace=replace)
        except StoreError as error:
            self.say_problem(error)
        except OSError as error:
            problem = f"{error.filename}: {error.strerror or error}"
            self.notify(problem, title="Not exported", severity="error", markup=False)
        else:
            self.notify(str(path), title="Exported", markup=False, timeout=8)


def conversation_cells(conversation: ConversationSummary, now: float, colours: dict[str, str]) -> list[Text]:
    where = " › ".join(filter(None, [conversation.profile, conversation.deployment]))
    state = STATE_LABELS.get(conversation.last_state or "")
    return [
        cell(conversation.title),
        cell(where),
        cell(str(conversation.turns), right=True),
        cell(ago(conversation.updated_at, now)),
        cell(state[0], Style(color=colours[state[1]])) if state else cell(""),
    ]


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def cell(text: str, style: Style | str = "", *, right: bool = False) -> Text:
    """User text (no markup, no control characters), cut with an ellipsis when the column is narrower."""
    return Text(terminal_line(text), style=style, no_wrap=True, overflow="ellipsis", justify="right" if right else "left")
