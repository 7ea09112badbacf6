"""Where a request marks its prompt-caching breakpoints: one rule for the app, `ask` and `ask -c`.

A breakpoint (`cache_control`) asks the API to cache the prompt up to the block carrying it; a
later request that starts with the same prefix reads it back at a tenth of the input price (a
write costs 1.25 times). A chat marks its system prompt and the last block of the newest user
turn, so the next turn reads the whole earlier conversation: two of the four breakpoints the API
allows. A one-shot request marks only a
system prompt long enough to be cached at all: its prompt is never sent again.

Breakpoints exist only in the request: the session's exchanges and the history never hold them.
"""

from __future__ import annotations

from typing import Any

from foundry_tui.service.messages import CACHE_CONTROL

# The shortest prompt the API caches: 1024 tokens (Sonnet 4.5, Opus 4 and 4.1; 4096 for Opus 4.5
# and Haiku 4.5), about 4 characters a token. The lowest minimum, since a breakpoint on a prefix
# too short for its model is simply ignored, at no cost.
MIN_CACHEABLE_CHARS = 1024 * 4


def long_enough_to_cache(text: str) -> bool:
    return len(text) >= MIN_CACHEABLE_CHARS


def with_breakpoint(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`content` as a block list whose last block carries a breakpoint; the blocks given are not changed.

    Works on any user content (text, images, documents). Empty content stays empty.
    """
    blocks: list[dict[str, Any]] = (
        [{"type": "text", "text": content}] if isinstance(content, str) else [dict(block) for block in content]
    )
    if blocks:
        blocks[-1]["cache_control"] = dict(CACHE_CONTROL)
    return blocks
