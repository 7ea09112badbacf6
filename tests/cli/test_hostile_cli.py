"""`foundry-tui ask` against a hostile server (the emulator's faults), as a user runs it: a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from helpers import foundry

from foundry_tui import exitcodes

MEGABYTE = 1024 * 1024


@pytest.fixture
def env_for(emulator_process):
    """These faults send tens of megabytes: served from another process (see conftest)."""
    return {"ANTHROPIC_FOUNDRY_API_KEY": emulator_process.api_key, "ANTHROPIC_FOUNDRY_BASE_URL": emulator_process.base_url}


def ask(env: dict[str, str], deployment: str, *args: str) -> subprocess.CompletedProcess[str]:
    return foundry("ask", "--deployment", deployment, *args, "explain caching", env=env, timeout=60)


def one_line_failure(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode not in (0, None), result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    message, *rest = result.stderr.strip().splitlines()
    assert any("hint:" in line for line in rest), result.stderr
    return message


def peak_rss_of_ask(env: dict[str, str], deployment: str) -> tuple[int, subprocess.CompletedProcess[str]]:
    """Run `ask` under a fresh Python that reports its child's peak RSS (bytes): only that child counts."""
    measure = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stderr.write(r.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n"
        "sys.exit(r.returncode)\n"
    )
    command = [sys.executable, "-c", measure, sys.executable, "-m", "foundry_tui", "ask", "-d", deployment, "hi there, go"]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env}, timeout=120)
    return int(result.stdout.strip().splitlines()[-1]), result


def test_bad_usage_is_saved_with_safe_figures(env_for: dict[str, str]) -> None:
    result = ask(env_for, "fault-bad-usage", "--json")
    assert result.returncode == 0, result.stderr
    message = json.loads(result.stdout)
    assert message["content"][0]["text"]
    assert all(type(value) is int for key, value in message["usage"].items() if key != "service_tier")
    assert message["foundry"]["conversation_id"], "the turn was not saved"
    usage = json.loads(foundry("usage", "--json", env=env_for).stdout)
    assert usage["total"]["requests"] == 1 and usage["total"]["errors"] == 0
    history = foundry("history", "--json", env=env_for)
    assert history.returncode == 0 and json.loads(history.stdout)[0]["turns"] == 1


def test_deep_json_is_a_clean_failure_that_keeps_the_text(env_for: dict[str, str]) -> None:
    started = time.perf_counter()
    result = ask(env_for, "fault-deep-json")
    assert time.perf_counter() - started < 20
    assert "malformed" in one_line_failure(result) and "nested" in result.stderr
    assert result.stdout.strip()


def test_a_huge_line_is_a_clean_failure_that_keeps_the_text(env_for: dict[str, str]) -> None:
    result = ask(env_for, "fault-huge-line")
    assert "over 4 MB" in one_line_failure(result)
    assert result.stdout.strip()


@pytest.mark.parametrize("fault, content_type", [("html-200", "text/html"), ("json-200", "application/json")])
def test_a_success_that_is_not_a_stream_says_what_it_was(env_for: dict[str, str], fault: str, content_type: str) -> None:
    result = ask(env_for, f"fault-{fault}")
    message = one_line_failure(result)
    assert "200 unexpected response" in message and content_type in message and "incomplete" not in message
    assert "request-id" in result.stderr


def test_a_gzip_bomb_fails_the_turn_within_200_megabytes(env_for: dict[str, str]) -> None:
    peak, result = peak_rss_of_ask(env_for, "fault-gzip-bomb")
    assert "over 4 MB" in one_line_failure(result)
    assert peak <= 200 * MEGABYTE, f"peak RSS {peak / MEGABYTE:.0f} MB"


def test_a_51_megabyte_error_page_costs_little_memory(env_for: dict[str, str]) -> None:
    peak, result = peak_rss_of_ask(env_for, "fault-huge-error")
    assert result.returncode == exitcodes.AUTH
    assert "401 Unauthorized" in one_line_failure(result)
    assert peak <= 80 * MEGABYTE  # about 35 MB; reading all 51 MB took 185 MB, f"peak RSS {peak / MEGABYTE:.0f} MB"
