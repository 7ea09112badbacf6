"""A reply on screen survives focus, theme switches, resizes and mouse selection (issues #8, #9)."""

from __future__ import annotations

from helpers import SIZE, answered
from textual.geometry import Region

from foundry_tui.ui.widgets.markdown_view import MarkdownView
from foundry_tui.ui.widgets.turn import TurnView


def drawn_text(view: MarkdownView) -> list[str]:
    """The reply's lines as the compositor asks for them."""
    width, height = view.size
    return [strip.text.rstrip() for strip in view.render_lines(Region(0, 0, width, height))]


async def fresh_render_text(pilot, turn: TurnView) -> list[str]:
    """A one-shot render of the same Markdown, mounted beside the reply at the same width."""
    fresh = MarkdownView(turn.reply_source, classes="reply")
    await turn.mount(fresh)
    await pilot.pause()
    fresh.ensure_rendered()
    await pilot.pause()
    text = drawn_text(fresh)
    await fresh.remove()
    return text


async def assert_reply_on_screen(pilot, turn: TurnView) -> None:
    await pilot.pause()
    on_screen = drawn_text(turn.query_one(MarkdownView))
    assert any(line.strip() for line in on_screen)
    assert on_screen == await fresh_render_text(pilot, turn)


async def test_focusing_a_turn_keeps_its_reply(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        turn = await answered(pilot, "Show me a table and some code")
        await assert_reply_on_screen(pilot, turn)
        turn.focus()
        await assert_reply_on_screen(pilot, turn)
        await pilot.press("shift+tab")  # focus leaves again
        await assert_reply_on_screen(pilot, turn)


async def test_a_theme_switch_keeps_every_reply(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        first = await answered(pilot, "hello")
        second = await answered(pilot, "Show me a table and some code")
        app.action_command_palette()  # the theme is switched from the palette, over the chat
        await pilot.pause()
        app.theme = "nord" if app.theme != "nord" else "gruvbox"
        await pilot.press("escape")
        await assert_reply_on_screen(pilot, first)
        await assert_reply_on_screen(pilot, second)


async def test_a_resize_after_focus_and_theme_switch_keeps_the_reply(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        turn = await answered(pilot, "Show me a table and some code")
        turn.focus()
        app.theme = "dracula"
        await pilot.resize_terminal(90, 40)
        await assert_reply_on_screen(pilot, turn)


async def test_mouse_selection_of_reply_text_copies_with_ctrl_c(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        turn = await answered(pilot, "hello")
        view = turn.query_one(MarkdownView)
        first_line = drawn_text(view)[0]
        words = first_line.split()
        assert len(words) >= 2
        end = first_line.index(words[1]) + len(words[1])
        await pilot.mouse_down(view, offset=(0, 0))
        await pilot.hover(view, offset=(end - 1, 0))  # the cell under the pointer is included
        await pilot.mouse_up(view, offset=(end - 1, 0))
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert app.clipboard == first_line[:end]


async def streaming_turn(pilot) -> tuple[TurnView, MarkdownView]:
    """A new turn in the chat, fed by the test rather than a stream."""
    await pilot.pause()
    turn = TurnView("hi", "claude-sonnet-4-5")
    await pilot.app.screen.query_one("#chat-log").mount(turn)
    return turn, turn.query_one(MarkdownView)


async def test_text_shows_one_screen_period_after_it_arrives_and_a_stream_at_most_once_a_frame(demo_app):
    """Issue #12: text waits one screen period for what may follow it, never a whole frame; a fast
    stream still costs one flush a frame."""
    from foundry_tui.ui.widgets.turn import FRAME, GATHER

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        turn, view = await streaming_turn(pilot)
        turn.add_text("First")
        assert view.source == ""  # gathered for one screen period
        await pilot.pause(GATHER * 2)  # less than a frame
        assert view.source == "First"
        turn.add_text(" second")
        turn.add_text(" third")
        assert view.source == "First"  # within the same frame: held for the frame clock
        await pilot.pause(FRAME * 3)
        assert view.source == "First second third"


async def test_a_flood_right_behind_the_first_words_is_a_draft_from_its_first_frame(demo_app):
    """Issue #12: the first words and the flood that follows them within a screen period are
    flushed together, as a draft: nothing is rendered that the flood scrolls past unseen."""
    from foundry_tui.ui.widgets.turn import FLOOD_CHARS

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        turn, view = await streaming_turn(pilot)
        turn.add_text("The **first** words.\n\n")
        turn.add_text("word " * (FLOOD_CHARS // 5 + 1))  # the next read, right behind
        while "word" not in view.source:
            await pilot.pause(0.002)
        assert view.source.startswith("The **first** words.")  # one flush for both
        for y in range(view.size.height):  # the first frame's paint
            view.render_line(y)
        assert view._pieces[0].draft  # the first words too: drawn as their source, not rendered


async def test_a_flood_is_drafted_until_a_frame_after_it_stops_and_a_turn_never_ends_drafted(demo_app):
    """Issue #12: while more than a screenful comes a frame (or already waits for the next one), the
    reply is drawn as a plain-text draft; a frame after the text stops, with the stream still open,
    it renders for real, and so does a turn that ends mid-flood."""
    from foundry_tui.ui.widgets.turn import FLOOD_CHARS, FRAME

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        turn, view = await streaming_turn(pilot)
        turn.add_text("The **first** words.\n\n")
        assert not view.drafting  # one short read is not a flood
        turn.add_text("word " * (FLOOD_CHARS // 5 + 1))
        assert view.drafting  # a screenful waits for the next frame: what that frame draws is overtaken
        while "word" not in view.source:  # the frame clock's next flush
            await pilot.pause(0.005)
        await pilot.pause(FRAME * 3)  # no more text: the clock's next tick ends the draft
        assert not view.drafting and not any(piece.draft for piece in view._pieces)
        await pilot.pause()
        streaming = drawn_text(view)
        assert "The first words." in streaming and "**" not in "".join(streaming)
        assert [line for line in streaming if line] == [line for line in await fresh_render_text(pilot, turn) if line]

        turn.add_text("\n\nMore **text** " * (FLOOD_CHARS // 10))
        assert view.drafting
        while "More" not in view.source:  # flushed a screen period later, after a quiet frame
            await pilot.pause(0.002)
        for y in range(view.size.height + SIZE[1]):  # a paint, now: the new lines are drawn as drafts
            view.render_line(y)
        assert any(piece.draft for piece in view._pieces)
        turn.cancelled()
        assert not view.drafting and not any(piece.draft for piece in view._pieces)
        await assert_reply_on_screen(pilot, turn)


async def test_a_reply_streamed_a_few_words_a_frame_is_on_screen_exactly_at_every_step(demo_app):
    """A flush that keeps the view's height repaints only the lines from the first piece that changed:
    what the compositor has cached for the lines above must still be right, and the rest redrawn."""
    from foundry_tui.emulator.replies import compose_reply, split_into_deltas

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        turn, view = await streaming_turn(pilot)
        deltas = split_into_deltas(compose_reply("Write a report with code and a table", "tests", 600))
        for start in range(0, len(deltas), 7):
            turn.add_text("".join(deltas[start : start + 7]))
            await pilot.pause(0.04)  # a frame or so: each batch is flushed and drawn
            if start % 70 == 0:
                streaming = [line for line in drawn_text(view) if line]
                assert streaming == [line for line in await fresh_render_text(pilot, turn) if line], start
        turn.cancelled()
        await assert_reply_on_screen(pilot, turn)


async def test_a_reply_that_outgrows_the_screen_keeps_its_width(demo_app):
    """Issue #12: the log keeps its scrollbar's column when nothing scrolls yet, so the reply that
    first fills the screen is not re-wrapped one column narrower (in a flood, late: every piece of
    a long reply was cut again and the visible ones rendered in the paint of the final frame)."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        turn, view = await streaming_turn(pilot)
        turn.add_text("A short first paragraph.\n\n")
        await pilot.pause(0.05)
        before = view.size.width
        turn.add_text("A line of the long reply.\n\n" * SIZE[1])
        await pilot.pause(0.05)
        log = app.screen.query_one("#chat-log")
        assert log.max_scroll_y > 0  # it outgrew the screen
        assert view.size.width == before
