"""`ProblemView`: the one way the app shows any Problem: message, hint, ids, sanitized, markup off."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from foundry_tui.config.profile import ConfigError
from foundry_tui.problem import Problem
from foundry_tui.service.errors import RateLimitError
from foundry_tui.store.errors import StoreError
from foundry_tui.ui.widgets.problem import ProblemView

HOSTILE = "\x1b]52;c;cm0=\x1b\\\x1b]0;t\x07\x1b[2J\x9b1m\x1b]8;;http://x/\x1b\\"
PROBLEMS = {
    "config": (ConfigError("[bold]no profile[/bold] named 'x'", "`foundry-tui profile list` shows them"),
               "✗ [bold]no profile[/bold] named 'x'\nhint: `foundry-tui profile list` shows them"),
    "store": (StoreError.from_sqlite(Exception("database is locked"), Path("/h/history.sqlite3")),
              "✗ history database: database is locked\n"
              "hint: another foundry-tui is busy writing the history: try again in a moment"),
    "foundry": (RateLimitError(f"slow {HOSTILE}down", status=429, request_id=f"req_{HOSTILE}1", apim_request_id="a-\u202e2",
                               hint=f"wait {HOSTILE}a bit"),
                "✗ 429 rate limit error: slow down\nhint: wait a bit\nrequest-id: req_1 · apim-request-id: a-<U+202E>2"),
}  # fmt: skip


class OneProblem(App[None]):
    def __init__(self, problem: Problem) -> None:
        super().__init__()
        self.problem = problem

    def compose(self) -> ComposeResult:
        yield ProblemView(self.problem, context="claude-\u202eopus")


@pytest.mark.parametrize("family", PROBLEMS)
async def test_each_family_shows_message_hint_and_ids(family):
    problem, expected = PROBLEMS[family]
    app = OneProblem(problem)
    async with app.run_test() as pilot:
        await pilot.pause()
        shown = str(app.query_one(ProblemView).render())
        assert shown == expected.replace("✗ ", "✗ claude-<U+202E>opus: ", 1)
        assert "\x1b" not in shown and "\x9b" not in shown
