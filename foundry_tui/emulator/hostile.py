"""What a broken or hostile server (or a proxy in between) sends: the payloads of the hostile faults.

Big payloads are built once and cached; the gzip bomb is compressed once per reply prefix (about
0.7 s), so a test can ask for it repeatedly without paying again.
"""

from __future__ import annotations

import functools
import json
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

CAPTIVE_PORTAL_PAGE = Response(
    200,
    b"<!DOCTYPE html>\n<html><head><title>Sign in to Guest Wi-Fi</title></head>\n"
    b"<body><h1>Welcome</h1><p>Accept the terms to continue.</p></body></html>\n",
    content_type="text/html; charset=utf-8",
)


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


@functools.lru_cache(maxsize=4)
def gzip_bomb_body(before: bytes, after: bytes) -> bytes:
    """`before`, a text delta inflating to GZIP_BOMB_BYTES, then `after`, as one gzip body."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [compressor.compress(before + _TEXT_DELTA_HEAD)]
    parts += [compressor.compress(_MEGABYTE_OF_A) for _ in range(GZIP_BOMB_BYTES // len(_MEGABYTE_OF_A))]
    parts += [compressor.compress(_TEXT_DELTA_TAIL + after), compressor.flush()]
    return b"".join(parts)


@functools.cache
def huge_error_page() -> Response:
    """A 401 HTML page of HUGE_ERROR_BYTES, as a misconfigured proxy might send."""
    head = b"<html><head><title>401 Unauthorized</title></head><body><h1>401 Unauthorized</h1>\n"
    filler = b"<p>Access denied.</p>\n"
    body = head + filler * ((HUGE_ERROR_BYTES - len(head)) // len(filler)) + b"</body></html>\n"
    return Response(401, body, content_type="text/html")
