"""The look the app's small modal screens share, and the one confirmation every delete asks."""

from __future__ import annotations

from typing import TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from foundry_tui.ui.widgets.key_bar import KeyBar

ResultType = TypeVar("ResultType")


class DialogScreen(ModalScreen[ResultType]):
    """A centred box with a title and its own key line (a KeyBar) at the bottom."""

    DEFAULT_CSS = """
    DialogScreen {
        align: center middle;
    }
    DialogScreen > .dialog {
        width: 90;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: round $primary;
        border-title-color: $text;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        background: $surface;
        padding: 0 1;
    }
    DialogScreen .dialog KeyBar {
        dock: none;
        margin: 1 0 0 0;
        background: $surface;
    }
    DialogScreen .field-label {
        color: $text-muted;
        margin: 1 0 0 0;
        &:first-child {
            margin: 0;
        }
    }
    DialogScreen .problem {
        display: none;  /* shown while there is a problem to say */
        color: $error;
    }
    """

    def dialog(self, title: str, *, id: str) -> Vertical:
        """The box the screen composes into."""
        box = Vertical(classes="dialog", id=id)
        box.border_title = title
        return box

    def key_line(self) -> KeyBar:
        return KeyBar(palette=False)


class ConfirmationModal(ModalScreen[bool]):
    """A yes/no question before something that cannot be undone; the safe answer has the focus.

    y (or the confirm button) answers True; n, esc (or the other button) False.
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n,escape", "answer(False)", "No", show=False),
    ]

    DEFAULT_CSS = """
    ConfirmationModal {
        align: center middle;
        #confirm-box {
            width: 64;
            max-width: 100%;
            height: auto;
            padding: 1 2;
            border: round $error;
            background: $surface;
        }
        #confirm-question {
            text-style: bold;
        }
        #confirm-detail {
            color: $text-muted;
            margin-bottom: 1;
        }
        #confirm-buttons {
            height: auto;
            & > Button {
                margin-right: 2;
            }
        }
    }
    """

    def __init__(self, question: str, detail: str = "", *, confirm: str = "Delete", cancel: str = "Keep") -> None:
        """`question` and `detail` are shown as plain text (no markup), so titles from outside are safe."""
        super().__init__()
        self.question = question
        self.detail = detail
        self.confirm_label = confirm
        self.cancel_label = cancel

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.question, id="confirm-question", markup=False)
            if self.detail:
                yield Static(self.detail, id="confirm-detail", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.confirm_label} (y)", variant="error", id="yes")
                yield Button(f"{self.cancel_label} (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, confirmed: bool) -> None:
        self.dismiss(confirmed)
