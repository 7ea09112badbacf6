"""`ask --continue`, `history`, `export` and `usage` end to end, as subprocesses against the emulator."""

from __future__ import annotations

import json

from helpers import foundry

from foundry_tui import exitcodes
from foundry_tui.cli import main
from foundry_tui.store.store import Store


def test_ask_continue_history_export_and_usage(env_for, emulator, foundry_home):
    first = foundry("ask", "--json", "Explain python decorators briefly", env=env_for)
    assert first.returncode == 0, first.stderr
    first = json.loads(first.stdout)
    conversation_id = first["foundry"]["conversation_id"]

    second = foundry("ask", "--json", "-c", "And give an example", env=env_for)
    assert second.returncode == 0, second.stderr
    second = json.loads(second.stdout)
    assert second["foundry"]["conversation_id"] == conversation_id
    # the earlier turn was sent along: the prompt grew by at least the first reply
    assert second["usage"]["input_tokens"] >= first["usage"]["input_tokens"] + first["usage"]["output_tokens"]

    other = foundry("ask", "Tell me about ferns", env=env_for)  # without -c: a new conversation
    assert other.returncode == 0 and other.stderr == ""

    listed = json.loads(foundry("history", "--json").stdout)
    assert [(c["title"], c["turns"], c["last_state"]) for c in listed] == [
        ("Tell me about ferns", 1, "complete"),
        ("Explain python decorators briefly", 2, "complete"),
    ]
    table = foundry("history").stdout.splitlines()
    assert table[0].split() == ["ID", "UPDATED", "TURNS", "LAST", "REPLY", "DEPLOYMENT", "TITLE"]
    assert table[2].startswith(conversation_id) and table[2].endswith("Explain python decorators briefly")

    found = foundry("history", "--search", "decorators").stdout
    assert found.startswith(f"{conversation_id}  ") and "you: Explain python decorators briefly" in found
    request_id = second["foundry"]["request_id"]
    by_id = json.loads(foundry("history", "--json", "-s", request_id).stdout)
    assert [(hit["conversation_id"], hit["role"], hit["request_id"]) for hit in by_id] == [
        (conversation_id, "assistant", request_id)
    ]

    markdown = foundry("export", conversation_id[:6])
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout.startswith("# Explain python decorators briefly\n")
    assert markdown.stdout.count("## Claude") == 2 and f"request-id: `{request_id}`" in markdown.stdout
    exported = json.loads(foundry("export", conversation_id, "--format", "json").stdout)
    assert [m["role"] for m in exported["messages"]] == ["user", "assistant", "user", "assistant"]
    assert exported["messages"][3]["content"] == second["content"]
    assert [t["request_id"] for t in exported["turns"]] == [first["foundry"]["request_id"], request_id]
    assert exported["turns"][1]["usage"] == second["usage"]

    usage = json.loads(foundry("usage", "--json", "--by", "deployment").stdout)
    assert usage["days"] == 30 and usage["by"] == "deployment"
    assert usage["total"]["requests"] == 3 and usage["total"]["errors"] == 0
    assert usage["total"]["output_tokens"] > first["usage"]["output_tokens"] + second["usage"]["output_tokens"]
    assert [g["key"] for g in usage["groups"]] == ["claude-sonnet-4-5"]
    assert usage["total"]["cost"] > 0 and usage["total"]["latency_p95_ms"] >= usage["total"]["latency_p50_ms"] > 0
    report = foundry("usage", "--by", "day").stdout.splitlines()
    assert report[0].startswith("Usage over the last 30 days: ") and report[0].endswith(", local time")
    assert report[2].split()[:3] == ["DAY", "REQUESTS", "ERRORS"] and report[-1].split()[:3] == ["total", "3", "0"]

    for path in foundry_home.rglob("*"):  # the key is never stored
        if path.is_file():
            assert emulator.api_key.encode() not in path.read_bytes(), path


def test_failed_requests_are_logged_with_error_kind_and_ids(env_for):
    assert foundry("check", "--deployment", "fault-429", env=env_for).returncode == exitcodes.RATE_LIMITED
    failed = foundry("ask", "hi", "--deployment", "fault-unknown-deployment", env=env_for)
    assert failed.returncode == exitcodes.NOT_FOUND
    assert foundry("check", "--base-url", "http://127.0.0.1:9/anthropic/", "--timeout", "5", env=env_for).returncode == (
        exitcodes.NETWORK
    )
    with Store.open() as store:
        rows = store.usage.rows(0)
        assert [(r.command, r.deployment, r.status, r.error_kind) for r in rows] == [
            ("check", "fault-429", 429, "rate_limit"),
            ("ask", "fault-unknown-deployment", 404, "not_found"),
            ("check", "claude-sonnet-4-5", None, "connection"),
        ]
        assert all(r.request_id and r.apim_request_id for r in rows[:2])
        assert rows[2].endpoint_host == "127.0.0.1:9" and rows[2].request_id is None
        reply = store.conversations.latest().messages[1]
        assert (reply.state, reply.details.status, reply.details.error["kind"]) == ("failed", 404, "not_found")
        assert reply.details.request_id == rows[1].request_id
    errors = foundry("usage").stdout
    assert "1 (100%)" in errors and "2 of 2 checks failed (not in the error rate)." in errors


def test_a_broken_history_costs_check_a_warning_and_history_an_error(env_for, foundry_home):
    database = foundry_home / "data" / "history.db"
    database.parent.mkdir(parents=True)
    database.write_bytes(b"not a database " * 500)

    check = foundry("check", env=env_for)
    assert check.returncode == 0 and "✓ claude-sonnet-4-5" in check.stdout
    assert check.stderr.splitlines() == [
        "warning: not saved to the history: history database: file is not a database",
        f"hint: the history file {database} is damaged: move it away and a new one is started",
    ]
    ask = foundry("ask", "hi there", env=env_for)
    assert ask.returncode == 0 and ask.stdout.strip() and ask.stderr.startswith("warning: not saved")
    for command in (["history"], ["usage"], ["export", "abc"], ["ask", "-c", "more"]):
        result = foundry(*command, env=env_for)
        assert result.returncode == exitcodes.OTHER, command
        assert result.stderr.startswith("error: history database: file is not a database\nhint: ")
        assert "Traceback" not in result.stderr


def test_empty_history_and_unknown_ids(capsys):
    assert main(["history"]) == 0
    assert capsys.readouterr().out == 'No conversations yet: `foundry-tui ask "…"` or the app starts one.\n'
    assert main(["history", "--search", "ferns"]) == 0
    assert capsys.readouterr().out == "No message matches 'ferns'.\n"
    assert main(["export", "abc"]) == exitcodes.OTHER
    assert capsys.readouterr().err == (
        "error: no conversation matches 'abc'\nhint: `foundry-tui history` lists the conversations and their ids\n"
    )
    assert main(["usage", "--days", "7"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Usage over the last 7 days") and out[-1].split() == ["total", "0", "0", "0", "0", "0", "0", "$0.0000", "n/a", "n/a", "n/a"]  # cost, saved, latency, ttft
