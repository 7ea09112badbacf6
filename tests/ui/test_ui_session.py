"""The chat screen on the shared turn loop: a broken stream or a refusal never ends the conversation."""

from __future__ import annotations

from helpers import SIZE, answered, break_after_text, send, wait_until

from foundry_tui.service.client import FoundryClient
from foundry_tui.session.chat import REFUSAL_NOTE
from foundry_tui.store.store import Store
from foundry_tui.ui.widgets.problem import ProblemView


async def test_an_unexpected_exception_fails_the_turn_and_keeps_the_partial_reply(make_app, monkeypatch):
    real_stream = break_after_text(monkeypatch, 5)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        turn = await send(pilot, "Write a long report")
        await wait_until(pilot, lambda: turn.state == "failed")
        await app.workers.wait_for_complete()
        partial = turn.reply_source
        assert partial and "RecursionError" in str(turn.query_one(ProblemView).render())
        assert turn.query(".retry-button")
        chat = app.screen
        assert chat.session.messages[-1] == {"role": "assistant", "content": [{"type": "text", "text": partial}]}
        conversation_id = chat.session.conversation_id
        monkeypatch.setattr(FoundryClient, "stream_batches", real_stream)
        await answered(pilot, "go on")  # the conversation continues
    with Store.open() as store:
        messages = store.conversations.load(conversation_id).messages
    assert [(m.role, m.state) for m in messages][:2] == [("user", "complete"), ("assistant", "failed")]
    assert messages[1].text == partial and messages[3].state == "complete"


async def test_a_refusal_is_said_on_the_turn_and_the_conversation_goes_on(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.use_deployment("fault-refusal")
        refused = await answered(pilot, "something refused")
        assert REFUSAL_NOTE in str(refused.query_one(".turn-status").render())
        assert app.screen.session.messages == []  # no empty text block goes back
        app.use_deployment("claude-sonnet-4-5")
        following = await answered(pilot, "and now?")
        assert following.reply_source
        assert [m["role"] for m in app.screen.session.messages] == ["user", "assistant"]


async def test_the_clients_warnings_are_shown_on_the_turn(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.use_deployment("fault-bad-usage")
        turn = await answered(pilot, "hello")
        footer = str(turn.query_one(".turn-footer").render())
        assert "⚠" in footer and "usage" in footer
