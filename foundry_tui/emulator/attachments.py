"""Image and document blocks, checked as the real Messages API checks them, and said back in the reply.

Rules and wording from the vision and PDF support pages and the errors the service returns (quoted
in public issue trackers, e.g. "The image was specified using the image/jpeg media type, but the
image appears to be a image/png image"). The reply's first paragraph says what the request held,
so the demo and the tests can see which files reached the server.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

from foundry_tui.attachments import IMAGE_TYPES, MAX_IMAGE_BYTES, MAX_PDF_PAGES, PDF_TYPE, TEXT_TYPE, pdf_pages, sniff

from .errors import InvalidRequest

ATTACHMENT_TYPES = ("image", "document")
_EXCERPT_CHARS = 60


def check_attachment(at: str, block: Mapping[str, Any]) -> None:
    """Raise InvalidRequest for an image or document block the API would refuse; `at` is 'messages.i.content.j'."""
    kind = block["type"]
    source = block.get("source")
    if not isinstance(source, Mapping):
        raise InvalidRequest(f"{at}.{kind}.source: Field required")
    source_type = source.get("type")
    if kind == "document" and source_type == "text":
        if source.get("media_type") != TEXT_TYPE:
            raise InvalidRequest(f"{at}.document.source.text.media_type: Input should be 'text/plain'")
        if not isinstance(source.get("data"), str):
            raise InvalidRequest(f"{at}.document.source.text.data: Input should be a valid string")
        return
    if source_type != "base64":
        expected = "'base64', 'text' or 'url'" if kind == "document" else "'base64' or 'url'"
        raise InvalidRequest(f"{at}.{kind}.source.type: Input should be {expected}")
    where = f"{at}.{kind}.source.base64"
    data = _decoded(where, source.get("data"))
    media_type = source.get("media_type")
    if kind == "image":
        _check_image(where, media_type, data, len(source["data"]))
    else:
        _check_pdf(where, media_type, data)


def _decoded(where: str, data: Any) -> bytes:
    if not isinstance(data, str):
        raise InvalidRequest(f"{where}.data: Input should be a valid string")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest(f"{where}.data: invalid base64 data") from None


def _check_image(where: str, media_type: Any, data: bytes, encoded_size: int) -> None:
    if media_type not in IMAGE_TYPES:
        raise InvalidRequest(f"{where}.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'")
    if encoded_size > MAX_IMAGE_BYTES:
        raise InvalidRequest(f"{where}: image exceeds 5 MB maximum: {encoded_size} bytes > {MAX_IMAGE_BYTES} bytes")
    actual = sniff(data)
    if actual not in IMAGE_TYPES:
        raise InvalidRequest(f"{where}.data: Image does not match the provided media type {media_type}")
    if actual != media_type:
        raise InvalidRequest(
            f"{where}: The image was specified using the {media_type} media type, but the image appears to be a {actual} image"
        )


def _check_pdf(where: str, media_type: Any, data: bytes) -> None:
    if media_type != PDF_TYPE:
        raise InvalidRequest(f"{where}.media_type: Input should be 'application/pdf'")
    if sniff(data) != PDF_TYPE:
        raise InvalidRequest(f"{where}: The PDF specified was not valid.")
    if pdf_pages(data) > MAX_PDF_PAGES:
        raise InvalidRequest(f"A maximum of {MAX_PDF_PAGES} PDF pages may be provided.")


def block_summary(block: Mapping[str, Any]) -> str:
    """A short stand-in for a (validated) attachment block: what seeds the reply instead of megabytes of base64."""
    source = block["source"]
    if source["type"] == "text":
        text: str = source["data"]
        return f"document «{block.get('title') or 'untitled'}» (text, {len(text)} characters: {_excerpt(text)})"
    data = base64.b64decode(source["data"])
    if block["type"] == "image":
        return f"image ({source['media_type']}, {len(data)} bytes)"
    pages = pdf_pages(data)
    return f"document ({PDF_TYPE}, {len(data)} bytes, {pages} page{'' if pages == 1 else 's'})"


def received(messages: Sequence[Mapping[str, Any]]) -> str:
    """'Received: image (image/png, 67 bytes), …' for every attachment in the request, or ''."""
    summaries = [
        block_summary(block)
        for message in messages
        if isinstance(content := message.get("content"), list)
        for block in content
        if isinstance(block, Mapping) and block.get("type") in ATTACHMENT_TYPES
    ]
    return f"Received: {', '.join(summaries)}." if summaries else ""


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT_CHARS else flat[: _EXCERPT_CHARS - 1] + "…"
