"""The usage dialog (F7): the figures of `foundry-tui usage` for the configured window, in the app.

Totals, a chart of tokens per day, a table per deployment and per day, and the recent errors with
the request ids support asks for (c copies them). Everything is read in one store call, off the
event loop; the window is the command's (the last `usage_days` × 24 h), so both show the same numbers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import DataTable, Label, Sparkline, Static

from foundry_tui.format import request_ids, tokens, total_cost
from foundry_tui.safetext import terminal_line
from foundry_tui.store.errors import StoreError
from foundry_tui.store.export import local_time
from foundry_tui.store.usage import SECONDS_PER_DAY, UsageRow, UsageSummary, UsageTotals
from foundry_tui.ui.screens.conversations import history_call
from foundry_tui.ui.widgets.dialog import DialogScreen
from foundry_tui.ui.widgets.problem import problem_content
from foundry_tui.usage_figures import HEADER, cells, percentiles

if TYPE_CHECKING:
    from foundry_tui.store.store import Store
    from foundry_tui.ui.app import FoundryApp

ERROR_LIMIT = 20


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Everything the dialog shows, read in one go on the store's thread."""

    by_deployment: UsageSummary  # its `total` is the window's
    by_day: UsageSummary
    errors: list[UsageRow]  # newest first

    @classmethod
    def read(cls, store: Store, days: int, until: float) -> UsageReport:
        since = until - days * SECONDS_PER_DAY
        return cls(
            store.usage.summary(since, by="deployment", until=until),
            store.usage.summary(since, by="day", until=until),
            store.usage.recent_errors(since, limit=ERROR_LIMIT),
        )

    @property
    def total(self) -> UsageTotals:
        return self.by_deployment.total

    def tokens_per_day(self) -> list[tuple[str, int]]:
        """Every calendar day of the window, oldest first, 0 where nothing was sent."""
        per_day = {day.key: day.input_tokens + day.output_tokens for day in self.by_day.groups}
        first, last = date.fromtimestamp(self.by_day.since), date.fromtimestamp(self.by_day.until)
        days = [(first + timedelta(days=offset)).isoformat() for offset in range((last - first).days + 1)]
        return [(day, per_day.get(day, 0)) for day in days]


def totals_line(total: UsageTotals) -> Content:
    """The window at a glance: each figure bold, its label plain."""
    rate = total.error_rate
    figures = [
        (str(total.requests), "requests"),
        (str(total.errors), f"errors ({rate:.1%})" if rate else "errors"),
        (tokens(total.input_tokens), "in"),
        (tokens(total.output_tokens), "out"),
        (total_cost(total.cost, total.unpriced_requests), unpriced_label(total.unpriced_requests)),
        (percentiles(total.latency_p50_ms, total.latency_p95_ms), "latency"),
        (percentiles(total.ttft_p50_ms, total.ttft_p95_ms), "TTFT (p50/p95)"),
    ]
    if total.check_requests:  # failing probes are not failing chats: counted apart from the error rate
        figures.insert(2, (f"{total.check_errors} of {total.check_requests}", "checks failed"))
    parts = [Content.assemble((value, "bold"), f" {label}" if label else "") for value, label in figures]
    return Content(" · ").join(parts)


def unpriced_label(count: int) -> str:
    return f"({count} unpriced)" if count else ""


def peak_line(days: list[tuple[str, int]]) -> str:
    day, most = max(days, key=lambda item: item[1])
    return f"Tokens per day, in + out · {f'peak {tokens(most)} on {day}' if most else 'none yet'}"


def errors_heading(count: int) -> str:
    if not count:
        return "Recent errors · none"
    latest = f"the latest {count}" if count == ERROR_LIMIT else str(count)
    return f"Recent errors · {latest} · c copies the ids of the selected one"


def error_cells(row: UsageRow) -> list[Text]:
    """Two lines a row: the ids one above the other, so both fit."""
    ids = "\n".join([terminal_line(row.request_id or "no request-id"),
                     terminal_line(row.apim_request_id or "no apim-request-id")])  # fmt: skip
    return [
        Text(local_time(row.at)),
        Text(terminal_line(row.deployment or "?")),
        Text(str(row.status or "-"), justify="right"),
        Text((row.error_kind or "").replace("_", " ")),
        Text(ids),
    ]


class DailyChart(Vertical):
    """Tokens per day, the first and last day under it. Every day gets the same number of columns
    (its value repeated, one per column), so the bars line up; a window with more days than
    columns is drawn as wide as the dialog, each column the busiest of its days."""

    def __init__(self) -> None:
        super().__init__()
        self.days: list[tuple[str, int]] = []  # (day, tokens), oldest first

    def compose(self) -> ComposeResult:
        yield Sparkline([])
        with Horizontal(classes="axis"):
            yield Label(id="first-day")
            yield Label(id="last-day")

    def show(self, days: list[tuple[str, int]]) -> None:
        self.days = days
        self.query_one("#first-day", Label).update(days[0][0])
        self.query_one("#last-day", Label).update(days[-1][0])
        self.fit()

    def fit(self) -> None:
        """To the width of the dialog: at each show and whenever the terminal is resized."""
        room = self.parent.content_size.width if isinstance(self.parent, Widget) else 0
        if not self.days or not room:
            return
        columns = room // len(self.days)
        self.styles.width = columns * len(self.days) if columns else room
        self.query_one(Sparkline).data = [float(count) for _, count in self.days for _ in range(max(1, columns))]


