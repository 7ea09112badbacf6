"""One `Problem` shape for configuration, history and Foundry failures: message, hint and request ids."""

from __future__ import annotations

from pathlib import Path

from foundry_tui.config.profile import ConfigError
from foundry_tui.problem import Problem
from foundry_tui.service.errors import FoundryError, NotFoundError, error_from_dict
from foundry_tui.store.errors import StoreError


def test_the_three_families_are_problems_with_their_constructors_unchanged():
    config = ConfigError("no profile named 'x'", "`foundry-tui profile list` shows them")
    store = StoreError.from_sqlite(Exception("database is locked"), Path("/tmp/h.sqlite3"))
    foundry = NotFoundError("no such deployment", status=404, code="DeploymentNotFound", request_id="req_1", apim_request_id="a-2")
    for problem in (config, store, foundry):
        assert isinstance(problem, Problem) and problem.message and problem.hint
    assert (str(config), config.within("profiles.work").message) == ("no profile named 'x'", "profiles.work: no profile named 'x'")
    assert store.ids() == config.ids() == ""
    assert (foundry.status, foundry.code, foundry.summary()) == (404, "DeploymentNotFound", "404 not found error: no such deployment")
    assert foundry.ids() == "request-id: req_1 · apim-request-id: a-2"
    assert foundry.hint == NotFoundError.default_hint


def test_a_problem_keeps_server_text_as_given_and_its_ids_come_out_sanitized():
    problem = Problem("\x1b]0;title\x07boom", request_id="req_\u202e1")
    assert problem.summary() == "\x1b]0;title\x07boom"  # the renderers sanitize; the data stays exact
    assert problem.ids() == "request-id: req_<U+202E>1"


def test_a_saved_foundry_error_comes_back_with_its_ids():
    back = error_from_dict({"kind": "rate_limit", "message": "slow down"}, status=429, request_id="req_9")
    assert isinstance(back, FoundryError) and isinstance(back, Problem)
    assert (back.summary(), back.ids()) == ("429 rate limit error: slow down", "request-id: req_9")
