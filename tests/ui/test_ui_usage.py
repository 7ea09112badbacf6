"""The usage dialog (F7) on a real app: the usage log's figures per day and per deployment, the chart
and the recent errors, from rows logged through the store and from real turns against the emulator."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from helpers import SIZE, answered, damage_history, send, wait_until
from textual.widgets import Sparkline, Static

from foundry_tui.store.usage import CANCELLED, UsageRow, UsageTotals
from foundry_tui.ui.app import FoundryApp
from foundry_tui.ui.screens.chat import ChatScreen
from foundry_tui.ui.screens.usage import DailyChart, ErrorTable, UsageScreen, totals_line

UNTIL = datetime(2026, 3, 31, 15, 0, tzinfo=UTC).timestamp()
HOUR, DAY = 3600.0, 86_400.0
APIM_429 = "5f0c2a9e-3b1d-4c6f-9a7e-2d8b1c4e6f01"


def row(hours_ago: float, deployment: str, tokens: tuple[int, int] = (0, 0), *, error: str | None = None,
        status: int | None = 200, cost: float | None = None, latency: float | None = None, ttft: float | None = None,
        ids: tuple[str | None, str | None] = (None, None), saved: float | None = None) -> UsageRow:  # fmt: skip
    return UsageRow(
        at=UNTIL - hours_ago * HOUR, command="chat", profile="work", endpoint_host="work.services.ai.azure.com",
        deployment=deployment, status=status, error_kind=error, input_tokens=tokens[0], output_tokens=tokens[1],
        cost=cost, latency_ms=latency, ttft_ms=ttft, request_id=ids[0], apim_request_id=ids[1], cache_savings=saved,
    )  # fmt: skip


LOGGED = [
    row(1, "claude-sonnet-4-5", (1200, 800), cost=0.0156, latency=900, ttft=300, ids=("req_s1", None), saved=0.0125),
    row(2, "claude-sonnet-4-5", (3000, 1000), cost=0.024, latency=1500, ttft=500),
    row(25, "claude-haiku-4-5", (500, 200), cost=0.0013, latency=400, ttft=150),
    row(72, "claude-sonnet-4-5", status=429, error="rate_limit", ids=("req_429limited", APIM_429)),
    row(71.9, "claude-sonnet-4-5", (2000, 12000), cost=0.186, latency=2500, ttft=600),
    row(240, "fault-unknown-deployment", status=404, error="not_found", ids=("req_404missing", None)),
    row(239.9, "claude-haiku-4-5", (100, 5), status=200, error=CANCELLED, cost=0.0001),
    row(100, "claude-haiku-4-5", status=None, error="connection"),
    row(40 * 24, "claude-sonnet-4-5", (9999, 9999), cost=1.0),  # before the window
]


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    """Days are the user's calendar days: pin the time zone so they are the same everywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def logged(app: FoundryApp, pilot) -> None:
    """LOGGED in the usage log, written after the app opened it (opening prunes old rows)."""
    store = await app.history()
    await store.call(lambda s: s.usage.log(*LOGGED))
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_usage(app: FoundryApp, pilot, until: float | None = UNTIL) -> UsageScreen:
    app.push_screen(UsageScreen(until))
    await wait_until(pilot, lambda: isinstance(app.screen, UsageScreen))
    await app.workers.wait_for_complete()
    await pilot.pause()
    return app.screen


def table_rows(screen: UsageScreen, selector: str) -> list[list[str]]:
    table = screen.query_one(selector)
    return [[cell.plain for cell in table.get_row_at(index)] for index in range(table.row_count)]


