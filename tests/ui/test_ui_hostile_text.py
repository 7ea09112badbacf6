"""Text from outside never reaches the terminal raw in the app (issue #9)."""

from __future__ import annotations

import re

from helpers import SIZE, answered
from textual.geometry import Region

from foundry_tui.emulator.faults import HOSTILE_TEXT
from foundry_tui.ui.widgets.markdown_view import MarkdownView
from foundry_tui.ui.widgets.turn import TurnView

CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
HOSTILE_LINE = "name\x1b]0;pwned\x07\x1b[2J\u202e"


def controls_drawn(app) -> list[str]:
    """Control characters anywhere in what the app would write for the current screen."""
    found = []
    for widget in app.screen.query("*"):
        if widget.display and widget.size.area:
            for strip in widget.render_lines(Region(0, 0, *widget.size)):
                found += CONTROLS.findall(strip.text)
    return found


async def test_a_reply_full_of_escape_sequences_is_drawn_without_them(demo_app):
    app = demo_app(deployment="fault-hostile")
    async with app.run_test(size=SIZE) as pilot:
        turn = await answered(pilot, "hello")
        assert HOSTILE_TEXT in turn.reply_source  # the history and ctrl+g keep what the model sent
        drawn = "\n".join(strip.text for strip in turn.query_one(MarkdownView).render_lines(Region(0, 0, *turn.size)))
        assert "clipboard" in drawn and "here" in drawn and "pwned title" not in drawn
        assert controls_drawn(app) == []


async def test_prompt_thinking_ids_and_deployment_are_drawn_without_controls(demo_app):
    from foundry_tui.service.messages import TurnResult

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        result = TurnResult(deployment=HOSTILE_LINE, status=200, stop_reason=HOSTILE_LINE, request_id=f"req_{HOSTILE_LINE}", apim_request_id=HOSTILE_LINE)
        turn = TurnView(f"a prompt {HOSTILE_TEXT}", HOSTILE_LINE, reply=HOSTILE_TEXT, state="done", result=result)
        await app.screen.query_one("#chat-log").mount(turn)
        turn.add_thinking(HOSTILE_TEXT)
        turn.flush()
        app.use_deployment(HOSTILE_LINE)
        await pilot.pause()
        assert controls_drawn(app) == []
        assert "<U+202E>" in str(app.screen.query_one("#status-bar").render())


def test_conversation_titles_are_drawn_on_one_line_without_controls():
    from foundry_tui.ui.screens.conversations import cell

    drawn = cell(f"my {HOSTILE_LINE}\nchat").plain
    assert CONTROLS.findall(drawn) == [] and "\n" not in drawn
    assert drawn.startswith("my name") and "<U+202E>" in drawn
