"""Retry timing and the retry decision."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from foundry_tui.service.retry import RetryPolicy

POLICY = RetryPolicy()


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """random() == 0: the backoff is exactly its upper bound."""
    monkeypatch.setattr(random, "random", lambda: 0.0)


def http_date(seconds_from_now: float) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "60000"}, 60.0),
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "2.5"}, 2.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),  # ms wins
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),  # unreadable ms: fall back to seconds
        ({"Retry-After": "3"}, 3.0),  # httpx headers are case-insensitive
    ],
)
def test_server_delay(headers: dict[str, str], expected: float) -> None:
    assert POLICY.delay(0, httpx.Headers(headers)) == pytest.approx(expected)


def test_retry_after_http_date() -> None:
    assert 28.0 < POLICY.delay(0, {"retry-after": http_date(30)}) <= 30.0


@pytest.mark.usefixtures("no_jitter")
@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after-ms": "0"},
        {"retry-after-ms": "-5"},
        {"retry-after-ms": "60001"},
        {"retry-after": "0"},
        {"retry-after": "61"},
        {"retry-after": "nan"},
        {"retry-after": "inf"},
        {"retry-after": "tomorrow"},
        {"retry-after": http_date(-30)},  # in the past
        {"retry-after": http_date(3600)},  # too far ahead
        {},
    ],
)
def test_server_delay_outside_range_falls_back_to_backoff(headers: dict[str, str]) -> None:
    assert POLICY.delay(2, headers) == 2.0
    assert POLICY.delay(2, None) == 2.0


@pytest.mark.usefixtures("no_jitter")
def test_backoff_doubles_from_half_a_second_and_is_capped() -> None:
    assert [POLICY.delay(i) for i in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_backoff_jitter_is_between_three_quarters_and_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "random", lambda: 0.999999)
    assert POLICY.delay(3) == pytest.approx(3.0, abs=1e-5)
    rng = random.Random(7)
    monkeypatch.setattr(random, "random", rng.random)
    delays = [POLICY.delay(4) for _ in range(500)]
    assert all(6.0 < d <= 8.0 for d in delays)
    assert max(delays) - min(delays) > 1.5  # it does vary


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 529, None])
def test_retryable(status: int | None) -> None:
    assert POLICY.should_retry(status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
def test_not_retryable(status: int) -> None:
    assert not POLICY.should_retry(status)


@pytest.mark.parametrize("status", [400, 401, 404])
def test_x_should_retry_true_overrides(status: int) -> None:
    assert POLICY.should_retry(status, httpx.Headers({"X-Should-Retry": "true"}))


@pytest.mark.parametrize("status", [429, 500, 529, None])
def test_x_should_retry_false_overrides(status: int | None) -> None:
    assert not POLICY.should_retry(status, {"x-should-retry": "false"})


def test_other_x_should_retry_values_are_ignored() -> None:
    assert POLICY.should_retry(500, {"x-should-retry": "maybe"})
    assert not POLICY.should_retry(400, {"x-should-retry": "1"})
