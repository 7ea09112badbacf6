"""`foundry-tui bench` against the emulator: figures per deployment, errors counted, not hidden."""

from __future__ import annotations

import json

from helpers import foundry

from foundry_tui import exitcodes


def test_bench_reports_ttft_and_speed_per_deployment(env_for):
    result = foundry("bench", "-d", "claude-sonnet-4-5,claude-haiku-4-5", "-n", "3", "--json", env=env_for)
    assert result.returncode == exitcodes.OK, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["deployment"] for row in rows] == ["claude-sonnet-4-5", "claude-haiku-4-5"]
    for row in rows:
        assert row["requests"] == 3 and row["ok"] == 3 and row["errors"] == []
        assert 0 < row["ttft_p50_ms"] <= row["ttft_p95_ms"]
        assert row["output_tokens_per_s"] > 0


def test_bench_counts_errors_and_prints_a_table(env_for):
    result = foundry("bench", "-d", "claude-haiku-4-5,fault-429", "-n", "2", env=env_for)
    assert result.returncode == exitcodes.OTHER
    lines = result.stdout.splitlines()
    assert "TTFT p50" in lines[1] and "out tok/s" in lines[1]
    haiku = next(line for line in lines if line.startswith("claude-haiku-4-5"))
    faulty = next(line for line in lines if line.startswith("fault-429"))
    assert "2/2" in haiku and " ms" in haiku
    assert "0/2" in faulty and "n/a" in faulty and faulty.rstrip().endswith("2")
    errors = [index for index, line in enumerate(lines) if "429 rate limit error" in line]
    assert len(errors) == 2  # each distinct error once: each request has its own ids
    for index in errors:  # with its hint and the ids support asks for, like `check` (#13)
        assert lines[index + 1].strip().startswith("hint: ")
        assert lines[index + 2].strip().startswith("request-id: req_") and "apim-request-id: " in lines[index + 2]
