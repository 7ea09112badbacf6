"""Files in a prompt: typed by content, held to the API's limits, refused with a Problem that says why."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from helpers import TINY_GIF, tiny_pdf, tiny_png

from foundry_tui.attachments import (
    MAX_IMAGE_BYTES,
    MAX_REQUEST_BYTES,
    AttachmentError,
    attachment_from_bytes,
    check_request_size,
    load_attachment,
    pdf_pages,
    read_attachment,
    sniff,
)


def test_media_type_comes_from_the_content_not_the_name(tmp_path: Path) -> None:
    path = tmp_path / "red.png"
    path.write_bytes(TINY_GIF)
    attachment = read_attachment(path)
    assert attachment.media_type == "image/gif"
    assert attachment.block() == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/gif", "data": base64.b64encode(TINY_GIF).decode()},
    }


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (tiny_png(), "image/png"),
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (TINY_GIF, "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (tiny_pdf(), "application/pdf"),
        ("naïve,csv\n1,2\n".encode(), "text/plain"),
        (b"\x00\x01\x02binary", None),
        (b"\xc3\x28 not utf-8", None),
        (b"", None),
    ],
)
def test_sniff(data: bytes, media_type: str | None) -> None:
    assert sniff(data) == media_type


def test_pdf_is_a_base64_document_and_text_a_titled_text_document() -> None:
    pdf = attachment_from_bytes("doc.pdf", tiny_pdf(2))
    assert pdf.block()["type"] == "document"
    assert pdf.block()["source"]["media_type"] == "application/pdf"
    assert pdf_pages(pdf.data) == 2
    log = attachment_from_bytes("app.log", b"line one\nline two\n")
    assert log.block() == {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "line one\nline two\n"},
        "title": "app.log",
    }


def test_a_binary_file_is_refused_with_a_hint() -> None:
    with pytest.raises(AttachmentError) as refused:
        attachment_from_bytes("tool.bin", b"\x7fELF\x02\x01\x01\x00" + bytes(100))
    assert "tool.bin" in refused.value.message and "not an image, a PDF or UTF-8 text" in refused.value.message
    assert refused.value.hint


def test_each_limit_is_named() -> None:
    big_png = tiny_png() + bytes(MAX_IMAGE_BYTES)
    with pytest.raises(AttachmentError, match="limit of 5.0 MB per image"):
        attachment_from_bytes("big.png", big_png)
    with pytest.raises(AttachmentError, match="101 pages, over the API's limit of 100 pages per PDF"):
        attachment_from_bytes("long.pdf", tiny_pdf(101))
    parts = [attachment_from_bytes(f"{n}.pdf", tiny_pdf() + bytes(MAX_REQUEST_BYTES // 4)) for n in range(3)]
    with pytest.raises(AttachmentError, match="3 attachments weigh .* limit of 32.0 MB per request"):
        check_request_size(parts)


def test_unreadable_paths_are_problems(tmp_path: Path) -> None:
    with pytest.raises(AttachmentError, match="cannot read .*missing.txt"):
        read_attachment(tmp_path / "missing.txt")
    with pytest.raises(AttachmentError, match="is a folder"):
        read_attachment(tmp_path)


async def test_large_pdf_is_read_off_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "big.pdf"
    path.write_bytes(tiny_pdf() + bytes(20 * 1024 * 1024))
    attachment = await load_attachment(path)
    assert attachment.kind == "pdf" and attachment.size > 20 * 1024 * 1024
