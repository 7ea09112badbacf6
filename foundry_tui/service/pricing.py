"""Estimated cost of a turn: list prices per model, overridable per deployment.

A deployment can be named anything, so the price is found by the profile's override, then the
deployment name or the model the server reported, matched against known model ids. Unknown means
no estimate ("n/a"), never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from foundry_tui.config.profile import Price

if TYPE_CHECKING:
    from foundry_tui.service.messages import Usage

# USD per million tokens (input, output, 5-minute cache write, cache read), Anthropic list prices.
KNOWN_PRICES: dict[str, Price] = {
    "claude-opus-4-5": Price(5.0, 25.0, 6.25, 0.50),
    "claude-opus-4-1": Price(15.0, 75.0, 18.75, 1.50),
    "claude-opus-4": Price(15.0, 75.0, 18.75, 1.50),
    "claude-sonnet-4-5": Price(3.0, 15.0, 3.75, 0.30),
    "claude-sonnet-4": Price(3.0, 15.0, 3.75, 0.30),
    "claude-haiku-4-5": Price(1.0, 5.0, 1.25, 0.10),
    "claude-3-5-haiku": Price(0.8, 4.0, 1.0, 0.08),
}


def price_for(deployment: str, model: str | None = None, overrides: Mapping[str, Price] | None = None) -> Price | None:
    if overrides and deployment in overrides:
        return overrides[deployment]
    for name in (deployment, model or ""):
        name = name.lower()
        # the longest known id inside the name wins: "claude-opus-4-1" before "claude-opus-4"
        matches = [known for known in KNOWN_PRICES if known in name]
        if matches:
            return KNOWN_PRICES[max(matches, key=len)]
    return None


def estimate_cost(usage: Usage, price: Price | None) -> float | None:
    if price is None:
        return None
    per_token = 1 / 1_000_000
    cache_write = price.cache_write if price.cache_write is not None else price.input * 1.25
    cache_read = price.cache_read if price.cache_read is not None else price.input * 0.1
    return per_token * (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_creation_input_tokens * cache_write
        + usage.cache_read_input_tokens * cache_read
    )

