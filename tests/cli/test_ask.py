"""`ask` drives the shared session: usage errors, hostile stdin, timeouts, refusals, terminals."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import time

import pytest
from helpers import break_after_text, foundry, write_config

from foundry_tui import exitcodes
from foundry_tui.cli import main
from foundry_tui.commands import ask
from foundry_tui.config.file import Config
from foundry_tui.config.profile import Profile
from foundry_tui.emulator.server import EmulatorConfig, EmulatorThread
from foundry_tui.service.events import Done, TextDelta
from foundry_tui.service.messages import TurnResult
from foundry_tui.store.store import Store


@pytest.fixture
def slow_env():
    """An emulator streaming 40 tokens a second: a long reply takes many seconds."""
    server = EmulatorThread(EmulatorConfig(port=0, pace=40))
    server.start()
    yield {"ANTHROPIC_FOUNDRY_API_KEY": server.api_key, "ANTHROPIC_FOUNDRY_BASE_URL": server.base_url}
    server.stop()


def test_ask_without_a_prompt_is_a_usage_error():
    result = foundry("ask", stdin="")
    assert result.returncode == exitcodes.USAGE and "no prompt" in result.stderr and "hint:" in result.stderr


def test_binary_stdin_is_decoded_with_replacement_and_one_warning(env_for):
    result = subprocess.run(
        [sys.executable, "-m", "foundry_tui", "ask", "--json", "what is this?"],
        input=b"\xff\xfe\x00binary \x80\xc3 junk\n",
        capture_output=True,
        timeout=30,
        env={**os.environ, **env_for},
    )
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    assert "Traceback" not in stderr and [line for line in stderr.splitlines() if "not UTF-8" in line]
    assert json.loads(result.stdout)["content"]


@pytest.mark.parametrize("command", [["ask", "hi"], ["check"]])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_every_timeout_must_be_above_zero(command, value):
    result = foundry(*command, "--timeout", value)
    assert result.returncode == exitcodes.USAGE and "seconds above 0" in result.stderr


def test_the_overall_timeout_keeps_and_saves_the_partial_reply(slow_env):
    result = foundry("ask", "Tell me a long story about the sea", "--timeout", "1.5", env=slow_env)
    assert result.returncode == exitcodes.NETWORK, result.stderr
    assert "timeout" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout.strip()  # what arrived in time was streamed
    with Store.open() as store:
        reply = store.conversations.latest().messages[1]
    assert reply.state == "failed" and reply.text and result.stdout.startswith(reply.text)


def test_a_refusal_is_said_and_the_conversation_goes_on(env_for):
    refused = foundry("ask", "something refused", "--deployment", "fault-refusal", env=env_for)
    assert refused.returncode == 0 and refused.stdout.strip() == ""
    assert "Claude declined to answer · refusal" in refused.stderr
    following = foundry("ask", "-c", "--json", "and now?", env=env_for)
    assert following.returncode == 0, following.stderr
    assert json.loads(following.stdout)["content"][0]["text"]
    with Store.open() as store:
        assert [m.role for m in store.conversations.latest().messages] == ["user", "assistant"] * 2


def test_model_text_is_sanitized_on_a_terminal_only(monkeypatch, capsys):
    hostile = "copied\x1b]52;c;aGk=\x07 cleared\x1b[2J!"

    async def events():
        yield [TextDelta(0, hostile)]
        yield [Done(TurnResult("dep"))]

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    asyncio.run(ask._stream(events(), stream_text=True))
    assert "\x1b" not in capsys.readouterr().out
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    asyncio.run(ask._stream(events(), stream_text=True))
    assert capsys.readouterr().out == hostile  # a pipe gets the exact text


def test_an_unexpected_exception_fails_ask_with_the_partial_kept_and_saved(env_for, monkeypatch, capsys):
    for name, value in env_for.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # nothing piped
    break_after_text(monkeypatch, 5)
    assert main(["ask", "Write a long report"]) == exitcodes.OTHER
    out, err = capsys.readouterr()
    assert "RecursionError" in err and "hint:" in err and "Traceback" not in err
    with Store.open() as store:
        reply = store.conversations.latest().messages[1]
    assert reply.state == "failed" and reply.text and out.startswith(reply.text)


def test_the_clients_warnings_are_said_on_stderr_one_line_each(env_for):
    result = foundry("ask", "hello", "--deployment", "fault-bad-usage", env=env_for)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings and any("usage" in line for line in warnings)
    assert "\x1b" not in result.stderr


def test_the_profiles_idle_limit_ends_a_silent_turn(emulator):
    profile = Profile(name="work", base_url=emulator.base_url, deployments=["fault-pings-only"], idle_timeout=1.0)
    write_config(Config(profiles={"work": profile}, default_profile="work"))
    started = time.monotonic()
    result = foundry("ask", "hello", "--timeout", "20", env={"ANTHROPIC_FOUNDRY_API_KEY": emulator.api_key})
    assert result.returncode == exitcodes.NETWORK, result.stderr
    assert "for 1 s" in result.stderr and time.monotonic() - started < 15


def test_ask_json_carries_the_server_tool_input_assembled_without_warnings(env_for):
    result = foundry("ask", "--json", "weather in Paris", "--deployment", "fault-server-tool-use", env=env_for)
    assert result.returncode == 0, result.stderr
    tool = json.loads(result.stdout)["content"][0]
    assert tool["type"] == "server_tool_use" and set(tool["input"]) == {"query"} and tool["input"]["query"]
    assert "warning:" not in result.stderr
