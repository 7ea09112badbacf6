"""`foundry-tui usage` tells the truth about cost: unpriced requests are counted, never priced by a near name."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from helpers import foundry

from foundry_tui.emulator.server import EmulatorConfig, EmulatorThread


@pytest.fixture
def env_with_opus_4_9() -> Iterator[dict[str, str]]:
    with EmulatorThread(EmulatorConfig(pace=0, deployments=("claude-opus-4-9", "claude-sonnet-4-5"))) as emulator:
        yield {"ANTHROPIC_FOUNDRY_API_KEY": emulator.api_key, "ANTHROPIC_FOUNDRY_BASE_URL": emulator.base_url}


def test_an_unknown_model_is_unpriced_and_counted(env_with_opus_4_9):
    asked = foundry("ask", "hi", "--deployment", "claude-opus-4-9", env=env_with_opus_4_9)
    assert asked.returncode == 0, asked.stderr

    usage = json.loads(foundry("usage", "--json", "--by", "deployment").stdout)
    assert (usage["total"]["cost"], usage["total"]["unpriced_requests"]) == (0, 1)
    [group] = usage["groups"]
    assert (group["key"], group["unpriced_requests"]) == ("claude-opus-4-9", 1)
    report = foundry("usage").stdout
    assert "$0.0000" not in report and "n/a" in report
    assert "Cost leaves out 1 requests" in report


def test_a_total_with_priced_and_unpriced_requests_is_a_lower_bound(env_with_opus_4_9):
    for deployment in ("claude-opus-4-9", "claude-sonnet-4-5"):
        assert foundry("ask", "hi", "--deployment", deployment, env=env_with_opus_4_9).returncode == 0

    usage = json.loads(foundry("usage", "--json").stdout)
    assert usage["total"]["cost"] > 0 and usage["total"]["unpriced_requests"] == 1
    assert "≥ $0.0" in foundry("usage").stdout


def test_failed_checks_are_counted_apart_from_the_error_rate(env_with_opus_4_9):
    assert foundry("check", "--deployment", "fault-500", env=env_with_opus_4_9).returncode != 0
    assert foundry("ask", "hi", "--deployment", "claude-sonnet-4-5", env=env_with_opus_4_9).returncode == 0

    usage = json.loads(foundry("usage", "--json").stdout)["total"]
    assert (usage["requests"], usage["errors"], usage["error_rate"]) == (2, 0, 0)
    assert (usage["check_requests"], usage["check_errors"]) == (1, 1)
    assert "1 of 1 checks failed" in foundry("usage").stdout
