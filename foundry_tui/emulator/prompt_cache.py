"""Prompt caching as the Messages API does it, so the app's savings can be seen without Azure.

The request is a sequence of blocks (the system blocks, then each message's content blocks). The
prefix up to each block carrying `cache_control` is written on first sight and kept 5 minutes
(each read renews it); a breakpoint reads the longest cached prefix found at its own position or
at up to 20 block boundaries before it. A prefix under the model's minimum length (1024 tokens,
4096 for Opus 4.5 and Haiku 4.5) is never cached.
The result is reported as the API does: `cache_read_input_tokens` for the prefix read,
`cache_creation_input_tokens` for what was written past it up to the last breakpoint.

Source: https://docs.claude.com/en/docs/build-with-claude/prompt-caching
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .messages import CHARS_PER_TOKEN, MessagesRequest, block_text

CACHE_SECONDS = 300.0
LOOKBACK_BLOCKS = 20
MIN_CACHEABLE_TOKENS = 1024  # most models (Sonnet 4.5, Opus 4.1, Opus 4)
# Models with a higher minimum, by id and dated id; a deployment named otherwise gets 1024.
MIN_CACHEABLE_TOKENS_BY_MODEL = {
    "claude-opus-4-5": 4096,
    "claude-opus-4-5-20251101": 4096,
    "claude-haiku-4-5": 4096,
    "claude-haiku-4-5-20251001": 4096,
    "claude-3-5-haiku-latest": 2048,
    "claude-3-5-haiku-20241022": 2048,
}
MAX_ENTRIES = 10_000  # the emulator's memory stays bounded whatever clients send


@dataclass(frozen=True, slots=True)
class CacheUse:
    read_tokens: int = 0
    write_tokens: int = 0


@dataclass(frozen=True, slots=True)
class _Boundary:
    digest: bytes  # of the whole prefix up to and including this block
    tokens: int  # the prefix's length
    marked: bool  # the block carries cache_control


class PromptCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._expiry: dict[bytes, float] = {}  # insertion order is age: the oldest go first

    def use(self, request: MessagesRequest) -> CacheUse:
        """Read and write the request's cached prefixes; what to report in its usage."""
        boundaries = _boundaries(request)
        marked = [index for index, boundary in enumerate(boundaries) if boundary.marked]
        if not marked:
            return CacheUse()
        now = self._clock()
        minimum = MIN_CACHEABLE_TOKENS_BY_MODEL.get(request.model, MIN_CACHEABLE_TOKENS)
        read_to: int | None = None
        for index in marked:
            for position in range(index, max(-1, index - LOOKBACK_BLOCKS - 1), -1):
                if self._expiry.get(boundaries[position].digest, 0.0) > now:
                    read_to = position if read_to is None else max(read_to, position)
                    break
        read = 0 if read_to is None else boundaries[read_to].tokens
        if read_to is not None:
            self._keep(boundaries[read_to].digest, now)
        for index in marked:
            if boundaries[index].tokens >= minimum:
                self._keep(boundaries[index].digest, now)
        last = boundaries[marked[-1]].tokens
        return CacheUse(read_tokens=read, write_tokens=last - read if last >= minimum else 0)

    def _keep(self, digest: bytes, now: float) -> None:
        self._expiry.pop(digest, None)
        self._expiry[digest] = now + CACHE_SECONDS
        while len(self._expiry) > MAX_ENTRIES:
            del self._expiry[next(iter(self._expiry))]


def _boundaries(request: MessagesRequest) -> list[_Boundary]:
    """Each block's prefix: a running hash (the model's cache is its own) and a running length."""
    blocks: list[tuple[str, Any]] = [("system", block) for block in request.system_blocks]
    for message in request.messages:
        content = message.get("content")
        role = str(message.get("role"))
        if isinstance(content, str):  # the API reads a string as one text block: the same prefix
            content = [{"type": "text", "text": content}]
        blocks += [(role, block) for block in (content if isinstance(content, list) else [content])]
    digest = hashlib.sha256(request.model.encode()).digest()
    chars = 0
    boundaries = []
    for role, block in blocks:
        marked = isinstance(block, dict) and "cache_control" in block
        if isinstance(block, dict):
            block = {key: value for key, value in block.items() if key != "cache_control"}
        digest = hashlib.sha256(digest + json.dumps([role, block], sort_keys=True).encode()).digest()
        chars += len(block_text(block)) + 1  # the "\n" that joins blocks in the conversation text
        boundaries.append(_Boundary(digest, chars // CHARS_PER_TOKEN, marked))
    return boundaries
