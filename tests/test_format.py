"""`foundry_tui.format`: one rule per figure, the same in the CLI and the app."""

from __future__ import annotations

import pytest

from foundry_tui.format import cost, duration, from_ms, request_ids, to_ms, tokens


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "n/a"), (0, "0 ms"), (0.0004, "0 ms"), (0.85, "850 ms"), (0.9994, "999 ms"), (0.9996, "1.0 s"),
     (1, "1.0 s"), (2.34, "2.3 s"), (75, "75.0 s")],
)  # fmt: skip
def test_duration(seconds, shown):
    assert duration(seconds) == shown


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, "0"), (950, "950"), (2500, "2500"), (9999, "9999"), (10_000, "10.0k"), (12_345, "12.3k"),
     (999_949, "999.9k"), (999_950, "1.0M"), (2_500_000, "2.5M"), (1_234_567_890, "1234.6M")],
)  # fmt: skip
def test_tokens(count, shown):
    assert tokens(count) == shown


@pytest.mark.parametrize(
    ("value", "shown"), [(None, "n/a"), (0, "$0.0000"), (0.00123, "$0.0012"), (0.99994, "$0.9999"), (1, "$1.00"), (12.345, "$12.35")]
)
def test_cost(value, shown):
    assert cost(value) == shown


def test_milliseconds_cross_only_at_the_storage_boundary():
    assert (to_ms(None), to_ms(0.31049), to_ms(2.4)) == (None, 310.5, 2400.0)
    assert (from_ms(None), from_ms(310.5), from_ms(2400.0)) == (None, 0.3105, 2.4)


@pytest.mark.parametrize(
    ("request_id", "apim_request_id", "shown"),
    [
        (None, None, ""),
        ("req_1", None, "request-id: req_1"),
        (None, "apim-2", "apim-request-id: apim-2"),
        ("req_1", "apim-2", "request-id: req_1 · apim-request-id: apim-2"),
        ("req_\u202etxt.exe", "a\x1b]52;c;eA==\x1b\\b\x9b2J\nc", "request-id: req_<U+202E>txt.exe · apim-request-id: ab c"),
    ],
)
def test_request_ids_one_way_and_sanitized(request_id, apim_request_id, shown):
    assert request_ids(request_id, apim_request_id) == shown
