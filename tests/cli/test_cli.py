"""The headless commands end to end: real subprocesses against the emulator on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from helpers import foundry

from foundry_tui import __version__, exitcodes


def test_version():
    assert foundry("--version").stdout.strip() == f"foundry-tui {__version__}"


def test_check_help_is_fast_and_documents_exit_codes():
    started = time.perf_counter()
    result = foundry("check", "--help")
    elapsed = time.perf_counter() - started
    assert result.returncode == 0
    assert "exit codes" in result.stdout and "rate limited (429)" in result.stdout
    assert elapsed < 1.0  # the 0.3 s budget is for the command itself; this bounds a loaded CI box


def test_headless_commands_do_not_import_textual(env_for):
    code = (
        "import sys\n"
        "from foundry_tui.cli import main\n"
        "rc = main(['check'])\n"
        "assert not any(m == 'textual' or m.startswith('textual.') for m in sys.modules), 'textual imported'\n"
        "sys.exit(rc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env_for})
    assert result.returncode == 0, result.stderr


def test_check_with_env_vars_only(env_for, emulator):
    result = foundry("check", env=env_for)
    assert result.returncode == exitcodes.OK, result.stderr
    assert "✓ claude-sonnet-4-5" in result.stdout
    assert "request-id: req_" in result.stdout and "apim-request-id" in result.stdout
    assert emulator.base_url in result.stdout and "api-key" in result.stdout


def test_check_all_json_reports_each_deployment(env_for):
    result = foundry("check", "--all", "--json", env=env_for)
    assert result.returncode == exitcodes.OK, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {line["deployment"] for line in lines} == {"claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"}
    for line in lines:
        assert set(line) >= {"ok", "profile", "endpoint", "auth", "deployment", "status", "latency_ms", "ttft_ms",
                             "usage", "request_id", "apim_request_id", "error"}
        assert line["ok"] is True and line["status"] == 200 and line["error"] is None
        assert line["request_id"].startswith("req_") and line["usage"]["input_tokens"] > 0


@pytest.mark.parametrize(
    ("deployment", "code", "kind"),
    [
        ("fault-unknown-deployment", exitcodes.NOT_FOUND, "not_found"),
        ("fault-429", exitcodes.RATE_LIMITED, "rate_limit"),
        ("fault-529", exitcodes.OTHER, "overloaded"),
        ("fault-html-502", exitcodes.OTHER, "server"),
    ],
)
def test_check_failures_have_distinct_exit_codes(env_for, deployment, code, kind):
    result = foundry("check", "--json", "--deployment", deployment, env=env_for)
    assert result.returncode == code
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["error"]["kind"] == kind and report["error"]["hint"]
    assert report["request_id"] and report["apim_request_id"]


def test_check_principal_without_the_data_action_hints_at_the_role(env_for):
    result = foundry("check", "--json", "--deployment", "fault-permission-denied", env=env_for)
    assert result.returncode == exitcodes.AUTH
    report = json.loads(result.stdout)
    assert report["status"] == 401 and report["error"]["code"] == "PermissionDenied"
    assert "Azure AI User" in report["error"]["hint"] and "API key" not in report["error"]["hint"]


def test_ask_blocked_by_the_content_filter_says_so(env_for):
    result = foundry("ask", "hi", "--deployment", "fault-content-filter", env=env_for)
    assert result.returncode == exitcodes.OTHER
    assert "content filter" in result.stderr and "Traceback" not in result.stderr


def test_check_wrong_key_is_an_auth_failure_with_hint(env_for):
    result = foundry("check", env={**env_for, "ANTHROPIC_FOUNDRY_API_KEY": "wrong"})
    assert result.returncode == exitcodes.AUTH
    assert "401" in result.stdout and "Access denied" in result.stdout
    assert "hint: Check the API key" in result.stdout
    assert "wrong" not in result.stdout.replace("wrong API endpoint", "")  # the key is never echoed


def test_check_unreachable_endpoint_is_a_network_failure(env_for):
    result = foundry("check", "--base-url", "http://127.0.0.1:9/anthropic/", "--timeout", "5", env=env_for)
    assert result.returncode == exitcodes.NETWORK
    assert "connection" in result.stdout and "hint:" in result.stdout


def test_explicit_base_url_beats_an_exported_resource(env_for, emulator):
    env = {"ANTHROPIC_FOUNDRY_API_KEY": emulator.api_key, "ANTHROPIC_FOUNDRY_RESOURCE": "some-resource"}
    result = foundry("check", "--base-url", emulator.base_url, env=env)
    assert result.returncode == exitcodes.OK, result.stdout + result.stderr


def test_no_profile_is_a_config_error_with_hint():
    result = foundry("check")
    assert result.returncode == exitcodes.CONFIG
    assert result.stderr.startswith("error: no profile configured")
    assert "hint:" in result.stderr and "Traceback" not in result.stderr


def test_broken_config_file_is_one_line_with_path(foundry_home):
    config = foundry_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[profiles.work\nresource = 'x'\n")
    result = foundry("check")
    assert result.returncode == exitcodes.CONFIG
    assert f"{config}:1" in result.stderr and "Traceback" not in result.stderr


def test_ask_streams_the_reply_to_stdout(env_for):
    result = foundry("ask", "Write a short list of three fruits", env=env_for)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip()) > 20
    assert result.stderr == ""  # usage and ids go to stderr only on a terminal


def test_ask_reads_stdin_and_prints_json(env_for):
    result = foundry("ask", "--json", "--max-tokens", "50", stdin="hello there\n", env=env_for)
    assert result.returncode == 0, result.stderr
    message = json.loads(result.stdout)
    assert message["type"] == "message" and message["role"] == "assistant"
    assert message["content"][0]["type"] == "text" and message["content"][0]["text"]
    assert message["stop_reason"] in ("end_turn", "max_tokens")
    assert set(message["usage"]) >= {"input_tokens", "output_tokens"}
    foundry_part = message["foundry"]
    assert foundry_part["request_id"].startswith("req_") and foundry_part["apim_request_id"]
    assert foundry_part["status"] == 200 and foundry_part["deployment"] == "claude-sonnet-4-5"
    assert foundry_part["ttft_ms"] >= 0 and foundry_part["duration_ms"] >= foundry_part["ttft_ms"]


def test_ask_mid_stream_error_keeps_partial_text_and_fails(env_for):
    result = foundry("ask", "tell me a story", "--deployment", "fault-stream-error", env=env_for)
    assert result.returncode == exitcodes.OTHER
    assert result.stdout.strip()  # the partial reply was streamed before the error
    assert "overloaded" in result.stderr.lower() and "hint:" in result.stderr and "request-id" in result.stderr


def test_ask_retries_a_429_then_answers(env_for):
    result = foundry("ask", "hi", "--deployment", "fault-429*1", env=env_for)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_profile_add_list_default_remove(foundry_home):
    added = foundry("profile", "add", "work", "--resource", "my-resource", "--deployment", "claude-haiku-4-5")
    assert added.returncode == 0, added.stderr
    assert "https://my-resource.services.ai.azure.com/anthropic/" in added.stdout
    listed = foundry("profile", "list")
    assert "* work" in listed.stdout and "claude-haiku-4-5" in listed.stdout
    bad = foundry("profile", "add", "x", "--resource", "https://x.services.ai.azure.com")
    assert bad.returncode == exitcodes.CONFIG and "base URL" in bad.stderr
    removed = foundry("profile", "remove", "work")
    assert removed.returncode == 0 and "work" not in foundry("profile", "list").stdout


def test_set_key_without_keyring_fails_with_the_options_and_writes_nothing(foundry_home):
    foundry("profile", "add", "work", "--resource", "my-resource")
    secret = "sk-test-" + "9" * 30
    result = foundry("profile", "set-key", "work", stdin=secret + "\n", env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert result.returncode == exitcodes.CONFIG
    assert "cannot store the key" in result.stderr
    assert "ANTHROPIC_FOUNDRY_API_KEY" in result.stderr and "--insecure-plaintext-key-file" in result.stderr
    assert secret not in result.stdout + result.stderr
    for path in foundry_home.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace")


def test_set_key_without_keyring_keeps_it_in_the_plaintext_file_when_asked(foundry_home):
    foundry("profile", "add", "work", "--resource", "my-resource")
    secret = "sk-test-" + "8" * 30
    result = foundry(
        "profile", "set-key", "work", "--insecure-plaintext-key-file",
        stdin=secret + "\n", env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    )
    assert result.returncode == 0, result.stderr
    assert "UNENCRYPTED" in result.stdout and secret not in result.stdout


def test_profile_commands_keep_comments_and_unknown_keys(foundry_home):
    config = foundry_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('# mine, by hand\nfuture_key = 1\n\n[profiles.work]\nresource = "my-resource"  # the lab\n')
    assert foundry("profile", "add", "p2", "--resource", "other-resource").returncode == 0
    assert foundry("profile", "default", "p2").returncode == 0
    removed = foundry("profile", "remove", "p2")
    assert removed.returncode == 0 and "'work' is now the default profile" in removed.stdout
    text = config.read_text()
    assert "# mine, by hand" in text and "future_key = 1" in text and "# the lab" in text
    assert "p2" not in text


def test_profile_remove_unknown_lists_the_known_ones(foundry_home):
    foundry("profile", "add", "work", "--resource", "my-resource")
    result = foundry("profile", "remove", "nope")
    assert result.returncode == exitcodes.CONFIG and "no profile named 'nope' (known: work)" in result.stderr
