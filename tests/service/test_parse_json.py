"""The assembler's JSON fast path decides exactly as `json.loads` does."""

from __future__ import annotations

import json

import pytest

from foundry_tui.service.assembler import parse_json

SAME_AS_JSON_LOADS = [
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi \\"there\\" \\u00e9"}}',
    ' {"a": 1} ',  # whitespace around: the scanner alone would not take it
    '{"a": 1}\n',
    "[1, 2.5, -3e2, true, false, null]",
    '"just a string"',
    "NaN",
    "-Infinity",
    "0",
]
REFUSED_LIKE_JSON_LOADS = [
    "",
    "   ",
    '{"a": 1} trailing',
    '{"a": 1}{"b": 2}',
    '{"a": }',
    "{'single': 'quotes'}",
    '"a raw \x01 control"',
    "[1, 2",
    "nul",
]


@pytest.mark.parametrize("data", SAME_AS_JSON_LOADS)
def test_valid_json_parses_to_what_json_loads_gives(data):
    assert parse_json(data) == json.loads(data) or (data == "NaN")  # NaN != NaN
    assert type(parse_json(data)) is type(json.loads(data))


@pytest.mark.parametrize("data", REFUSED_LIKE_JSON_LOADS)
def test_invalid_json_raises_what_json_loads_raises(data):
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(data)
    with pytest.raises(json.JSONDecodeError) as raised:
        parse_json(data)
    assert (raised.value.msg, raised.value.pos) == (expected.value.msg, expected.value.pos)


def test_nesting_too_deep_raises_recursion_error_as_json_loads_does():
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(RecursionError):
        parse_json(deep)
