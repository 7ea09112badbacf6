"""The emulator's prompt caching: prefixes written at breakpoints, read back within 5 minutes."""

from __future__ import annotations

import json
from typing import Any

from foundry_tui.emulator.messages import parse_messages_request
from foundry_tui.emulator.prompt_cache import CACHE_SECONDS, LOOKBACK_BLOCKS, CacheUse, PromptCache

MARK = {"type": "ephemeral"}
LONG = "word " * 1000  # 5,000 characters: past the 1024-token minimum


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def request(*messages: dict[str, Any], system: Any = None) -> Any:
    body: dict[str, Any] = {"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": list(messages)}
    if system is not None:
        body["system"] = system
    return parse_messages_request(json.dumps(body).encode())


def user(text: str, *, marked: bool = False) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "text", "text": text}
    if marked:
        block["cache_control"] = MARK
    return {"role": "user", "content": [block]}


def assistant(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": [{"type": "text", "text": text}]}


def test_a_conversation_reads_its_earlier_turns_and_writes_the_new_one() -> None:
    cache = PromptCache(Clock())
    first = cache.use(request(user(LONG, marked=True)))
    second = cache.use(request(user(LONG), assistant("reply"), user("more", marked=True)))

    assert first == CacheUse(read_tokens=0, write_tokens=(len(LONG) + 1) // 4)
    assert second.read_tokens == first.write_tokens
    assert second.write_tokens == (len(LONG) + 1 + len("reply") + 1 + len("more") + 1) // 4 - second.read_tokens


def test_a_prefix_under_the_minimum_length_is_not_cached() -> None:
    cache = PromptCache(Clock())
    for _ in range(2):
        assert cache.use(request(user("short", marked=True))) == CacheUse()


def test_the_cache_expires_five_minutes_after_its_last_use() -> None:
    clock = Clock()
    cache = PromptCache(clock)
    cache.use(request(user(LONG, marked=True)))
    clock.now = CACHE_SECONDS - 1
    assert cache.use(request(user(LONG, marked=True))).read_tokens > 0  # and renewed
    clock.now = 2 * CACHE_SECONDS - 2
    assert cache.use(request(user(LONG, marked=True))).read_tokens > 0
    clock.now = 4 * CACHE_SECONDS
    assert cache.use(request(user(LONG, marked=True))).read_tokens == 0


def test_the_lookback_finds_an_earlier_prefix_only_within_twenty_blocks() -> None:
    def conversation(extra_blocks: int) -> Any:
        blocks = [{"type": "text", "text": f"block {n}"} for n in range(extra_blocks)]
        blocks[-1]["cache_control"] = MARK
        return request(user(LONG), assistant("reply"), {"role": "user", "content": blocks})

    cache = PromptCache(Clock())
    cache.use(request(user(LONG), {"role": "assistant", "content": [{"type": "text", "text": "reply", "cache_control": MARK}]}))

    assert cache.use(conversation(LOOKBACK_BLOCKS)).read_tokens > 0
    assert PromptCache(Clock()).use(conversation(LOOKBACK_BLOCKS)).read_tokens == 0
    cache = PromptCache(Clock())
    cache.use(request(user(LONG), {"role": "assistant", "content": [{"type": "text", "text": "reply", "cache_control": MARK}]}))
    assert cache.use(conversation(LOOKBACK_BLOCKS + 1)).read_tokens == 0


def test_each_model_has_its_own_cache() -> None:
    cache = PromptCache(Clock())
    cache.use(request(user(LONG, marked=True)))
    other = parse_messages_request(json.dumps({
        "model": "claude-opus-4-1", "max_tokens": 100, "messages": [user(LONG, marked=True)],
    }).encode())

    assert cache.use(other) == CacheUse(read_tokens=0, write_tokens=(len(LONG) + 1) // 4)


def test_a_string_content_is_the_same_prefix_as_its_text_block() -> None:
    cache = PromptCache(Clock())
    cache.use(request(user(LONG, marked=True)))

    assert cache.use(request({"role": "user", "content": LONG}, assistant("reply"), user("more", marked=True))).read_tokens > 0


def test_opus_4_5_needs_4096_tokens_before_it_caches() -> None:
    def opus(text: str) -> Any:
        return parse_messages_request(json.dumps({
            "model": "claude-opus-4-5", "max_tokens": 100, "messages": [user(text, marked=True)],
        }).encode())

    cache = PromptCache(Clock())
    assert cache.use(opus(LONG)) == CacheUse()  # about 1,250 tokens: enough for Sonnet, not for Opus 4.5
    assert cache.use(opus(LONG * 4)).write_tokens > 4096
