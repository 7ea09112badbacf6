"""`ask -a FILE`: images, PDFs and text files reach the server, again with `-c`; what cannot go is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import TINY_GIF, foundry, tiny_pdf, tiny_png

from foundry_tui import exitcodes
from foundry_tui.store.store import Store


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "red.png").write_bytes(tiny_png())
    (tmp_path / "doc.pdf").write_bytes(tiny_pdf())
    (tmp_path / "gif.png").write_bytes(TINY_GIF)
    (tmp_path / "notes.md").write_text("# Notes\nThe walrus is large.\n")
    (tmp_path / "tool.bin").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(64))
    return tmp_path


def received(stdout: str) -> str:
    """The emulator's first paragraph says what the request held."""
    return json.loads(stdout)["content"][0]["text"].split("\n\n")[0]


def test_an_image_and_a_pdf_go_as_image_and_document_blocks(env_for, files):
    result = foundry("ask", "--json", "-a", str(files / "red.png"), "-a", str(files / "doc.pdf"), "what are these", env=env_for)
    assert result.returncode == 0, result.stderr
    assert received(result.stdout) == (
        f"Received: image (image/png, {len(tiny_png())} bytes), document (application/pdf, {len(tiny_pdf())} bytes, 1 page)."
    )


def test_a_gif_named_png_goes_as_a_gif(env_for, files):
    result = foundry("ask", "--json", "-a", str(files / "gif.png"), "what is it", env=env_for)
    assert result.returncode == 0, result.stderr
    assert "image (image/gif," in received(result.stdout)


def test_a_text_file_reaches_the_server_with_the_prompt_from_stdin(env_for, files):
    result = foundry("ask", "--json", "-a", str(files / "notes.md"), stdin="summarise this", env=env_for)
    assert result.returncode == 0, result.stderr
    assert "document «notes.md» (text, 29 characters: # Notes The walrus is large.)" in received(result.stdout)


def test_continue_sends_the_image_again(env_for, files):
    assert foundry("ask", "-a", str(files / "red.png"), "what is it", env=env_for).returncode == 0
    result = foundry("ask", "--json", "-c", "and its colour?", env=env_for)
    assert result.returncode == 0, result.stderr
    assert received(result.stdout).startswith("Received: image (image/png,")


def test_a_binary_file_is_refused_before_anything_is_sent(env_for, files):
    result = foundry("ask", "-a", str(files / "tool.bin"), "what is it", env=env_for)
    assert result.returncode == exitcodes.USAGE
    assert "tool.bin cannot be attached: it is not an image, a PDF or UTF-8 text" in result.stderr
    assert "hint:" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    with Store.open() as store:
        assert store.conversations.recent() == []  # nothing was sent, nothing saved


def test_a_missing_file_is_a_one_line_problem(env_for, files):
    result = foundry("ask", "-a", str(files / "nope.png"), "hi", env=env_for)
    assert result.returncode == exitcodes.USAGE and "cannot read" in result.stderr and "Traceback" not in result.stderr
