"""Server-sent events: framing, and paced playback of a prepared event sequence.

Streams are prepared in full before the first byte is sent (replies are deterministic), so faults
can reshape them as plain lists and playback only has to decide *when* each event goes out.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from .http11 import Connection

# Pacing releases tokens on a clock tick rather than sleeping per delta, so high rates stay accurate.
_TICK_SECONDS = 0.015
# Unpaced streams go out in big writes: per-event writes would make 20,000-delta streams slow.
_EVENTS_PER_WRITE = 512


@dataclass(frozen=True, slots=True)
class Event:
    data: bytes  # the complete wire form, blank line included
    tokens: int = 0  # 1 for a text/thinking delta: what pacing and usage count


def encode_event(name: str, payload: object, *, tokens: int = 0) -> Event:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return Event(f"event: {name}\ndata: {data}\n\n".encode(), tokens)


PING = encode_event("ping", {"type": "ping"})


@dataclass(frozen=True, slots=True)
class StreamScript:
    events: Sequence[Event]
    first_token_delay: float = 0.0  # seconds of silence before the first delta
    abort_at_end: bool = False  # reset the connection instead of ending the body
    content_encoding: str | None = None  # the events are already encoded so (e.g. one gzip body)
    pings_for: float = 0.0  # seconds of pings (one per `ping_interval`) after the events
    ping_interval: float = 1.0


async def play(script: StreamScript, connection: Connection, pace: float) -> None:
    """Send the events at about `pace` tokens per second (0: as fast as possible), then end the body."""
    first_token = next((i for i, event in enumerate(script.events) if event.tokens), len(script.events))
    await _write(connection, script.events[:first_token])
    if script.first_token_delay:
        await asyncio.sleep(script.first_token_delay)
    await _write_paced(connection, script.events[first_token:], pace)
    if script.pings_for:
        await _ping(connection, script.pings_for, script.ping_interval)
    if script.abort_at_end:
        connection.abort()
    else:
        await connection.finish_chunked()


async def _write_paced(connection: Connection, events: Sequence[Event], pace: float) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    released = position = 0
    while position < len(events):
        allowance = math.inf if pace <= 0 else int((loop.time() - started) * pace) + 1 - released
        end, tokens = _batch_end(events, position, allowance)
        if end == position:
            await asyncio.sleep(_TICK_SECONDS)
            continue
        await _write(connection, events[position:end])
        released += tokens
        position = end


async def _ping(connection: Connection, duration: float, interval: float) -> None:
    for _ in range(max(1, int(duration / interval))):
        await asyncio.sleep(interval)
        await connection.write_chunk(PING.data)


def _batch_end(events: Sequence[Event], start: int, allowance: float) -> tuple[int, int]:
    """How far one write may go from `start` without exceeding `allowance` tokens."""
    end, tokens = start, 0
    limit = min(len(events), start + _EVENTS_PER_WRITE)
    while end < limit and tokens + events[end].tokens <= allowance:
        tokens += events[end].tokens
        end += 1
    return end, tokens


async def _write(connection: Connection, events: Sequence[Event]) -> None:
    if events:
        await connection.write_chunk(b"".join(event.data for event in events))
