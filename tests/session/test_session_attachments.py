"""ChatSession with files: the blocks go before the prompt, and again with every later request."""

from __future__ import annotations

from pathlib import Path

from helpers import tiny_pdf, tiny_png

from foundry_tui.attachments import attachment_from_bytes
from foundry_tui.config.profile import RequestDefaults
from foundry_tui.session.caching import with_breakpoint
from foundry_tui.session.chat import ChatSession
from foundry_tui.store.conversations import FinishedReply
from foundry_tui.store.store import Store

DEFAULTS = RequestDefaults(max_tokens=2048)
RED = attachment_from_bytes("red.png", tiny_png())
DOC = attachment_from_bytes("doc.pdf", tiny_pdf())
ANSWER = [{"type": "text", "text": "a red square"}]


def test_attachments_go_before_the_prompt_and_again_in_later_turns():
    session = ChatSession()
    first = session.request("what are these", "dep", DEFAULTS, [RED, DOC])
    sent = [RED.block(), DOC.block(), {"type": "text", "text": "what are these"}]
    assert first.messages == [{"role": "user", "content": with_breakpoint(sent)}]  # the cache breakpoint goes last
    session.settle(session.begin("what are these", [RED, DOC]), "complete", ANSWER, "a red square")
    later = session.request("and now?", "dep", DEFAULTS)
    assert later.messages[0] == {"role": "user", "content": sent}
    assert later.messages[-1] == {"role": "user", "content": with_breakpoint("and now?")}


def test_a_reopened_conversation_sends_its_attachments_again(tmp_path: Path):
    with Store.open(tmp_path / "history.db") as store:
        turn = store.conversations.start_turn("what is it", profile="p", deployment="d", attachments=[RED])
        store.conversations.finish_reply(turn.reply_message_id, FinishedReply("complete", "a red square", ANSWER))
        session = ChatSession.resume(store.conversations.load(turn.conversation_id))
    request = session.request("sure?", "dep", DEFAULTS)
    assert request.messages[0]["content"] == [RED.block(), {"type": "text", "text": "what is it"}]
