"""The file picker: a DirectoryTree in a dialog, starting in the working directory."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DirectoryTree

from foundry_tui.ui.widgets.dialog import DialogScreen


class AttachFileScreen(DialogScreen[Path | None]):
    """Dismissed with the file chosen (Enter or a click on a file), or None (Esc)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", key_display="esc")]

    DEFAULT_CSS = """
    AttachFileScreen DirectoryTree {
        height: 20;
        background: $surface;
    }
    """

    def __init__(self, start: Path | None = None) -> None:
        super().__init__()
        self.start = start or Path.cwd()

    def compose(self) -> ComposeResult:
        with self.dialog("Attach a file: an image, a PDF or a text file", id="attach-dialog"):
            yield DirectoryTree(self.start, id="attach-tree")
            yield self.key_line()

    def on_mount(self) -> None:
        self.query_one(DirectoryTree).focus()

    @on(DirectoryTree.FileSelected)
    def chosen(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(event.path)
