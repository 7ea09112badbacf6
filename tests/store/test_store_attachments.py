"""Attachments in the history: saved with their turn, stored once by content, exported, deleted with the last user."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import TINY_GIF, tiny_pdf, tiny_png

from foundry_tui.attachments import Attachment, attachment_from_bytes
from foundry_tui.store.export import to_json, to_markdown
from foundry_tui.store.store import Store

RED = attachment_from_bytes("red.png", tiny_png())
DOC = attachment_from_bytes("doc.pdf", tiny_pdf())


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "history.db") as opened:
        yield opened


def turn_with(store: Store, *attachments: Attachment, conversation_id: str | None = None) -> str:
    return store.conversations.start_turn(
        "what are these", profile="work", deployment="d", conversation_id=conversation_id, attachments=attachments
    ).conversation_id


def stored_contents(store: Store) -> int:
    return int(store.db.rows("SELECT count(*) FROM attachments")[0][0])


def test_a_prompt_keeps_its_attachments_in_order(store):
    conversation_id = turn_with(store, RED, DOC)
    prompt = store.conversations.load(conversation_id).messages[0]
    assert prompt.attachments == [RED, DOC]
    assert prompt.blocks() == [RED.block(), DOC.block(), {"type": "text", "text": "what are these"}]


def test_the_same_content_is_stored_once_under_each_name(store):
    first = turn_with(store, RED)
    renamed = Attachment("copy.png", RED.media_type, RED.data)
    turn_with(store, renamed, conversation_id=first)
    turn_with(store, RED)
    assert stored_contents(store) == 1
    names = [m.attachments[0].name for m in store.conversations.load(first).messages if m.attachments]
    assert names == ["red.png", "copy.png"]


def test_deleting_a_conversation_deletes_only_the_attachments_no_other_turn_uses(store):
    shared = turn_with(store, RED, DOC)
    other = turn_with(store, RED)
    store.conversations.delete(shared)
    assert stored_contents(store) == 1  # the PDF went, the PNG is still used
    assert store.conversations.load(other).messages[0].attachments == [RED]
    store.conversations.delete(other)
    assert stored_contents(store) == 0


def test_json_export_includes_the_blocks_and_a_list_of_files(store):
    conversation_id = turn_with(store, attachment_from_bytes("red.png", TINY_GIF))
    exported = json.loads(json.dumps(to_json(store.conversations.load(conversation_id))))
    assert exported["messages"][0]["content"][0]["source"]["media_type"] == "image/gif"
    assert exported["attachments"] == [
        {"message_index": 0, "name": "red.png", "media_type": "image/gif", "size": len(TINY_GIF),
         "sha256": attachment_from_bytes("x", TINY_GIF).digest},
    ]  # fmt: skip


def test_markdown_export_lists_attachments_by_name(store):
    markdown = to_markdown(store.conversations.load(turn_with(store, RED, DOC)))
    assert f"- 📎 `red.png` (PNG image, {len(RED.data)} B)\n- 📎 `doc.pdf` (PDF, " in markdown
    assert "base64" not in markdown
