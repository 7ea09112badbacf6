"""Prompt caching in the app: the second turn reads the first from the cache, and the footer and status bar say what it saved."""

from __future__ import annotations

import uuid

from helpers import SIZE, answered
from textual.widgets import Checkbox

from foundry_tui.ui.screens.chat_settings import ChatSettingsScreen

LONG_DOCUMENT = "Summarise this design note. " + "The cache keeps the prefix of the conversation. " * 100


async def test_the_second_turn_footer_shows_the_cache_read_and_the_saving(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        first = await answered(pilot, f"[{uuid.uuid4()}] {LONG_DOCUMENT}")
        second = await answered(pilot, "And in one sentence?")

        assert first.result.usage.cache_creation_input_tokens > 0
        assert second.result.usage.cache_read_input_tokens == first.result.usage.cache_creation_input_tokens
        footer = str(second.query_one(".turn-footer").render())
        assert " cache read · " in footer and " · saved $0.0" in footer
        assert " · saved -$0.0" in str(first.query_one(".turn-footer").render())  # the first write costs 1.25x
        status = str(app.screen.query_one("#status-bar").render())
        assert " · saved $0.0" in status


async def test_the_chat_setting_turns_caching_off(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, ChatSettingsScreen)
        checkbox = app.screen.query_one("#prompt-caching", Checkbox)
        assert checkbox.value  # the profile's default: on
        checkbox.value = False
        await pilot.press("ctrl+s")
        await pilot.pause()

        turn = await answered(pilot, f"[{uuid.uuid4()}] {LONG_DOCUMENT}")
        assert app.screen.session.settings.prompt_caching is False
        assert (turn.result.usage.cache_creation_input_tokens, turn.result.usage.cache_read_input_tokens) == (0, 0)
        assert "saved" not in str(turn.query_one(".turn-footer").render())
