"""The chat and the history: turns are saved as they stream, and the next start shows them again."""

from __future__ import annotations

import asyncio
import time

from helpers import SIZE, answered, send, wait_until

from foundry_tui.store.store import Store
from foundry_tui.ui.app import FoundryApp
from foundry_tui.ui.widgets.markdown_view import MarkdownView
from foundry_tui.ui.widgets.turn import TurnView


async def history_ready(app: FoundryApp, pilot) -> None:
    await app.history()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_turn_is_saved_and_the_next_start_shows_it_again(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await history_ready(app, pilot)
        turn = await answered(pilot, "Write a short list")
        saved_id, reply = app.screen.session.conversation_id, turn.reply_source
    with Store.open() as store:
        conversation = store.conversations.load(saved_id)
    assert [(m.role, m.state) for m in conversation.messages] == [("user", "complete"), ("assistant", "complete")]
    assert conversation.messages[1].text == reply and conversation.messages[1].details.request_id == turn.request_id

    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await history_ready(again, pilot)
        [shown] = again.screen.query(TurnView)
        assert shown.prompt == "Write a short list" and shown.state == "done"
        assert shown.query_one(MarkdownView).source == reply
        assert shown.request_id == turn.request_id and turn.request_id in str(shown.query_one(".turn-footer").render())
        assert [m["role"] for m in again.screen.session.messages] == ["user", "assistant"]  # continuing sends them
        await answered(pilot, "and more")
        assert again.screen.session.conversation_id == saved_id
    with Store.open() as store:
        assert len(store.conversations.load(saved_id).messages) == 4


async def test_an_interrupted_turn_shows_with_its_partial_reply_ids_and_a_retry(make_app):
    with Store.open() as store:  # what a process killed mid-stream leaves behind
        turn = store.conversations.start_turn("Tell me everything", profile="work", deployment="claude-sonnet-4-5")
        store.conversations.set_request_ids(turn.reply_message_id, "req_killed", "apim-killed")
        store.conversations.checkpoint(turn.reply_message_id, "The first half of the ans", now=time.time() - 60)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await history_ready(app, pilot)
        [shown] = app.screen.query(TurnView)
        assert shown.state == "interrupted" and shown.reply_source == "The first half of the ans"
        assert "interrupted" in str(shown.query_one(".turn-status").render())
        assert shown.ids_text() == "request-id: req_killed · apim-request-id: apim-killed"
        await pilot.press("f5")
        await wait_until(pilot, lambda: len(app.screen.query(TurnView)) == 2)
        retry = app.screen.query(TurnView).last()
        assert retry.prompt == "Tell me everything"
        await wait_until(pilot, lambda: retry.state == "done")
        assert [m["role"] for m in app.screen.session.messages] == ["user", "assistant"]  # the partial reply was replaced


async def test_new_chat_starts_a_new_conversation(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await history_ready(app, pilot)
        await answered(pilot, "hello")
        first_id = app.screen.session.conversation_id
        await pilot.press("ctrl+n")
        await answered(pilot, "hello again")
        assert app.screen.session.conversation_id not in (None, first_id)


async def test_quitting_mid_reply_saves_the_turn_as_cancelled(make_app):
    from foundry_tui.emulator.server import EmulatorConfig, EmulatorThread

    with EmulatorThread(EmulatorConfig(port=0, pace=50)) as slow:
        app = make_app(slow)
        async with app.run_test(size=SIZE) as pilot:
            await history_ready(app, pilot)
            turn = await send(pilot, "Write a long report")
            await wait_until(pilot, lambda: len(turn.reply_source) > 30)
            conversation_id = app.screen.session.conversation_id
        # leaving run_test quits the app with the reply still streaming
    with Store.open() as store:
        reply = store.conversations.load(conversation_id).messages[1]
    assert reply.state == "cancelled" and len(reply.text) > 30 and reply.details.request_id.startswith("req_")


async def test_a_reply_shows_its_footer_before_it_is_written_and_the_next_prompt_leaves_it_done_and_counted_once(
    make_app, monkeypatch
):
    """The history writes a reply while its ending is on screen; a prompt sent meanwhile cancels
    the first turn's worker, which must neither mark that turn cancelled nor count it twice."""
    from foundry_tui.store.recorder import TurnRecorder

    release = asyncio.Event()
    finish = TurnRecorder.finish

    async def held_finish(self, *args, **kwargs):
        await release.wait()
        await finish(self, *args, **kwargs)

    monkeypatch.setattr(TurnRecorder, "finish", held_finish)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        first = await send(pilot, "one")
        await wait_until(pilot, lambda: first.state == "done" and "tok/s" in str(first.query_one(".turn-footer").render()))
        with Store.open() as store:
            assert store.conversations.latest().messages[-1].state == "streaming"  # shown, not written yet
        counted = app.screen.session_output
        second = await send(pilot, "two")
        release.set()
        await wait_until(pilot, lambda: second.state == "done")
        await app.workers.wait_for_complete()
        assert first.state == "done" and app.screen.session_output == counted + second.result.usage.output_tokens
    with Store.open() as store:
        assert [message.state for message in store.conversations.latest().messages] == ["complete"] * 4


async def test_quitting_while_a_finished_reply_is_being_written_waits_for_the_write(make_app, monkeypatch):
    from foundry_tui.store.recorder import TurnRecorder

    finish = TurnRecorder.finish

    async def slow_finish(self, *args, **kwargs):
        await asyncio.sleep(0.3)
        await finish(self, *args, **kwargs)

    monkeypatch.setattr(TurnRecorder, "finish", slow_finish)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        turn = await send(pilot, "one")
        await wait_until(pilot, lambda: turn.state == "done")
    # leaving run_test quits the app with the reply's write under way
    with Store.open() as store:
        reply = store.conversations.latest().messages[-1]
    assert reply.state == "complete" and reply.text == turn.reply_source
