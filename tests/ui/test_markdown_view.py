"""The block-incremental Markdown renderer: streaming must end exactly where a one-shot render does."""

from __future__ import annotations

import random

import pytest
from rich.console import Console
from rich.markdown import Markdown
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll

from foundry_tui.emulator.replies import compose_reply, split_into_deltas
from foundry_tui.ui.markdown_blocks import (
    CHUNK_MAX_LINES,
    HUGE_BLOCK,
    BlockSplitter,
    block_parts,
    chunk_bounds,
    fence_code,
)
from foundry_tui.ui.widgets.markdown_view import MarkdownView, render_fence

REPORT = compose_reply("Write a long report with code and a table", "tests", 3000)


def stream(splitter: BlockSplitter, deltas: list[str]) -> BlockSplitter:
    for delta in deltas:
        splitter.append(delta)
    splitter.finish()
    return splitter


def one_shot(text: str) -> BlockSplitter:
    return stream(BlockSplitter(), [text])


@pytest.mark.parametrize("seed", range(5))
def test_splitter_streams_to_the_same_blocks_at_any_chunking(seed):
    rng = random.Random(seed)
    text = REPORT
    pieces, position = [], 0
    while position < len(text):
        size = rng.choice([1, 2, 3, 7, 40, 300])
        pieces.append(text[position : position + size])
        position += size
    streamed = stream(BlockSplitter(), pieces)
    assert streamed.final == one_shot(text).final
    assert streamed.source == text


def test_only_the_last_block_stays_open():
    splitter = BlockSplitter()
    splitter.append("# Title\n\nFirst para")
    assert splitter.final == ["# Title"] and splitter.tail == "First para"
    splitter.append("graph.\n\n| a | b |\n")
    assert splitter.final == ["# Title", "First paragraph."]
    splitter.append("|---|---|\n| 1 | 2 |")  # the paragraph-looking row became a table
    assert splitter.tail.startswith("| a | b |")
    splitter.finish()
    assert splitter.final[-1] == "| a | b |\n|---|---|\n| 1 | 2 |" and splitter.tail == ""


def test_fence_code_reads_open_and_closed_fences():
    assert fence_code("```python\nx = 1\ny = 2\n```") == ("python", ["x = 1", "y = 2"])
    assert fence_code("```python\nx = 1\ny") == ("python", ["x = 1", "y"])  # still streaming
    assert fence_code("~~~\nplain\n~~~") == ("text", ["plain"])
    assert fence_code("``` js extra words\na\n\n\n") == ("js", ["a"])
    assert fence_code("Not a fence") is None
    assert fence_code("```\n```") is None


def test_chunk_cut_points_never_move_as_a_fence_grows():
    lines = [f"line {i}" if i % 7 else "" for i in range(200)]
    full = chunk_bounds(len(lines), lines)
    for count in range(1, 200):
        prefix = chunk_bounds(count, lines[:count])
        assert prefix[:-1] == full[: len(prefix) - 1]
    assert all(end - start <= CHUNK_MAX_LINES for start, end in full)


def test_a_chunked_fence_renders_exactly_like_richs_code_block():
    code = "\n".join(f"def f{i}(x):\n    return x * {i}  # é →\n" for i in range(60)).rstrip()
    console = Console(width=90, color_system="truecolor", force_terminal=True)
    options = console.options.update(width=90)
    whole = console.render_lines(Markdown(f"```python\n{code}\n```", code_theme="monokai"), options, pad=False, new_lines=False)
    chunked = render_fence("python", code.split("\n"), console, 90, "monokai")
    assert len(chunk_bounds(len(code.split("\n")), code.split("\n"))) > 2
    assert [list(strip) for strip in chunked] == whole


class ViewApp(App):
    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield MarkdownView(self.text)


def screen_lines(view: MarkdownView) -> list[list]:
    return [list(view.render_line(y)) for y in range(view.size.height)]


async def rendered_lines(pilot, view: MarkdownView) -> list[list]:
    """Every line of the view once all of it has rendered (pieces out of view wait for idle time)."""
    view.ensure_rendered()
    await pilot.pause()
    return screen_lines(view)


