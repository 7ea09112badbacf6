"""The recorded reply every contender is fed: what the emulator streams for a long report.

Deterministic (the emulator seeds its replies from the request), so every run and every
contender sees the same bytes: paragraphs, lists, a long code fence and tables.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import lru_cache

from foundry_tui.emulator.messages import compose_turn, parse_messages_request, stream_events

PROMPT = "Write a long report with code and a table"
CHUNK = 16 * 1024  # bytes per read, about what a socket hands over under load


@dataclass(frozen=True)
class Recording:
    text: str
    deltas: list[str]
    sse: bytes

    def chunks(self, size: int = CHUNK) -> list[bytes]:
        return [self.sse[i : i + size] for i in range(0, len(self.sse), size)]

    async def aiter_chunks(self, size: int = CHUNK) -> AsyncIterator[bytes]:
        for chunk in self.chunks(size):
            yield chunk


@lru_cache(maxsize=4)
def recording(deltas: int) -> Recording:
    body = json.dumps(
        {"model": "claude-sonnet-4-5", "max_tokens": deltas * 2, "stream": True, "messages": [{"role": "user", "content": PROMPT}]}
    ).encode()
    turn = compose_turn(parse_messages_request(body), reply_tokens=deltas)
    sse = b"".join(event.data for event in stream_events(turn))
    deltas_sent = [delta for block in turn.blocks if block.type == "text" for delta in block.deltas]
    return Recording(text="".join(deltas_sent), deltas=deltas_sent, sse=sse)
