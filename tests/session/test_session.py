"""ChatSession: one request precedence and one set of send-back rules (no network, no Textual)."""

from __future__ import annotations

import pytest

from foundry_tui.config.profile import RequestDefaults
from foundry_tui.session.chat import ChatSession, ChatSettings, reply_to_send
from foundry_tui.store.conversations import FinishedReply
from foundry_tui.store.store import Store

DEFAULTS = RequestDefaults(max_tokens=2048, temperature=0.5, system="Profile system.")
TEXT = [{"type": "text", "text": "an answer"}]
EMPTY_TEXT = [{"type": "text", "text": ""}]
SIGNED_THINKING = {"type": "thinking", "thinking": "hmm", "signature": "sig"}
MARK = {"type": "ephemeral"}


def settled(session: ChatSession, prompt: str, state, content, text: str = "") -> None:
    session.settle(session.begin(prompt), state, content, text)


def test_request_precedence_setting_then_conversation_then_profile():
    session = ChatSession()
    request = session.request("hi", "dep", DEFAULTS)
    assert (request.model, request.system, request.max_tokens, request.temperature) == ("dep", "Profile system.", 2048, 0.5)
    assert request.messages == [{"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": MARK}]}]

    session.resumed, session.conversation_system = True, None  # a conversation saved without a system prompt
    assert session.request("hi", "dep", DEFAULTS).system is None
    session.conversation_system = "Conversation system."
    assert session.request("hi", "dep", DEFAULTS).system == "Conversation system."

    session.settings = ChatSettings(system="Mine.", max_tokens=100, temperature=0.0)
    request = session.request("hi", "dep", DEFAULTS)
    assert (request.system, request.max_tokens, request.temperature) == ("Mine.", 100, 0.0)


def test_no_temperature_with_thinking():
    session = ChatSession(ChatSettings(temperature=0.3, thinking_budget=1024))
    request = session.request("hi", "dep", DEFAULTS)
    assert (request.temperature, request.thinking_budget) == (None, 1024)
    assert "temperature" not in request.to_body() and request.to_body()["thinking"]["budget_tokens"] == 1024


@pytest.mark.parametrize(
    ("state", "content", "text", "sent"),
    [
        ("complete", TEXT, "an answer", TEXT),
        ("complete", [SIGNED_THINKING, *TEXT], "an answer", [SIGNED_THINKING, *TEXT]),
        ("complete", EMPTY_TEXT, "", []),  # a refusal: never an empty text block
        ("complete", [SIGNED_THINKING, *EMPTY_TEXT], "", []),  # thinking alone is not an answer
        ("complete", [*TEXT, *EMPTY_TEXT], "an answer", TEXT),
        ("failed", [SIGNED_THINKING, {"type": "text", "text": "part"}], "part", [{"type": "text", "text": "part"}]),
        ("cancelled", [], "part", [{"type": "text", "text": "part"}]),
        ("interrupted", None, "part", [{"type": "text", "text": "part"}]),
        ("failed", [], "  \n", []),
        ("cancelled", [], "", []),
        ("streaming", None, "still going elsewhere", []),
    ],
)
def test_reply_to_send(state, content, text, sent):
    assert reply_to_send(state, content, text) == sent


def test_unanswered_prompts_are_left_out_so_roles_alternate():
    session = ChatSession()
    settled(session, "one", "complete", TEXT, "an answer")
    settled(session, "refused", "complete", EMPTY_TEXT)
    settled(session, "failed early", "failed", [], "")
    settled(session, "cut", "cancelled", [], "partial")
    session.begin("streaming now")
    assert session.messages == [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": TEXT},
        {"role": "user", "content": "cut"},
        {"role": "assistant", "content": [{"type": "text", "text": "partial"}]},
    ]
    assert [m["role"] for m in session.request("next", "dep", DEFAULTS).messages] == ["user", "assistant"] * 2 + ["user"]


def test_retry_replaces_the_last_unfinished_exchange_only():
    session = ChatSession()
    settled(session, "old", "failed", [], "old partial")
    settled(session, "done", "complete", TEXT, "an answer")
    session.retry("old")  # not the last one: its partial stays as context
    assert len(session.exchanges) == 2
    settled(session, "cut", "cancelled", [], "partial")
    session.retry("cut")
    assert [e.prompt for e in session.exchanges] == ["old", "done"]
    session.retry("done")  # a finished reply is never dropped
    assert len(session.exchanges) == 2


def test_reset_forgets_the_conversation_but_keeps_the_tuning():
    session = ChatSession(ChatSettings(system="Mine.", max_tokens=100))
    settled(session, "one", "complete", TEXT)
    session.conversation_id, session.resumed = "c1", True
    session.reset()
    assert (session.exchanges, session.conversation_id, session.resumed) == ([], None, False)
    assert (session.settings.system, session.settings.max_tokens) == (None, 100)


def test_resume_applies_the_same_rules_to_the_history():
    with Store.open() as store:
        conversations = store.conversations

        def finished(prompt: str, state, text: str, content, conversation_id=None) -> str:
            turn = conversations.start_turn(prompt, profile="p", deployment="d", conversation_id=conversation_id, system="S")
            conversations.finish_reply(turn.reply_message_id, FinishedReply(state, text, content))
            return turn.conversation_id

        cid = finished("one", "complete", "reply one", [{"type": "text", "text": "reply one"}])
        finished("two", "failed", "", [], cid)  # nothing arrived
        finished("three", "failed", "partial thr", [{"type": "text", "text": "partial thr"}], cid)
        finished("refused", "complete", "", EMPTY_TEXT, cid)
        conversations.start_turn("four", profile="p", deployment="d", conversation_id=cid)  # still streaming
        finished("five", "complete", "five!", [SIGNED_THINKING, {"type": "text", "text": "five!"}], cid)
        session = ChatSession.resume(conversations.load(cid))
    assert (session.conversation_id, session.conversation_system, session.resumed) == (cid, "S", True)
    assert session.messages == [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": [{"type": "text", "text": "reply one"}]},
        {"role": "user", "content": "three"},
        {"role": "assistant", "content": [{"type": "text", "text": "partial thr"}]},
        {"role": "user", "content": "five"},
        {"role": "assistant", "content": [SIGNED_THINKING, {"type": "text", "text": "five!"}]},
    ]