async def test_streamed_reply_renders_identically_to_a_one_shot_render():
    """Issue #5: the final render of a streamed reply equals the one-shot render, line and style."""
    deltas = split_into_deltas(REPORT)
    streamed_app = ViewApp()
    async with streamed_app.run_test(size=(110, 40)) as pilot:
        view = streamed_app.query_one(MarkdownView)
        for start in range(0, len(deltas), 37):
            view.append("".join(deltas[start : start + 37]))
            if start % 370 == 0:
                await pilot.pause()
        view.finish()
        await pilot.pause()
        streamed = await rendered_lines(pilot, view)
    one_shot_app = ViewApp(REPORT)
    async with one_shot_app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        reference = await rendered_lines(pilot, one_shot_app.query_one(MarkdownView))
    assert len(streamed) > 200
    assert streamed == reference


async def test_a_resize_rerenders_at_the_new_width():
    app = ViewApp("A paragraph " * 40)
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.query_one(MarkdownView)
        wide = view.size.height
        await pilot.resize_terminal(50, 20)
        await pilot.pause()
        assert view.size.height > wide
        assert all(len(view.render_line(y).text) == view.size.width for y in range(view.size.height))


async def test_a_theme_change_recolours_but_a_class_change_around_the_view_does_not_rerender(monkeypatch):
    from foundry_tui.ui.widgets import markdown_view

    app = ViewApp("# Heading\n\nSome text.")
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(MarkdownView)
        await pilot.pause()
        before = screen_lines(view)
        calls = []
        monkeypatch.setattr(markdown_view, "render_block", lambda *args: calls.append(args) or [])
        view.parent.add_class("streaming")  # what a turn does when its reply ends
        await pilot.pause()
        assert calls == []
        monkeypatch.undo()
        app.theme = "textual-light"
        await pilot.pause()
        assert screen_lines(view) != before


async def test_while_streaming_the_height_grows_in_steps_and_finish_makes_it_exact():
    app = ViewApp()
    async with app.run_test(size=(60, 30)) as pilot:
        view = app.query_one(MarkdownView)
        await pilot.pause()
        view.append("\n\n".join(f"Paragraph {i}." for i in range(20)))  # ~39 lines
        await pilot.pause()
        assert view.size.height % 8 == 0
        view.finish()
        await pilot.pause()
        assert view.size.height == 39 and view.render_line(38).text.strip() == "Paragraph 19."


async def test_while_drafting_pieces_show_their_source_as_tall_as_estimated_then_render_for_real():
    """Issue #12: text flooding past is drawn as its plain source, at the estimated height (so nothing
    moves, and no Rich render is paid); once the flood ends, the reply renders as it always does."""
    text = "A **bold** word.\n\n" + "Long " * 40 + "\n\n```python\nx = 1\tand_a_tab\n```\n\nWide 漢字" + "字" * 60
    app = ViewApp()
    async with app.run_test(size=(60, 30)) as pilot:
        view = app.query_one(MarkdownView)
        await pilot.pause()
        view.drafting = True
        view.append(text)
        await pilot.pause()
        drafted = screen_lines(view)
        assert "A **bold** word." in [line.text.rstrip() for line in map(view.render_line, range(view.size.height))]
        drawn = [piece for piece in view._pieces if piece.lines is not None and piece.source]
        assert drawn and all(piece.draft and piece.height == piece.estimate for piece in drawn)
        assert all(sum(segment.cell_length for segment in line) == 60 for line in drafted)  # wide text cut to fit
        assert not any("\t" in segment.text for line in drafted for segment in line)
        view.drafting = False
        view.finish()
        await pilot.pause()
        assert not any(piece.draft for piece in view._pieces)
        streamed = await rendered_lines(pilot, view)
    one_shot_app = ViewApp(text)
    async with one_shot_app.run_test(size=(60, 30)) as pilot:
        await pilot.pause()
        assert streamed == await rendered_lines(pilot, one_shot_app.query_one(MarkdownView))


async def test_everything_rendered_for_a_copy_while_drafting_is_rendered_for_real():
    app = ViewApp()
    async with app.run_test(size=(60, 30)) as pilot:
        view = app.query_one(MarkdownView)
        await pilot.pause()
        view.drafting = True
        view.append("A **bold** word.\n\nMore.")
        await pilot.pause()
        view.ensure_rendered()  # what a selection does first
        assert view.is_rendered and "A bold word." in [view.render_line(y).text.rstrip() for y in range(3)]


