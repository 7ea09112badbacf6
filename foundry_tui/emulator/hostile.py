"""What a broken or hostile server (or a proxy in between) sends: the payloads of the hostile faults.

Big payloads are built per request and dropped after; only the gzip bomb's 300 KB middle is kept,
since compressing it takes about 0.7 s.
"""

from __future__ import annotations

import functools
import json
import struct
import zlib
from collections.abc import Sequence

from .http11 import Response
from .sse import Event

GZIP_BOMB_BYTES = 300 * 1024 * 1024  # inflated size; about 300 KB on the wire
HUGE_LINE_BYTES = 10 * 1024 * 1024
HUGE_ERROR_BYTES = 51 * 1024 * 1024
DEEP_JSON_LEVELS = 100_000
PING_INTERVAL = 0.25  # seconds between the pings of `pings-only`
PINGS_FOR = 600.0  # how long `pings-only` keeps a stream open before ending it, cut

_TEXT_DELTA_HEAD = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"'
_TEXT_DELTA_TAIL = b'"}}\n\n'
_MEGABYTE_OF_A = b"a" * (1024 * 1024)

BAD_START_USAGE = {
    "input_tokens": [1, 2],
    "output_tokens": "12",
    "cache_creation_input_tokens": None,
    "cache_read_input_tokens": -4,
    "service_tier": {"tier": "standard"},
}
BAD_DELTA_USAGE = {"output_tokens": 10**30, "input_tokens": True}


def with_bad_usage(events: Sequence[Event]) -> list[Event]:
    """The stream with usage figures of the wrong types in message_start and message_delta."""
    return [_rewrite_usage(event) for event in events]


def _rewrite_usage(event: Event) -> Event:
    name, _, data = event.data.partition(b"\ndata: ")
    if name not in (b"event: message_start", b"event: message_delta"):
        return event
    payload = json.loads(data)
    if name == b"event: message_start":
        payload["message"]["usage"] = BAD_START_USAGE
    else:
        payload["usage"] = BAD_DELTA_USAGE
    return Event(name + b"\ndata: " + json.dumps(payload).encode() + b"\n\n", event.tokens)


def deep_json_event() -> Event:
    """A data line nested DEEP_JSON_LEVELS deep: valid JSON that no recursive parser survives."""
    return Event(b"event: content_block_delta\ndata: " + b"[" * DEEP_JSON_LEVELS + b"]" * DEEP_JSON_LEVELS + b"\n\n")


def huge_line_event() -> Event:
    """One text delta of HUGE_LINE_BYTES on a single line."""
    return Event(_TEXT_DELTA_HEAD + b"a" * HUGE_LINE_BYTES + _TEXT_DELTA_TAIL, tokens=1)


def gzip_bomb_body(before: bytes, after: bytes) -> bytes:
    """`before`, a text delta inflating to GZIP_BOMB_BYTES, then `after`, as one valid gzip body.

    The middle is compressed once (about 0.7 s) as raw deflate blocks ending in a full flush, so
    each request only compresses its own few kilobytes around it.
    """
    middle = _bomb_middle()
    head = _TEXT_DELTA_HEAD
    opening = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    closing = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    tail = _TEXT_DELTA_TAIL + after
    crc = zlib.crc32(tail, _crc_over_the_middle(zlib.crc32(before + head)))
    size = len(before) + len(head) + GZIP_BOMB_BYTES + len(tail)
    return b"".join([
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff",  # gzip header: deflate, no name, no time
        opening.compress(before + head) + opening.flush(zlib.Z_FULL_FLUSH),
        middle,
        closing.compress(tail) + closing.flush(),
        struct.pack("<II", crc, size & 0xFFFFFFFF),
    ])  # fmt: skip


@functools.cache
def _bomb_middle() -> bytes:
    """GZIP_BOMB_BYTES of "a" as raw deflate blocks (not final), ending on a byte boundary."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    parts = [compressor.compress(_MEGABYTE_OF_A) for _ in range(GZIP_BOMB_BYTES // len(_MEGABYTE_OF_A))]
    parts.append(compressor.flush(zlib.Z_FULL_FLUSH))
    return b"".join(parts)


def _crc_over_the_middle(crc: int) -> int:
    """The CRC-32 of what came before, continued over the middle (about 50 ms)."""
    for _ in range(GZIP_BOMB_BYTES // len(_MEGABYTE_OF_A)):
        crc = zlib.crc32(_MEGABYTE_OF_A, crc)
    return crc


def huge_error_page() -> Response:
    """A 401 HTML page of HUGE_ERROR_BYTES, as a misconfigured proxy might send (built per request:
    kept, it would weigh on every process that forks from the emulator's)."""
    head = b"<html><head><title>401 Unauthorized</title></head><body><h1>401 Unauthorized</h1>\n"
    filler = b"<p>Access denied.</p>\n"
    body = head + filler * ((HUGE_ERROR_BYTES - len(head)) // len(filler)) + b"</body></html>\n"
    return Response(401, body, content_type="text/html")
