"""The chat view's turn footer and usage line, built from `foundry_tui.format` (no widgets here, so it is easy to test)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from foundry_tui.config.profile import Price
from foundry_tui.format import cost, duration, savings, tokens
from foundry_tui.safetext import terminal_line
from foundry_tui.service.pricing import cache_savings, estimate_cost, price_for

if TYPE_CHECKING:
    from foundry_tui.service.messages import TurnResult, Usage


def usage_text(usage: Usage) -> str:
    text = f"{tokens(usage.input_tokens)} in · {tokens(usage.output_tokens)} out"
    if usage.cache_read_input_tokens:
        text += f" · {tokens(usage.cache_read_input_tokens)} cache read"
    if usage.cache_creation_input_tokens:
        text += f" · {tokens(usage.cache_creation_input_tokens)} cache write"
    return text


def turn_cost(result: TurnResult, overrides: dict[str, Price]) -> float | None:
    return estimate_cost(result.usage, price_for(result.deployment, result.model, overrides))


def turn_savings(result: TurnResult, overrides: dict[str, Price]) -> float | None:
    return cache_savings(result.usage, price_for(result.deployment, result.model, overrides))


def turn_footer(result: TurnResult, overrides: dict[str, Price]) -> str:
    """deployment · tokens · cost · saved (when the cache was used) · ttft · duration · tok/s · stop reason"""
    timings = result.timings
    parts = [terminal_line(result.deployment), usage_text(result.usage), cost(turn_cost(result, overrides))]
    if result.usage.cache_read_input_tokens or result.usage.cache_creation_input_tokens:
        parts.append(f"saved {savings(turn_savings(result, overrides))}")
    parts += [f"TTFT {duration(timings.first_token)}", f"{duration(timings.total)} total"]
    rate = result.output_tokens_per_second()
    if rate is not None:
        parts.append(f"{rate:.0f} tok/s")
    parts.append(terminal_line(result.stop_reason or "no stop reason"))
    return " · ".join(parts)


def partial_footer(deployment: str, usage: Usage, overrides: dict[str, Price]) -> str:
    """A cancelled turn's footer: the usage the stream had counted before the cancel, said to be partial."""
    spent = cost(estimate_cost(usage, price_for(deployment, None, overrides)))
    return f"{terminal_line(deployment)} · {usage_text(usage)} · {spent} · partial: counted before the cancel"
