"""Honest prices: exact model ids and their dated forms only; anything else is unpriced (n/a)."""

from __future__ import annotations

import pytest

from foundry_tui.config.profile import Price
from foundry_tui.format import total_cost
from foundry_tui.service.pricing import KNOWN_PRICES, price_for

OPUS_4_1 = KNOWN_PRICES["claude-opus-4-1"]
SONNET_4_5 = KNOWN_PRICES["claude-sonnet-4-5"]


@pytest.mark.parametrize("name", ["claude-opus-4-1", "claude-opus-4-1-20250805", "Claude-Opus-4-1"])
def test_exact_ids_and_their_dated_forms_are_priced(name: str) -> None:
    assert price_for(name) == OPUS_4_1


@pytest.mark.parametrize(
    "name",
    [
        "claude-opus-4-6",
        "claude-opus-4-7",
        "claude-opus-4-9",
        "claude-opus-4-1-20990101",
        "my-claude-opus-4-1",
        "gpt-4o",
    ],
)
def test_near_names_are_not_priced(name: str) -> None:
    assert price_for(name) is None
    assert price_for("my-deployment", name) is None


def test_the_response_model_wins_when_the_table_knows_it() -> None:
    assert price_for("claude-opus-4-1", "claude-sonnet-4-5-20250929") == SONNET_4_5
    assert price_for("my-deployment", "claude-sonnet-4-5-20250929") == SONNET_4_5
    assert price_for("claude-opus-4-1", "claude-opus-4-9") == OPUS_4_1  # unknown model: the deployment name


def test_a_profile_override_for_the_deployment_wins() -> None:
    mine = Price(1.0, 2.0)
    assert price_for("claude-opus-4-9", "claude-opus-4-9", {"claude-opus-4-9": mine}) == mine


def test_totals_with_unpriced_requests_say_so() -> None:
    assert total_cost(0.5, 0) == "$0.5000"
    assert total_cost(0.0, 0) == "$0.0000"
    assert total_cost(0.0, 2) == "n/a"
    assert total_cost(0.5, 2) == "≥ $0.5000"
