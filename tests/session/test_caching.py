"""Where a request marks its cache breakpoints (session/caching.py, through ChatSession.request)."""

from __future__ import annotations

from typing import Any

from foundry_tui.config.profile import RequestDefaults
from foundry_tui.session.caching import MIN_CACHEABLE_CHARS, with_breakpoint
from foundry_tui.session.chat import ChatSession, ChatSettings

MARK = {"type": "ephemeral"}
NO_SYSTEM = RequestDefaults()
SHORT_SYSTEM = RequestDefaults(system="Be brief.")
LONG_SYSTEM = RequestDefaults(system="x" * MIN_CACHEABLE_CHARS)
ANSWER = [{"type": "text", "text": "an answer"}]
SIGNED_THINKING = {"type": "thinking", "thinking": "hmm", "signature": "sig"}


def breakpoints(body: dict[str, Any]) -> list[str]:
    """Where the body's cache_control marks are: 'system', or 'ROLE:TEXT' of the marked block."""
    found = []
    system = body.get("system")
    if isinstance(system, list):
        found += ["system" for block in system if "cache_control" in block]
    for message in body["messages"]:
        content = message["content"]
        if isinstance(content, list):
            found += [f"{message['role']}:{block.get('text')}" for block in content if "cache_control" in block]
    return found


def answered(session: ChatSession, prompt: str, content: list[dict[str, Any]] = ANSWER, state: Any = "complete") -> None:
    session.settle(session.begin(prompt), state, content, "".join(str(b.get("text", "")) for b in content))


def test_a_chat_marks_the_system_prompt_and_the_newest_user_turn() -> None:
    session = ChatSession()
    answered(session, "one")
    body = session.request("two", "dep", SHORT_SYSTEM).to_body()

    assert breakpoints(body) == ["system", "user:two"]
    assert body["system"] == [{"type": "text", "text": "Be brief.", "cache_control": MARK}]
    assert body["messages"][0] == {"role": "user", "content": "one"}  # the older turns are sent unmarked


def test_without_a_system_prompt_only_the_newest_user_turn_is_marked() -> None:
    body = ChatSession().request("hi", "dep", NO_SYSTEM).to_body()

    assert breakpoints(body) == ["user:hi"] and "system" not in body


def test_breakpoints_never_reach_the_session_so_never_the_history() -> None:
    session = ChatSession()
    session.request("one", "dep", SHORT_SYSTEM)
    answered(session, "one")

    assert session.messages == [{"role": "user", "content": "one"}, {"role": "assistant", "content": ANSWER}]
    assert session.request("two", "dep", SHORT_SYSTEM).system == "Be brief."  # what the history saves


def test_after_a_failed_or_cancelled_turn_the_new_prompt_carries_the_only_user_breakpoint() -> None:
    session = ChatSession()
    answered(session, "one")
    answered(session, "broken", [{"type": "text", "text": "part"}], state="failed")
    answered(session, "stopped", [], state="cancelled")
    body = session.request("again", "dep", NO_SYSTEM).to_body()

    assert breakpoints(body) == ["user:again"]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user", "assistant", "user"]


def test_with_thinking_the_breakpoint_stays_off_the_thinking_blocks() -> None:
    session = ChatSession(ChatSettings(thinking_budget=1024))
    answered(session, "one", [SIGNED_THINKING, *ANSWER])
    body = session.request("two", "dep", SHORT_SYSTEM).to_body()

    assert breakpoints(body) == ["system", "user:two"]
    assert body["messages"][1]["content"] == [SIGNED_THINKING, *ANSWER]


def test_a_one_shot_request_marks_only_a_long_system_prompt() -> None:
    assert breakpoints(ChatSession(one_shot=True).request("hi", "dep", SHORT_SYSTEM).to_body()) == []
    assert breakpoints(ChatSession(one_shot=True).request("hi", "dep", LONG_SYSTEM).to_body()) == ["system"]


def test_the_profile_or_the_chat_setting_turns_caching_off() -> None:
    off_in_profile = RequestDefaults(system="Be brief.", prompt_caching=False)
    assert breakpoints(ChatSession().request("hi", "dep", off_in_profile).to_body()) == []
    assert breakpoints(ChatSession(ChatSettings(prompt_caching=False)).request("hi", "dep", SHORT_SYSTEM).to_body()) == []
    on_in_chat = ChatSession(ChatSettings(prompt_caching=True))
    assert breakpoints(on_in_chat.request("hi", "dep", off_in_profile).to_body()) == ["system", "user:hi"]


def test_with_breakpoint_marks_the_last_of_any_blocks_without_changing_them() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}}
    blocks = [image, {"type": "text", "text": "what is this?"}]

    assert with_breakpoint(blocks) == [image, {"type": "text", "text": "what is this?", "cache_control": MARK}]
    assert "cache_control" not in blocks[1]
    assert with_breakpoint([]) == []