async def test_figures_per_deployment_and_per_day_match_the_log(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await logged(app, pilot)
        screen = await open_usage(app, pilot)
        totals = str(screen.query_one("#totals", Static).content)
        assert totals == (
            "8 requests · 3 errors (37.5%) · 6800 in · 14.0k out · $0.2270 · "
            "900 ms/2.5 s latency · 300 ms/600 ms TTFT (p50/p95)"
        )
        assert table_rows(screen, "#by-deployment") == [
            ["claude-haiku-4-5", "3", "1 (33%)", "600", "205", "0", "0", "$0.0014", "n/a", "400 ms/400 ms", "150 ms/150 ms"],
            ["claude-sonnet-4-5", "4", "1 (25%)", "6200", "13.8k", "0", "0", "$0.2256", "$0.0125", "1.5 s/2.5 s", "500 ms/600 ms"],
            ["fault-unknown-deployment", "1", "1 (100%)", "0", "0", "0", "0", "$0.0000", "n/a", "n/a", "n/a"],
        ]
        assert [day[:3] for day in table_rows(screen, "#by-day")] == [
            ["2026-03-31", "2", "0"], ["2026-03-30", "1", "0"], ["2026-03-28", "2", "1 (50%)"],
            ["2026-03-27", "1", "1 (100%)"], ["2026-03-21", "2", "1 (50%)"],
        ]  # fmt: skip
        assert screen.query_one("#usage").border_subtitle == "2026-03-01 15:00 – 2026-03-31 15:00"


def test_the_totals_say_what_the_cost_leaves_out_and_count_checks_apart():
    total = UsageTotals(None, requests=6, errors=1, check_requests=2, check_errors=1, cost=0.5, unpriced_requests=1)
    nothing_priced = UsageTotals(None, requests=1, unpriced_requests=1)

    line = str(totals_line(total))
    assert line.startswith("6 requests · 1 errors (25.0%) · 1 of 2 checks failed · ")
    assert "· ≥ $0.5000 (1 unpriced) ·" in line
    assert "· n/a (1 unpriced) ·" in str(totals_line(nothing_priced))


async def test_the_chart_has_every_day_of_the_window_with_tokens_in_and_out(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await logged(app, pilot)
        screen = await open_usage(app, pilot)
        chart = screen.query_one(DailyChart)
        data = [count for _, count in chart.days]
        assert len(data) == 31 and sum(data) == 6800 + 14005
        assert data[-1] == 1200 + 800 + 3000 + 1000 and data[-2] == 700 and data[-4] == 14000 and data[-11] == 105
        assert data.count(0) == 31 - 4
        columns = chart.size.width // 31  # each day as wide as the others
        assert columns >= 3 and screen.query_one(Sparkline).data == [count for count in data for _ in range(columns)]
        assert str(screen.query_one("#chart-title", Static).content).endswith("peak 14.0k on 2026-03-28")
        ends = [str(screen.query_one(f"#{end}-day").content) for end in ("first", "last")]
        assert ends == ["2026-03-01", "2026-03-31"]


async def test_recent_errors_are_listed_newest_first_and_c_copies_their_ids(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await logged(app, pilot)
        screen = await open_usage(app, pilot)
        assert table_rows(screen, "#errors") == [
            ["2026-03-28 15:00", "claude-sonnet-4-5", "429", "rate limit", f"req_429limited\n{APIM_429}"],
            ["2026-03-27 11:00", "claude-haiku-4-5", "-", "connection", "no request-id\nno apim-request-id"],
            ["2026-03-21 15:00", "fault-unknown-deployment", "404", "not found", "req_404missing\nno apim-request-id"],
        ]
        await pilot.press("tab", "tab")
        assert screen.focused is screen.query_one(ErrorTable)
        await pilot.press("c")
        assert app.clipboard == f"request-id: req_429limited · apim-request-id: {APIM_429}"
        await pilot.press("down", "c")
        assert app.clipboard == f"request-id: req_429limited · apim-request-id: {APIM_429}"  # nothing to copy there
        await pilot.press("down", "c")
        assert app.clipboard == "request-id: req_404missing"
        await pilot.press("escape")
        assert isinstance(app.screen, ChatScreen)


async def test_real_turns_show_up_with_the_failed_ones_ids(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.history()
        await answered(pilot, "Hello")
        app.use_deployment("fault-unknown-deployment")
        failed = await send(pilot, "Hello again")
        await wait_until(pilot, lambda: failed.state == "failed")
        await app.workers.wait_for_complete()
        screen = await open_usage(app, pilot, until=None)
        by_deployment = table_rows(screen, "#by-deployment")
        assert [(line[0], line[1], line[2]) for line in by_deployment] == [
            ("claude-sonnet-4-5", "1", "0"), ("fault-unknown-deployment", "1", "1 (100%)")
        ]
        [error] = table_rows(screen, "#errors")
        assert error[1:4] == ["fault-unknown-deployment", "404", "not found"]
        assert error[4].startswith(failed.request_id + "\n")
        screen.query_one(ErrorTable).focus()
        await pilot.press("c")
        assert app.clipboard.startswith(f"request-id: {failed.request_id} · apim-request-id: ")


async def test_it_says_loading_until_the_store_answers_and_then_an_empty_log_says_so(make_app):
    app = make_app()
    app.config.usage_days = 200  # more days than columns: the chart stays in the dialog
    async with app.run_test(size=SIZE) as pilot:
        store = await app.history()
        release = threading.Event()
        store.submit(lambda _: release.wait(5))  # the store's thread busy, like with a long write
        app.push_screen(UsageScreen(UNTIL))
        await pilot.pause()
        screen = app.screen
        assert str(screen.query_one("#totals", Static).content) == "Loading…"
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert str(screen.query_one("#totals", Static).content).startswith("0 requests · 0 errors · 0 in · 0 out")
        assert str(screen.query_one("#errors-title", Static).content) == "Recent errors · none"
        chart = screen.query_one(DailyChart)
        assert [count for _, count in chart.days] == [0] * 201
        assert chart.size.width == screen.query_one("#usage").content_size.width
        assert screen.query_one(Sparkline).data == [0.0] * 201


async def test_a_damaged_history_is_said_instead_of_figures(make_app):
    damage_history()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_usage(app, pilot)
        assert str(screen.query_one("#totals", Static).content).startswith("✗ history is unavailable\nhint: ")


def test_snapshot_usage(snap_compare, make_app):
    app = make_app()

    async def log_then_open(pilot) -> None:
        await logged(app, pilot)
        await open_usage(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=log_then_open)
