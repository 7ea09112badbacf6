"""Estimated cost of a turn: list prices per model, overridable per deployment.

A deployment can be named anything, so the price is found by the profile's override for the
deployment, then the model the server reported, then the deployment name, each matched exactly
against known model ids and their dated forms. Anything else has no estimate ("n/a"): a near name
(`claude-opus-4-9`) is a different model with a different price, never a guess.
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
# The other names of each priced model: its dated id (what the server reports) and its alias.
OTHER_NAMES: dict[str, str] = {
    "claude-opus-4-5-20251101": "claude-opus-4-5",
    "claude-opus-4-1-20250805": "claude-opus-4-1",
    "claude-opus-4-20250514": "claude-opus-4",
    "claude-opus-4-0": "claude-opus-4",
    "claude-sonnet-4-5-20250929": "claude-sonnet-4-5",
    "claude-sonnet-4-20250514": "claude-sonnet-4",
    "claude-sonnet-4-0": "claude-sonnet-4",
    "claude-haiku-4-5-20251001": "claude-haiku-4-5",
    "claude-3-5-haiku-20241022": "claude-3-5-haiku",
    "claude-3-5-haiku-latest": "claude-3-5-haiku",
}


def known_price(name: str) -> Price | None:
    """The list price of exactly this model id (any case), or of one of its other names."""
    name = name.lower()
    return KNOWN_PRICES.get(OTHER_NAMES.get(name, name))


def price_for(deployment: str, model: str | None = None, overrides: Mapping[str, Price] | None = None) -> Price | None:
    """The price of a request: the profile's override, else the reported model's, else the deployment name's."""
    if overrides and deployment in overrides:
        return overrides[deployment]
    return (model and known_price(model)) or known_price(deployment)


CACHE_WRITE_MULTIPLIER = 1.25  # a 5-minute cache write, times the input price (Anthropic's pricing page)
CACHE_READ_MULTIPLIER = 0.1  # a cache read, times the input price
_PER_TOKEN = 1 / 1_000_000


def estimate_cost(usage: Usage, price: Price | None) -> float | None:
    """What the turn cost in USD, cache writes and reads at their own prices; None without a price."""
    if price is None:
        return None
    cache_write = price.cache_write if price.cache_write is not None else price.input * CACHE_WRITE_MULTIPLIER
    cache_read = price.cache_read if price.cache_read is not None else price.input * CACHE_READ_MULTIPLIER
    return _PER_TOKEN * (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_creation_input_tokens * cache_write
        + usage.cache_read_input_tokens * cache_read
    )



def cache_savings(usage: Usage, price: Price | None) -> float | None:
    """What caching saved: the same tokens all at the input price, minus the real cost.

    Negative on a turn that only wrote to the cache (a write costs more than plain input); None
    without a price.
    """
    cost = estimate_cost(usage, price)
    if price is None or cost is None:
        return None
    all_input = usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens
    uncached = _PER_TOKEN * (all_input * price.input + usage.output_tokens * price.output)
    return uncached - cost