class FiguresTable(DataTable[Text]):
    """One row per deployment or day: the command's columns, numbers on the right."""

    def __init__(self, key_label: str, *, id: str) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, header_height=2)
        self.key_label = key_label

    def on_mount(self) -> None:
        labels = [self.key_label, *(label.replace(" p50", "\np50") for label in HEADER)]  # two lines: narrower
        for index, label in enumerate(labels):
            self.add_column(Text(label, justify="right" if index else "left"))

    def show(self, groups: list[UsageTotals]) -> None:
        self.clear()
        for group in groups:
            self.add_row(Text(terminal_line(group.key or "?")), *(Text(value, justify="right") for value in cells(group)))


class ErrorTable(DataTable[Text]):
    BINDINGS = [Binding("c", "screen.copy_ids", "Copy ids")]

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.errors: list[UsageRow] = []

    def on_mount(self) -> None:
        self.add_columns("WHEN", "DEPLOYMENT", Text("STATUS", justify="right"), "KIND", "REQUEST-ID / APIM-REQUEST-ID")

    def show(self, errors: list[UsageRow]) -> None:
        self.errors = errors
        self.clear()
        for row in errors:
            self.add_row(*error_cells(row), height=2)

    @property
    def selected(self) -> UsageRow | None:
        return self.errors[self.cursor_row] if self.errors else None


class UsageScreen(DialogScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", key_display="esc"),
        Binding("f7", "dismiss", "Close", show=False),
        Binding("tab", "app.focus_next", "Next table", key_display="tab"),
    ]
    DEFAULT_CSS = """
    UsageScreen > #usage {
        width: 100%;
        max-width: 100%;
        height: 100%;
        max-height: 100%;
    }
    UsageScreen #totals {
        height: auto;
    }
    UsageScreen .heading {
        color: $text-primary;
        text-style: bold;
        margin: 1 0 0 0;
    }
    UsageScreen DailyChart {
        height: auto;
    }
    UsageScreen Sparkline {
        height: 3;
        & > .sparkline--min-color { color: $primary 40%; }
        & > .sparkline--max-color { color: $accent; }
    }
    UsageScreen DailyChart .axis {
        height: 1;
        color: $text-muted;
        & > #last-day { width: 1fr; text-align: right; }
    }
    UsageScreen DataTable {
        background: $surface;
        scrollbar-size-vertical: 1;
        &:focus .datatable--header { color: $text-accent; }
    }
    UsageScreen #by-deployment {
        height: auto;
        max-height: 7;
    }
    UsageScreen #by-day, UsageScreen #errors {
        height: 1fr;
        min-height: 4;
    }
    """

    app: FoundryApp

    def __init__(self, until: float | None = None) -> None:
        """`until`: the end of the window (a fixed one makes the figures reproducible); None is now."""
        super().__init__()
        self.until = until

    def compose(self) -> ComposeResult:
        days = self.app.config.usage_days
        with self.dialog(f"Usage · last {days} day{'s' * (days != 1)}", id="usage"):
            yield Static("Loading…", id="totals", markup=False)
            yield Static("Tokens per day, in + out", id="chart-title", classes="heading", markup=False)
            yield DailyChart()
            yield Static("By deployment", classes="heading")
            yield FiguresTable("DEPLOYMENT", id="by-deployment")
            yield Static("By day, newest first", classes="heading")
            yield FiguresTable("DAY", id="by-day")
            yield Static("Recent errors", id="errors-title", classes="heading", markup=False)
            yield ErrorTable(id="errors")
            yield self.key_line()

    def on_mount(self) -> None:
        self.query_one("#by-deployment").focus()
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        days, until = self.app.config.usage_days, self.until or time.time()
        try:
            report = await history_call(self.app, lambda store: UsageReport.read(store, days, until))
        except StoreError as error:
            self.query_one("#totals", Static).update(problem_content(error))
            return
        self.show(report)

    def show(self, report: UsageReport) -> None:
        window = report.by_day
        self.query_one("#usage").border_subtitle = f"{local_time(window.since)} – {local_time(window.until)}"
        self.query_one("#totals", Static).update(totals_line(report.total))
        days = report.tokens_per_day()
        self.query_one("#chart-title", Static).update(peak_line(days))
        self.query_one(DailyChart).show(days)
        self.query_one("#by-deployment", FiguresTable).show(report.by_deployment.groups)
        self.query_one("#by-day", FiguresTable).show(report.by_day.groups[::-1])
        self.query_one(ErrorTable).show(report.errors)
        self.query_one("#errors-title", Static).update(errors_heading(len(report.errors)))

    def on_resize(self) -> None:
        self.query_one(DailyChart).fit()

    def action_copy_ids(self) -> None:
        error = self.query_one(ErrorTable).selected
        ids = request_ids(error.request_id, error.apim_request_id) if error else ""
        if not ids:
            self.notify("No request ids on this error: the request got no answer.", severity="warning")
            return
        self.app.copy_with_notice(ids, "request ids")
