"""Files in a prompt: read, typed by their content, held to the API's limits, turned into content blocks.

One rule for the app, `ask -a` and the history. The media type comes from the file's first bytes
(never its name): PNG, JPEG, GIF and WebP become `image` blocks, PDF a base64 `document` block,
UTF-8 text a text `document` block titled with the file name; anything else is refused. The
limits are the Messages API's (vision and PDF support pages): 5 MB per image and 32 MB per
request, both as base64, and 100 pages per PDF. A refusal is an `AttachmentError`, raised before
anything is sent.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from foundry_tui.problem import Problem

MB = 1024 * 1024
MAX_IMAGE_BYTES = 5 * MB  # base64-encoded, as the API measures it
MAX_REQUEST_BYTES = 32 * MB  # every attachment of a request, base64-encoded
MAX_PDF_PAGES = 100
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
PDF_TYPE = "application/pdf"
TEXT_TYPE = "text/plain"
MEDIA_TYPES = (*IMAGE_TYPES, PDF_TYPE, TEXT_TYPE)
Kind = Literal["image", "pdf", "text"]

_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")  # a page object; `/Type /Pages` is the tree
_CONTROL_BYTES = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D} | {0x7F}


class AttachmentError(Problem):
    """A file that cannot go with the prompt: the message says which file and which rule."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """One file as it is sent: its name (not its path: only the name leaves the machine), type and bytes."""

    name: str
    media_type: str
    data: bytes

    @property
    def kind(self) -> Kind:
        if self.media_type == PDF_TYPE:
            return "pdf"
        return "text" if self.media_type == TEXT_TYPE else "image"

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def digest(self) -> str:
        """sha256 of the bytes: the history keeps each content once."""
        return hashlib.sha256(self.data).hexdigest()

    @property
    def encoded_size(self) -> int:
        """What it weighs in a request: base64 for images and PDFs, UTF-8 text as is."""
        return self.size if self.kind == "text" else 4 * ((self.size + 2) // 3)

    def block(self) -> dict[str, Any]:
        """The content block, Anthropic format."""
        if self.kind == "text":
            source = {"type": "text", "media_type": TEXT_TYPE, "data": self.data.decode("utf-8")}
            return {"type": "document", "source": source, "title": self.name}
        encoded = base64.b64encode(self.data).decode("ascii")
        source = {"type": "base64", "media_type": self.media_type, "data": encoded}
        return {"type": "image" if self.kind == "image" else "document", "source": source}

    def label(self) -> str:
        """'red.png · PNG image · 67 B': for chips, turns, exports and messages (sanitize before a terminal)."""
        return f"{self.name} · {describe(self.media_type)} · {human_size(self.size)}"


def describe(media_type: str) -> str:
    if media_type == PDF_TYPE:
        return "PDF"
    if media_type == TEXT_TYPE:
        return "text"
    return media_type.removeprefix("image/").upper() + " image"


def human_size(size: int) -> str:
    """'67 B', '12.3 KB', '4.8 MB'."""
    if size < 1024:
        return f"{size} B"
    if size < MB:
        return f"{size / 1024:.1f} KB"
    return f"{size / MB:.1f} MB"


def sniff(data: bytes) -> str | None:
    """The media type the bytes say they are, or None for a type the API does not read."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return PDF_TYPE
    if _is_text(data):
        return TEXT_TYPE
    return None


def _is_text(data: bytes) -> bool:
    if not data.strip() or _CONTROL_BYTES.intersection(data[:65536]):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def pdf_pages(data: bytes) -> int:
    """The page objects in a PDF, counted without parsing it (compressed object streams hide some)."""
    return len(_PDF_PAGE.findall(data))


def attachment_from_bytes(name: str, data: bytes) -> Attachment:
    """Type `data` by its content and hold it to the per-file limits; raises AttachmentError."""
    media_type = sniff(data)
    if media_type is None:
        raise AttachmentError(
            f"{name} cannot be attached: it is not an image, a PDF or UTF-8 text",
            "attach PNG, JPEG, GIF or WebP images, PDFs, or text files (code, logs, Markdown, CSV)",
        )
    attachment = Attachment(name, media_type, data)
    if attachment.kind == "image" and attachment.encoded_size > MAX_IMAGE_BYTES:
        raise AttachmentError(
            f"{name} is too large: {human_size(attachment.encoded_size)} as base64,"
            f" over the API's limit of {human_size(MAX_IMAGE_BYTES)} per image",
            "scale the image down or save it as JPEG",
        )
    if attachment.kind == "pdf" and (pages := pdf_pages(data)) > MAX_PDF_PAGES:
        raise AttachmentError(
            f"{name} has {pages} pages, over the API's limit of {MAX_PDF_PAGES} pages per PDF",
            "split the PDF and send the part you need",
        )
    check_request_size([attachment])
    return attachment


def existing_file(text: str) -> Path | None:
    """The file `text` names (`~` expanded), or None: a name too long for the file system, a `~user`
    that does not exist or a NUL byte only mean that the text is not a file's path.
    """
    try:
        path = Path(text).expanduser()
        return path if path.is_file() else None
    except (OSError, RuntimeError, ValueError):
        return None


def read_attachment(path: Path) -> Attachment:
    """Read a file (never more than the request limit) and type it; raises AttachmentError."""
    name = path.name or str(path)
    try:
        if path.is_dir():
            raise AttachmentError(f"{name} is a folder, not a file", "attach the files inside it one by one")
        with path.open("rb") as file:
            data = file.read(MAX_REQUEST_BYTES + 1)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise AttachmentError(f"cannot read {path}: {reason}", "check the path and its permissions") from None
    if len(data) > MAX_REQUEST_BYTES:
        raise _too_large_for_request(f"{name} is over {human_size(MAX_REQUEST_BYTES)}")
    return attachment_from_bytes(name, data)


async def load_attachment(path: Path) -> Attachment:
    """`read_attachment` on a worker thread: a 30 MB PDF never blocks the event loop."""
    return await asyncio.to_thread(read_attachment, path)


def check_request_size(attachments: Sequence[Attachment]) -> None:
    """Raise AttachmentError when the attachments together weigh more than one request may."""
    total = sum(attachment.encoded_size for attachment in attachments)
    if total > MAX_REQUEST_BYTES:
        what = f"{attachments[0].name} weighs" if len(attachments) == 1 else f"{len(attachments)} attachments weigh"
        raise _too_large_for_request(f"{what} {human_size(total)} as base64")


def _too_large_for_request(what: str) -> AttachmentError:
    return AttachmentError(
        f"{what}, over the API's limit of {human_size(MAX_REQUEST_BYTES)} per request",
        "attach fewer or smaller files",
    )
