"""The emulator reads image and document blocks as the real API does: checked, refused with its wording, said back."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest
from helpers import TINY_GIF, tiny_pdf, tiny_png

from foundry_tui.emulator.server import EmulatorConfig, EmulatorThread


@pytest.fixture(scope="module")
def sdk() -> Iterator[anthropic.AnthropicFoundry]:
    with EmulatorThread(EmulatorConfig(pace=0)) as emulator:
        yield anthropic.AnthropicFoundry(api_key=emulator.api_key, base_url=emulator.base_url, max_retries=0)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def image(media_type: str, data: str) -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def pdf(data: bytes, media_type: str = "application/pdf") -> dict[str, Any]:
    return {"type": "document", "source": {"type": "base64", "media_type": media_type, "data": b64(data)}}


def ask(sdk: anthropic.AnthropicFoundry, *blocks: dict[str, Any]) -> str:
    content = [*blocks, {"type": "text", "text": "what are these"}]
    message = sdk.messages.create(model="claude-sonnet-4-5", max_tokens=1024, messages=[{"role": "user", "content": content}])  # type: ignore[arg-type]
    return "".join(block.text for block in message.content if block.type == "text")


def test_the_reply_says_what_it_received(sdk):
    text_document = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "line one\nline two"}, "title": "app.log"}
    reply = ask(sdk, image("image/png", b64(tiny_png())), pdf(tiny_pdf(2)), text_document)
    first = reply.split("\n\n")[0]
    assert first == (
        f"Received: image (image/png, {len(tiny_png())} bytes), document (application/pdf, {len(tiny_pdf(2))} bytes, 2 pages),"
        " document «app.log» (text, 17 characters: line one line two)."
    )


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (image("image/bmp", b64(tiny_png())),
         "messages.0.content.0.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"),
        (image("image/png", "not base64!"), "messages.0.content.0.image.source.base64.data: invalid base64 data"),
        (image("image/png", b64(TINY_GIF)),
         "messages.0.content.0.image.source.base64: The image was specified using the image/png media type,"
         " but the image appears to be a image/gif image"),
        (image("image/png", b64(b"plain words")),
         "messages.0.content.0.image.source.base64.data: Image does not match the provided media type image/png"),
        (image("image/png", b64(tiny_png() + bytes(4 * 1024 * 1024))), "image exceeds 5 MB maximum"),
        (pdf(tiny_pdf(), "text/plain"), "messages.0.content.0.document.source.base64.media_type: Input should be 'application/pdf'"),
        (pdf(b"no pdf here"), "messages.0.content.0.document.source.base64: The PDF specified was not valid."),
        (pdf(tiny_pdf(101)), "A maximum of 100 PDF pages may be provided."),
    ],
)  # fmt: skip
def test_bad_blocks_are_refused_with_the_real_wording(sdk, block, message):
    with pytest.raises(anthropic.BadRequestError) as refused:
        ask(sdk, block)
    assert message in str(refused.value)
