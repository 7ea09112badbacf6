"""The usage table's columns, shared by `foundry-tui usage` and the app's usage dialog so both show the same figures."""

from __future__ import annotations

from foundry_tui.format import duration, from_ms, savings, tokens, total_cost
from foundry_tui.store.usage import UsageTotals

HEADER = ["REQUESTS", "ERRORS", "IN", "OUT", "CACHE W", "CACHE R", "COST", "SAVED", "LATENCY p50/p95", "TTFT p50/p95"]


def cells(totals: UsageTotals) -> list[str]:
    """One row's figures, in `HEADER`'s order."""
    rate = totals.error_rate
    return [
        str(totals.requests),
        f"{totals.errors} ({rate:.0%})" if rate else "0",
        tokens(totals.input_tokens),
        tokens(totals.output_tokens),
        tokens(totals.cache_creation_input_tokens),
        tokens(totals.cache_read_input_tokens),
        total_cost(totals.cost, totals.unpriced_requests),
        savings(totals.cache_savings),
        percentiles(totals.latency_p50_ms, totals.latency_p95_ms),
        percentiles(totals.ttft_p50_ms, totals.ttft_p95_ms),
    ]


def percentiles(p50_ms: float | None, p95_ms: float | None) -> str:
    """'412 ms/1.2 s': the stored milliseconds, shown as every other duration is; 'n/a' without any."""
    if p50_ms is None and p95_ms is None:
        return "n/a"
    return f"{duration(from_ms(p50_ms))}/{duration(from_ms(p95_ms))}"
