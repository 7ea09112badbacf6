"""`print_problem`: the one way the CLI shows any Problem, sanitized, whatever its family."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from foundry_tui.commands.output import print_problem
from foundry_tui.config.profile import ConfigError
from foundry_tui.service.errors import error_from_response
from foundry_tui.store.errors import StoreError

HOSTILE = "\x1b]52;c;cm0=\x1b\\\x1b]0;t\x07\x1b[2J\x9b1m\x1b]8;;http://x/\x1b\\"


def printed(problem, **options) -> str:
    stream = io.StringIO()  # not a terminal: no colour, so the text can be compared whole
    print_problem(problem, stream=stream, **options)
    return stream.getvalue()


def test_a_config_problem():
    assert printed(ConfigError("no profile named 'x'", "`foundry-tui profile list` shows them")) == (
        "error: no profile named 'x'\nhint: `foundry-tui profile list` shows them\n"
    )


def test_a_store_problem_as_a_warning_with_context():
    error = StoreError.from_sqlite(Exception("database is locked"), Path("/h/history.sqlite3"))
    assert printed(error, label="warning:", context="not saved to the history") == (
        "warning: not saved to the history: history database: database is locked\n"
        "hint: another foundry-tui is busy writing the history: try again in a moment\n"
    )


def test_a_foundry_problem_from_a_hostile_server_with_both_ids():
    headers = {"content-type": "text/html", "request-id": f"req_{HOSTILE}1", "apim-request-id": "apim-\u202e2"}
    error = error_from_response(502, headers, f"<html><title>Bad {HOSTILE}gateway</title></html>".encode())
    assert printed(error, label="", indent="    ") == (
        "    502 server error: non-JSON answer from a proxy or gateway: Bad gateway\n"
        f"    hint: {error.hint}\n"
        "    request-id: req_1 · apim-request-id: apim-<U+202E>2\n"
    )


@pytest.mark.parametrize("family", [ConfigError, StoreError])
def test_hostile_text_in_message_and_hint_is_dropped(family):
    text = printed(family(f"bad {HOSTILE}value", f"try {HOSTILE}again"))
    assert text == "error: bad value\nhint: try again\n"
