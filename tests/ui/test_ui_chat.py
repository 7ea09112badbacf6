"""The chat screen driven through Pilot against the emulator on a real loopback socket."""

from __future__ import annotations

import time

import pytest
from helpers import SIZE, answered, send, wait_until

from foundry_tui.service.messages import TurnResult, Usage
from foundry_tui.ui.app import FoundryApp
from foundry_tui.ui.screens.chat import ChatScreen
from foundry_tui.ui.widgets.markdown_view import MarkdownView
from foundry_tui.ui.widgets.problem import ProblemView
from foundry_tui.ui.widgets.prompt import PromptInput
from foundry_tui.ui.widgets.turn import TurnView


def screen_text(app: FoundryApp) -> str:
    return app.export_screenshot()


async def test_a_prompt_streams_a_reply_with_usage_and_ids(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        turn = await answered(pilot, "Show me a table and some code")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        assert len(turn.reply_source) > 100
        assert turn.query_one(MarkdownView).source == turn.reply_source
        assert turn.request_id.startswith("req_") and turn.apim_request_id
        footer = str(turn.query_one(".turn-footer").render())
        assert "claude-sonnet-4-5" in footer and " in · " in footer and "$" in footer and "tok/s" in footer
        assert turn.request_id in footer and "end_turn" in footer
        assert app.screen.session.messages[-1]["role"] == "assistant"
        status = str(app.screen.query_one("#status-bar").render())
        assert "demo" in status and "claude-sonnet-4-5" in status and "$0.0" in status


async def test_the_prompt_is_cleared_and_focus_stays(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        turn = await send(pilot, "hello")
        prompt = app.screen.query_one(PromptInput)
        assert prompt.text == "" and prompt.has_focus
        await wait_until(pilot, lambda: turn.state == "done")


async def test_copy_ids_and_reply(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        turn = await answered(pilot, "hello")
        await pilot.press("ctrl+r")
        assert app.clipboard == f"request-id: {turn.request_id} · apim-request-id: {turn.apim_request_id}"
        await pilot.press("ctrl+g")
        assert app.clipboard == turn.reply_source
        app.screen.copy_one_id("apim_request_id")
        assert app.clipboard == turn.apim_request_id


async def test_escape_cancels_and_keeps_the_partial_reply(demo_app):
    app = demo_app(pace=60)
    async with app.run_test(size=SIZE) as pilot:
        turn = await send(pilot, "Write a long report with code and a table")
        await wait_until(pilot, lambda: len(turn.reply_source) > 20)
        await pilot.press("escape")
        await wait_until(pilot, lambda: turn.state == "cancelled")
        partial = turn.reply_source
        await pilot.pause(0.3)
        assert turn.reply_source == partial  # nothing arrives after the cancel
        assert "cancelled" in str(turn.query_one(".turn-status").render())
        assert turn.query_one(MarkdownView).source == partial
        assert app.screen.session.messages[-1] == {"role": "assistant", "content": [{"type": "text", "text": partial}]}


async def test_an_error_shows_message_hint_ids_and_retry(demo_app):
    app = demo_app(deployment="fault-unknown-deployment")
    async with app.run_test(size=SIZE) as pilot:
        turn = await send(pilot, "hello")
        await wait_until(pilot, lambda: turn.state == "failed")
        await pilot.pause()
        text = str(turn.query_one(ProblemView).render())
        assert "404" in text and "deployment" in text.lower()
        assert "hint:" in text and "request-id: req_" in text and "apim-request-id" in text
        assert app.screen.session.messages == []  # the unanswered prompt is not sent again as context
        app.use_deployment("claude-haiku-4-5")
        await pilot.press("f5")
        await wait_until(pilot, lambda: len(app.screen.query(TurnView)) == 2)
        retry = app.screen.query(TurnView).last()
        assert retry.prompt == "hello"
        await wait_until(pilot, lambda: retry.state == "done")
        assert [m["role"] for m in app.screen.session.messages] == ["user", "assistant"]


async def test_a_429_shows_the_retry_wait_then_answers(demo_app):
    app = demo_app(deployment="fault-429*1")
    async with app.run_test(size=SIZE) as pilot:
        turn = await send(pilot, "hello")
        await wait_until(pilot, lambda: "retrying in" in str(turn.query_one(".turn-status").render()))
        assert "429" in str(turn.query_one(".turn-status").render())
        await wait_until(pilot, lambda: turn.state == "done")
        assert turn.reply_source


async def test_mid_stream_error_keeps_the_partial_reply(demo_app):
    app = demo_app(deployment="fault-stream-error")
    async with app.run_test(size=SIZE) as pilot:
        turn = await send(pilot, "tell me about caching")
        await wait_until(pilot, lambda: turn.state == "failed")
        assert turn.reply_source and turn.error.kind == "stream"
        assert turn.query_one(MarkdownView).source == turn.reply_source


async def test_a_second_turn_sends_the_conversation(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        first = await answered(pilot, "hello")
        second = await answered(pilot, "and again")
        assert [m["role"] for m in app.screen.session.messages] == ["user", "assistant", "user", "assistant"]
        assert second.result.usage.input_tokens > first.result.usage.input_tokens


async def test_new_chat_clears_the_conversation(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await answered(pilot, "hello")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert not app.screen.query(TurnView) and app.screen.session.messages == []
        assert "session 0 in · 0 out" in str(app.screen.query_one("#status-bar").render())


async def test_newline_keys_do_not_send(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        prompt = app.screen.query_one(PromptInput)
        await pilot.press(*"one", "ctrl+j", *"two", "backslash", "enter", *"three")
        assert prompt.text == "one\ntwo\nthree" and not app.screen.query(TurnView)


async def test_view_follows_the_stream_only_at_the_bottom(demo_app):
    app = demo_app(pace=300)
    async with app.run_test(size=SIZE) as pilot:
        log = app.screen.query_one("#chat-log")
        turn = await send(pilot, "Write a long report with code and a table")
        await wait_until(pilot, lambda: log.max_scroll_y > 20)
        assert log.scroll_y == log.max_scroll_y  # following
        await pilot.press("pageup")
        await pilot.pause(0.3)
        assert log.scroll_y < log.max_scroll_y - 5  # the user scrolled away: no more following
        await pilot.press("ctrl+b")
        await pilot.pause(0.2)
        assert log.max_scroll_y - log.scroll_y <= 1
        grown = log.max_scroll_y
        await wait_until(pilot, lambda: log.max_scroll_y > grown + 5)
        await pilot.pause(0.1)
        assert log.max_scroll_y - log.scroll_y <= 1  # following again as the reply grows
        await pilot.press("escape")
        await wait_until(pilot, lambda: turn.state != "streaming")


async def test_keys_echo_while_a_long_reply_streams(demo_app):
    app = demo_app(pace=2000)
    async with app.run_test(size=SIZE) as pilot:
        turn = await send(pilot, "Write a long report with code and a table")
        prompt = app.screen.query_one(PromptInput)
        await wait_until(pilot, lambda: len(turn.reply_source) > 200)
        started = time.perf_counter()
        await pilot.press(*"typing while streaming")
        elapsed = time.perf_counter() - started
        assert prompt.text == "typing while streaming"
        assert elapsed < 5.0  # 22 keys, each waiting for the app to go idle; a blocked loop takes far longer
        await pilot.press("escape")


async def test_thinking_shows_collapsed_and_expands_on_demand(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        app.screen.session.settings.thinking_budget = 2048
        turn = await answered(pilot, "Explain caching")
        await pilot.pause()
        from textual.widgets import Collapsible

        thinking = turn.query_one(Collapsible)
        assert thinking.collapsed and str(turn.query_one(".thinking-text").render()).strip()
        await pilot.press("ctrl+t")
        assert not thinking.collapsed
        sent = app.screen.session.messages[-1]["content"]
        assert sent[0]["type"] == "thinking" and sent[0]["signature"]  # kept for the next turn
        assert sent[1]["type"] == "text"


@pytest.mark.parametrize(("key", "screen"), [("f6", "ConversationsScreen"), ("ctrl+l", "ConversationsScreen"), ("f7", "UsageScreen")])
async def test_history_keys_work_while_typing_in_the_prompt(demo_app, key, screen):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.screen.query_one(PromptInput).has_focus
        await pilot.press(key)
        await pilot.pause()
        assert type(app.screen).__name__ == screen


async def test_the_session_total_says_when_it_leaves_unpriced_turns_out(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        unpriced = TurnResult("mystery-deployment", model="mystery-model", usage=Usage(input_tokens=10, output_tokens=5))
        chat.add_to_totals(unpriced)
        await pilot.pause()
        assert "n/a" in str(chat.query_one("#status-bar").render())
        await answered(pilot, "hello")
        status = str(chat.query_one("#status-bar").render())
        assert "≥ $0.0" in status


async def test_a_reopened_conversation_keeps_its_thinking_collapsed(demo_app):
    from textual.widgets import Collapsible

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        chat.session.settings.thinking_budget = 2048
        live = await answered(pilot, "Explain caching")
        await pilot.pause()
        thought = str(live.query_one(".thinking-text").render()).strip()
        conversation_id = chat.session.conversation_id
        await chat.action_new_chat()
        await chat.open_conversation(conversation_id)
        await pilot.pause()
        [reopened] = chat.query(TurnView)
        thinking = reopened.query_one(Collapsible)
        assert thinking.collapsed and str(reopened.query_one(".thinking-text").render()).strip() == thought
        await pilot.press("ctrl+t")
        assert not thinking.collapsed
