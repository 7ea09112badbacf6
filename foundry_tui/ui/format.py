"""Plain-text formatting shared by the chat view's widgets (no widgets here, so it is easy to test)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from foundry_tui.config.profile import Price
from foundry_tui.service.pricing import estimate_cost, format_cost, price_for

if TYPE_CHECKING:
    from foundry_tui.service.messages import TurnResult, Usage


def tokens(count: int) -> str:
    return f"{count / 1000:.1f}k" if count >= 10_000 else str(count)


def seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


def usage_text(usage: Usage) -> str:
    text = f"{tokens(usage.input_tokens)} in · {tokens(usage.output_tokens)} out"
    if usage.cache_read_input_tokens:
        text += f" · {tokens(usage.cache_read_input_tokens)} cache read"
    if usage.cache_creation_input_tokens:
        text += f" · {tokens(usage.cache_creation_input_tokens)} cache write"
    return text


def turn_cost(result: TurnResult, overrides: dict[str, Price]) -> float | None:
    return estimate_cost(result.usage, price_for(result.deployment, result.model, overrides))


def turn_footer(result: TurnResult, overrides: dict[str, Price]) -> str:
    """deployment · tokens · cost · ttft · duration · tok/s · stop reason"""
    timings = result.timings
    parts = [
        result.deployment,
        usage_text(result.usage),
        format_cost(turn_cost(result, overrides)),
        f"TTFT {seconds(timings.first_token)}",
        f"{seconds(timings.total)} total",
    ]
    rate = result.output_tokens_per_second()
    if rate is not None:
        parts.append(f"{rate:.0f} tok/s")
    parts.append(result.stop_reason or "no stop reason")
    return " · ".join(parts)
