"""Honest prices: exact model ids and their dated forms only; anything else is unpriced (n/a)."""

from __future__ import annotations

import pytest

from foundry_tui.config.profile import Price
from foundry_tui.format import savings, total_cost
from foundry_tui.service.messages import Usage
from foundry_tui.service.pricing import KNOWN_PRICES, cache_savings, known_price, price_for

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


def test_cache_savings_are_the_uncached_cost_minus_the_real_cost() -> None:
    price = known_price("claude-sonnet-4-5")  # $3 in, $15 out, $3.75 write, $0.30 read per million
    read = Usage(input_tokens=100, output_tokens=200, cache_read_input_tokens=10_000)
    written = Usage(input_tokens=100, output_tokens=200, cache_creation_input_tokens=10_000)

    assert cache_savings(read, price) == pytest.approx(10_000 * (3.0 - 0.30) / 1e6)
    assert cache_savings(written, price) == pytest.approx(-10_000 * (3.75 - 3.0) / 1e6)  # a write costs more
    assert cache_savings(Usage(input_tokens=100, output_tokens=200), price) == pytest.approx(0.0)
    assert cache_savings(read, None) is None


def test_cache_savings_use_the_multipliers_when_an_override_has_no_cache_prices() -> None:
    price = Price(input=10.0, output=20.0)
    usage = Usage(cache_read_input_tokens=1_000_000, cache_creation_input_tokens=1_000_000)

    assert cache_savings(usage, price) == pytest.approx(2 * 10.0 - (10.0 * 1.25 + 10.0 * 0.1))


def test_savings_are_shown_as_money_and_a_loss_with_a_minus() -> None:
    assert (savings(0.0123), savings(-0.0004), savings(None)) == ("$0.0123", "-$0.0004", "n/a")