async def test_every_frame_of_a_followed_reply_shows_true_heights_at_once():
    """Issue #12: the pieces of the last screenful render before the layout, not in the paint, so no
    frame shows estimated heights that a second frame corrects (the end of a turn included)."""
    app = ViewApp()
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(MarkdownView)
        app.query_one(VerticalScroll).anchor()  # follows the end, as the chat log does
        await pilot.pause()
        frames: list[tuple[int, int]] = []  # (height laid out, true height) as each frame was pushed
        display = app._display

        def logged_display(screen, renderable) -> None:
            display(screen, renderable)
            if renderable is not None:
                frames.append((view.size.height, view._height()))

        app._display = logged_display
        for start in range(0, 9000, 1500):
            view.append(REPORT[start : start + 1500])
            await pilot.pause()
        view.finish()
        await pilot.pause()
        await pilot.pause()
        assert len(frames) >= 7 and view.size.height == view._height()
        assert all(laid_out == true for laid_out, true in frames), frames


async def test_a_reply_scrolled_away_from_does_not_render_its_growing_end():
    """The last screenful renders ahead of the paint only while the end is on screen: a user reading
    earlier text does not pay for rendering a tail they do not see."""
    app = ViewApp()
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(MarkdownView)
        log = app.query_one(VerticalScroll)
        log.anchor()
        view.append("\n\n".join(f"Paragraph {i}: " + "words " * 30 for i in range(40)))
        await pilot.pause()
        assert not view._pieces[-1].pending  # followed: the end rendered
        log.release_anchor()
        log.scroll_home(animate=False)
        await pilot.pause()
        view.append("\n\nA new paragraph at the end.")
        await pilot.pause()
        view.append(" It grows.")
        await pilot.pause()
        assert view._pieces[-1].pending  # out of view: not rendered yet
        log.scroll_end(animate=False)
        await pilot.pause()
        assert "A new paragraph at the end. It grows." in [view.render_line(y).text.strip() for y in range(view.size.height)]


def test_the_shared_parser_renders_exactly_like_richs_own_markdown():
    from foundry_tui.ui.widgets.markdown_view import shared_parser_markdown

    console = Console(width=100, color_system="truecolor", force_terminal=True)
    options = console.options.update(width=100)
    ours = console.render_lines(shared_parser_markdown(REPORT, "monokai"), options, pad=False)
    rich = console.render_lines(Markdown(REPORT, code_theme="monokai"), options, pad=False)
    assert ours == rich and len(ours) > 100


async def test_a_long_reply_renders_only_what_is_drawn_and_the_rest_in_idle_steps():
    app = ViewApp()
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.query_one(MarkdownView)
        view.append(REPORT)
        view.finish()
        await pilot.pause()
        assert not view.is_rendered  # only the screenful on show was rendered
        steps = 0
        while not view.render_some(0.0):  # at least one piece a step, however small the budget
            steps += 1
        assert steps > 5 and view.is_rendered
        await pilot.pause()
        assert view.size.height == sum(len(piece.lines or []) for piece in view._pieces)


def test_a_huge_block_renders_in_parts_cut_where_the_text_allows():
    paragraph = "word " * 40_000
    parts = block_parts(paragraph)
    assert "".join(parts) == paragraph and all(len(part) <= HUGE_BLOCK for part in parts)
    assert all(part.endswith("word") for part in parts[:-1])  # cut at a space, not inside a word
    assert block_parts(paragraph + "more " * 10_000)[: len(parts) - 1] == parts[:-1]  # cuts hold as it grows
    assert block_parts("x" * 70_000) == ["x" * HUGE_BLOCK, "x" * HUGE_BLOCK, "x" * 6_000]


@pytest.mark.parametrize(("megabytes", "shape"), [(1, "document"), (1, "one paragraph"), (4, "document")])
async def test_one_huge_delta_never_holds_the_event_loop(megabytes, shape):
    """Issue #9: a delta up to the client's 4 MB cap is taken in over many short loop steps
    (~20 ms of parsing each, plus a frame; the bound leaves room for a shared machine)."""
    import asyncio
    import gc
    import time

    size = megabytes * 1_000_000
    text = (REPORT * (size // len(REPORT) + 1))[:size] if shape == "document" else "word " * (size // 5)
    app = ViewApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(MarkdownView)
        await pilot.pause()
        gc.collect()
        gc.freeze()  # as the app does after start-up: a full collection's cost is the app's, not ours
        steps: list[float] = []
        started = time.perf_counter()
        view.append(text)
        view.finish()
        steps.append(time.perf_counter() - started)
        while view.source != view._splitter.source or view._splitter.streaming:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            steps.append(time.perf_counter() - before - 0.005)
        await pilot.pause()
        gc.unfreeze()
        assert view.source == text
        assert view.render_line(0).text.strip()
        assert max(steps) < 0.15, sorted(steps)[-5:]
