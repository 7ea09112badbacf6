"""How the app shows any `Problem`: the message, the hint and the request ids, sanitized.

Messages and hints can carry server text (an HTML title, an error body) and the ids come from
headers, so every part goes through `terminal_line`, and the parts are `Content`, never markup.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from foundry_tui.problem import Problem
from foundry_tui.safetext import terminal_line


def problem_content(problem: Problem, *, context: str = "") -> Content:
    """'✗ message', then 'hint: …' and the ids on their own lines; `context` (a deployment) leads the message."""
    headline = terminal_line(problem.summary())
    parts: list[str | tuple[str, str]] = [
        ("✗ ", "$text-error bold"),
        (f"{terminal_line(context)}: {headline}" if context else headline, "$text-error bold"),
    ]
    if problem.hint:
        parts.append((f"\nhint: {terminal_line(problem.hint)}", "$text-warning"))
    if problem.ids():
        parts.append((f"\n{problem.ids()}", "$text-muted"))
    return Content.assemble(*parts)


def problem_notice(problem: Problem) -> str:
    """The problem as a notification's plain text (notify it with markup=False): message, hint, ids."""
    hint = f"hint: {terminal_line(problem.hint)}" if problem.hint else ""
    return "\n".join(filter(None, [terminal_line(problem.summary()), hint, problem.ids()]))


class ProblemView(Static):
    """One problem, drawn the same way wherever the app reports one."""

    DEFAULT_CSS = """
    ProblemView {
        height: auto;
    }
    """

    def __init__(self, problem: Problem, *, context: str = "", classes: str | None = None) -> None:
        super().__init__(problem_content(problem, context=context), classes=classes)
        self.problem = problem
