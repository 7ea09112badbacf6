"""Prompt caching end to end: `ask -c` turns on a long prompt read the cache, and `usage` shows the savings."""

from __future__ import annotations

import json
import uuid

from helpers import foundry


def long_prompt() -> str:
    """Past the 1024-token minimum, and unique: the emulator (and its cache) is shared by the session."""
    return f"[{uuid.uuid4()}] Review this design note line by line. " + "The cache keeps the prefix. " * 200


def ask_json(*args: str, env: dict[str, str]) -> dict:
    done = foundry("ask", "--json", "-d", "claude-sonnet-4-5", *args, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_three_continued_turns_on_a_long_prompt_read_the_cache_and_usage_shows_savings(env_for, foundry_home):
    turns = [ask_json("-c", prompt, env=env_for) for prompt in (long_prompt(), "And the second point?", "And the third?")]

    usages = [turn["usage"] for turn in turns]
    # a write on every turn is the breakpoint on that turn's prompt; the reads are the turns before
    assert all(usage["cache_creation_input_tokens"] > 0 for usage in usages)
    assert usages[0]["cache_read_input_tokens"] == 0
    assert usages[1]["cache_read_input_tokens"] == usages[0]["cache_creation_input_tokens"]
    assert usages[2]["cache_read_input_tokens"] > usages[1]["cache_read_input_tokens"]
    foundry_fields = [turn["foundry"] for turn in turns]
    assert foundry_fields[0]["cache_savings"] < 0 < foundry_fields[1]["cache_savings"]  # a write costs 1.25x
    assert all(fields["cost"] > 0 for fields in foundry_fields)

    report = json.loads(foundry("usage", "--json", "--by", "deployment").stdout)
    assert report["total"]["cache_read_input_tokens"] == sum(usage["cache_read_input_tokens"] for usage in usages)
    assert report["total"]["cache_savings"] > 0
    assert report["groups"][0]["key"] == "claude-sonnet-4-5" and report["groups"][0]["cache_savings"] > 0
    table = foundry("usage", "--by", "day").stdout
    assert "SAVED" in table.splitlines()[2]


def test_one_shot_ask_caches_only_a_long_system_prompt_and_no_cache_turns_it_off(env_for, foundry_home):
    system = long_prompt()
    short_system = ask_json("-s", "Be brief.", long_prompt(), env=env_for)["usage"]
    first = ask_json("-s", system, "first question", env=env_for)["usage"]
    second = ask_json("-s", system, "another question", env=env_for)["usage"]
    uncached = ask_json("--no-cache", "-c", "-s", system, "a third", env=env_for)["usage"]

    assert (short_system["cache_creation_input_tokens"], short_system["cache_read_input_tokens"]) == (0, 0)
    assert first["cache_creation_input_tokens"] > 0 and second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert (uncached["cache_creation_input_tokens"], uncached["cache_read_input_tokens"]) == (0, 0)


def test_usage_json_cache_savings_is_null_when_nothing_was_priced(foundry_home):
    report = json.loads(foundry("usage", "--json").stdout)  # (an unpriced deployment: tests/store)

    assert report["total"]["requests"] == 0 and report["total"]["cache_savings"] is None
