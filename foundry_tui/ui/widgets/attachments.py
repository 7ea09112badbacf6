"""Files waiting to go with the next prompt, as chips above it (name, type, size); a chip's button removes it."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Static

from foundry_tui.attachments import Attachment, check_request_size
from foundry_tui.safetext import terminal_line


class AttachmentChip(Button):
    """One attachment; pressing it (or Enter on it) takes it off the prompt."""

    def __init__(self, attachment: Attachment) -> None:
        super().__init__(f"📎 {terminal_line(attachment.label())}  ✕", classes="attachment-chip", compact=True)
        self.attachment = attachment
        self.tooltip = "remove this attachment"


class AttachmentChips(Horizontal):
    """Hidden while empty. `add()` holds the request limit; `take()` hands the files to a turn."""

    DEFAULT_CSS = """
    AttachmentChips {
        height: auto;
        display: none;
        padding: 0 1;
        &.-has-chips {
            display: block;
        }
        & > .attachment-chip {
            margin: 0 1 0 0;
        }
    }
    """

    @dataclass
    class Changed(Message):
        chips: AttachmentChips

    @property
    def attachments(self) -> list[Attachment]:
        return [chip.attachment for chip in self.query(AttachmentChip)]

    def add(self, attachment: Attachment) -> None:
        """Raises AttachmentError when the files together would be over the request limit."""
        check_request_size([*self.attachments, attachment])
        self.mount(AttachmentChip(attachment))
        self._changed()

    def take(self) -> list[Attachment]:
        """The attachments, in order, and no more chips."""
        attachments = self.attachments
        self.remove_children()
        self.set_class(False, "-has-chips")
        return attachments

    @on(Button.Pressed, ".attachment-chip")
    async def remove_chip(self, event: Button.Pressed) -> None:
        event.stop()
        await event.button.remove()
        self._changed()

    def _changed(self) -> None:
        self.set_class(bool(self.query(AttachmentChip)), "-has-chips")
        self.post_message(self.Changed(self))


def attachment_line(attachments: list[Attachment]) -> Static:
    """What a turn shows above its prompt text."""
    labels = "   ".join(f"📎 {terminal_line(attachment.label())}" for attachment in attachments)
    return Static(labels, classes="turn-attachments", markup=False)
