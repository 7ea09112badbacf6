"""Where an export goes: a path field with a sensible default, and the file written without ever
replacing one that exists unless the user said so (the conversations dialog asks first)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from foundry_tui.config.paths import data_dir, home_override
from foundry_tui.store.export import to_json_text, to_markdown
from foundry_tui.ui.widgets.dialog import DialogScreen

if TYPE_CHECKING:
    from foundry_tui.store.conversations import Conversation

SLUG_CHARS = 40
FORMATS = {"md": "Markdown", "json": "JSON"}


def export_name(title: str, conversation_id: str, extension: str) -> str:
    """'<slug of the title>-<id>.<extension>': readable, and unique thanks to the id."""
    slug = "-".join(re.findall(r"[^\W_]+", title.lower()))[:SLUG_CHARS].strip("-") or "conversation"
    return f"{slug}-{conversation_id}.{extension}"


def export_dir() -> Path:
    """The user's documents folder (in a foundry-tui folder) when there is one, else the data dir's exports."""
    if home_override() is None:
        import platformdirs

        documents = Path(platformdirs.user_documents_dir())
        if documents.is_dir():
            return documents / "foundry-tui"
    return data_dir() / "exports"


def write_export(conversation: Conversation, extension: str, path: Path, *, replace: bool) -> None:
    """As Markdown ("md") or JSON; an existing file raises FileExistsError unless `replace`.

    Runs on a worker thread, since it writes a file.
    """
    text = to_markdown(conversation) if extension == "md" else to_json_text(conversation)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w" if replace else "x", encoding="utf-8") as file:
        file.write(text)


class ExportPathInput(Input):
    BINDINGS = [
        Binding("enter", "submit", "Export", key_display="↵"),
        Binding("escape", "screen.dismiss", "Cancel", key_display="esc"),
    ]


class ExportDialog(DialogScreen[Path | None]):
    """Dismisses with the absolute path the user chose, or None."""

    def __init__(self, default: Path, extension: str) -> None:
        super().__init__()
        self.default = default
        self.extension = extension

    def compose(self) -> ComposeResult:
        with self.dialog(f"Export as {FORMATS[self.extension]}", id="export"):
            yield Static("Save to", classes="field-label")
            yield ExportPathInput(str(self.default), id="export-path")
            yield Static(classes="problem", id="export-problem", markup=False)
            yield self.key_line()

    def on_mount(self) -> None:
        self.query_one(ExportPathInput).focus()

    @on(Input.Submitted, "#export-path")
    def chosen(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        problem = self.query_one("#export-problem", Static)
        if not text or text.endswith(("/", "\\")) or (path := _file_path(text)) is None:
            problem.update("Type a file name, e.g. " + self.default.name)
            problem.display = True
            return
        self.dismiss(path.absolute())


def _file_path(text: str) -> Path | None:
    """Where `text` says to write, or None when it names a folder or no possible path (too long, `~nobody`)."""
    try:
        path = Path(text).expanduser()
        return None if path.is_dir() else path
    except (OSError, RuntimeError, ValueError):
        return None
