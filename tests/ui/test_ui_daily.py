"""What a daily user notices in the chat (issue #13): the footer's keys, new text below, partial usage, NO_COLOR."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpers import SIZE, send, wait_until
from textual.color import Color

from foundry_tui.service.auth import DeviceCodePrompt
from foundry_tui.ui.screens.chat import NEW_TEXT_BELOW, WELCOME
from foundry_tui.ui.widgets.key_bar import KeyBar
from foundry_tui.ui.widgets.problem import ProblemView

LONG = "Write a long report with code and a table"


def footer_actions(screen) -> list[str]:
    """The actions the footer shows right now (what the user reads, not what the bindings allow)."""
    return [key.action for key in screen.query_one(KeyBar).drawn]


async def test_the_footer_shows_esc_only_while_a_reply_streams(demo_app):
    app = demo_app(pace=60)
    async with app.run_test(size=SIZE) as pilot:
        chat = app.screen
        await pilot.pause()
        assert "cancel" not in footer_actions(chat)
        turn = await send(pilot, LONG)
        await wait_until(pilot, lambda: "cancel" in footer_actions(chat))
        await pilot.press("escape")
        await wait_until(pilot, lambda: turn.state == "cancelled")
        await wait_until(pilot, lambda: "cancel" not in footer_actions(chat))


async def test_no_stale_esc_after_a_device_code_sign_in(demo_app):
    app = demo_app(pace=60)
    async with app.run_test(size=SIZE) as pilot:
        chat = app.screen
        turn = await send(pilot, LONG)
        app.show_device_code(DeviceCodePrompt("https://microsoft.com/devicelogin", "ABCD-1234", datetime.now(UTC) + timedelta(minutes=15)))
        await pilot.pause()
        app.close_device_code()  # what the first response does
        await wait_until(pilot, lambda: app.screen is chat and "cancel" in footer_actions(chat))
        await pilot.press("escape")
        await wait_until(pilot, lambda: turn.state == "cancelled")
        await wait_until(pilot, lambda: "cancel" not in footer_actions(chat))
        await pilot.pause(0.2)
        assert "cancel" not in footer_actions(chat)


async def test_new_text_below_shows_when_scrolled_up_while_streaming(demo_app):
    app = demo_app(pace=300)
    async with app.run_test(size=SIZE) as pilot:
        marker = app.screen.query_one("#new-text-below")
        log = app.screen.query_one("#chat-log")
        turn = await send(pilot, LONG)
        await wait_until(pilot, lambda: log.max_scroll_y > 20)
        assert not marker.display  # following: nothing to say
        await pilot.press("pageup")
        await wait_until(pilot, lambda: marker.display)
        assert str(marker.render()) == NEW_TEXT_BELOW
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: not marker.display)
        await pilot.press("pageup")
        await wait_until(pilot, lambda: marker.display)
        await pilot.press("escape")
        await wait_until(pilot, lambda: turn.state == "cancelled")
        await wait_until(pilot, lambda: not marker.display)  # nothing arrives any more


async def test_a_cancelled_turn_shows_the_usage_counted_before_the_cancel(demo_app):
    app = demo_app(pace=60)
    async with app.run_test(size=SIZE) as pilot:
        turn = await send(pilot, LONG)
        await wait_until(pilot, lambda: len(turn.reply_source) > 20 and turn.usage_seen is not None)
        await pilot.press("escape")
        await wait_until(pilot, lambda: turn.state == "cancelled")
        await pilot.pause()
        footer = turn.query_one(".turn-footer")
        text = str(footer.render())
        assert footer.display
        assert f"{turn.usage_seen.input_tokens} in · " in text and "$" in text
        assert "partial: counted before the cancel" in text
        chat = app.chat_screen()  # the session totals count what the cancelled turn was billed
        assert (chat.session_input, chat.session_output) == (turn.usage_seen.input_tokens, turn.usage_seen.output_tokens)
        assert chat.session_output > 0 and chat.session_cost > 0


async def test_the_welcome_fits_80_columns_and_names_the_first_keys(demo_app):
    assert all(len(line) <= 76 for line in WELCOME.splitlines())
    for key in ("Enter", "ctrl+o", "F1"):
        assert key in WELCOME
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        welcome = app.screen.query_one("#welcome")
        assert welcome.content_region.height == len(WELCOME.splitlines())  # not wrapped


async def test_no_color_keeps_the_error_title_readable(demo_app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = demo_app(deployment="fault-unknown-deployment")
    async with app.run_test(size=SIZE) as pilot:
        assert app.no_color
        turn = await send(pilot, "hello")
        await wait_until(pilot, lambda: turn.state == "failed")
        await pilot.pause()
        panel = turn.query_one(ProblemView)
        segments = [segment for y in range(panel.size.height) for segment in panel.render_line(y)]
        title = next(segment for segment in segments if "404" in segment.text)
        assert title.style.bold  # set apart by more than colour
        ink, paper = Color.from_rich_color(title.style.color), Color.from_rich_color(title.style.bgcolor)
        assert abs(ink.monochrome.brightness - paper.monochrome.brightness) > 0.5  # still readable in grey
