"""A conversation the strict emulator accepts: what `ask -c` sends back must be what the real API takes."""

from __future__ import annotations

from helpers import foundry


def test_ask_continue_goes_on_after_a_refusal(env_for):
    refused = foundry("ask", "hack something", "--deployment", "fault-refusal", env=env_for)
    assert refused.returncode == 0 and "Claude declined to answer" in refused.stderr, refused.stderr

    more = foundry("ask", "-c", "then tell me about Porto", "--deployment", "claude-sonnet-4-5", env=env_for)
    assert more.returncode == 0, more.stderr
