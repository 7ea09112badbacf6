"""Fault injection: make the emulator fail the way the real service (or the network) does.

Selecting a fault, per request:

- deployment name ``fault-<spec>``, e.g. ``"model": "fault-429"`` (these deployments always exist), or
- header ``x-emulator-fault: <spec>`` (wins over the deployment name).

``<spec>`` is a fault name, optionally with a count: ``<name>*N`` faults only the first N requests
carrying that exact spec and lets later ones succeed, so a test can watch a client's retries win.
Counts are kept per emulator instance, keyed by the spec string.

Faults:

``429``
    429 ``rate_limit_error`` with ``retry-after: <s>`` and ``retry-after-ms: <ms>``;
    ``x-emulator-retry-after-ms`` sets the delay (default 1000).
``529``
    529 ``overloaded_error``.
``500``
    500 ``api_error``.
``html-502``
    502 with a ``text/html`` Application Gateway page instead of JSON.
``unknown-deployment``
    404 ``DeploymentNotFound``, as for a deployment that does not exist.
``stream-error``
    200, some deltas, then ``event: error`` (``overloaded_error``) and the end of the body.
    Without ``stream: true``: 529 ``overloaded_error``.
``drop``
    200, some deltas, then the connection is reset: no ``message_stop``, no final chunk.
    Without ``stream: true``: the connection closes before any response.
``malformed``
    A complete, normal stream with junk added: two events whose ``data:`` JSON is cut off, a
    ``: keep-alive`` comment, and one real delta whose ``data:`` line has trailing spaces. A client
    that skips what it cannot parse still gets the full text. No effect without ``stream: true``.
``slow-first-token``
    Waits before the first delta (or, without ``stream: true``, before the response);
    ``x-emulator-delay-ms`` sets the wait (default 2000).
``crlf``
    A normal stream with CRLF line endings. No effect without ``stream: true``.
``refusal``
    A refusal: one empty text block, ``stop_reason: "refusal"`` and ``stop_details``. Sent back
    as received, that empty block makes every later turn a 400.
``server-tool-use``
    A ``server_tool_use`` block (``web_search``) before the text, its input ``{"query": …}``
    streamed as ``input_json_delta`` fragments (the first one empty, as the service sends it).
``html-200``
    200 with a ``text/html`` page (a proxy's sign-in page) instead of a reply.
``json-200``
    200 with the complete Message as ``application/json``, even when ``stream: true`` was asked
    (a proxy that drops ``stream``).
``hostile``
    A normal stream with one more text delta full of terminal escape sequences (`HOSTILE_TEXT`):
    OSC 52 clipboard write, OSC 0 title, CSI 2J, a C1 CSI, an OSC 8 link. No effect without
    ``stream: true``.

Hostile faults (a broken server or a proxy in between; payloads in `hostile`):

``bad-usage``
    A normal stream whose ``usage`` figures have the wrong types (a list, a string, null, a
    negative number, a bool, 10**30) in ``message_start`` and ``message_delta``.
``deep-json``
    200, some deltas, then a ``data:`` line nested 100,000 levels deep, then the rest.
``huge-line``
    200, some deltas, then one 10 MB text delta on a single line, then the rest.
``gzip-bomb``
    200 with ``content-encoding: gzip``: some deltas, then a text delta that inflates to 300 MB
    (about 300 KB on the wire), then the rest.
``pings-only``
    200, ``message_start``, then only pings (every 0.25 s) for up to 10 minutes: no content, no end.
``huge-error``
    401 with a 51 MB ``text/html`` page.

The stream faults above have no effect without ``stream: true``; ``huge-error`` answers any
request.

Access faults (the request is refused before any reply):

``permission-denied``
    401 ``PermissionDenied``: an Entra principal without the RBAC data action.
``content-filter``
    400 ``content_filter``: Azure's content filter blocked the prompt.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from . import hostile
from .errors import (
    BAD_GATEWAY_PAGE,
    CONTENT_FILTERED,
    DEPLOYMENT_NOT_FOUND,
    PERMISSION_DENIED,
    InvalidRequest,
    anthropic_error,
)
from .http11 import Response
from .messages import ContentBlock, Turn
from .sse import Event, StreamScript, encode_event

FAULT_DEPLOYMENT_PREFIX = "fault-"
REPLY_FAULTS = ("refusal", "server-tool-use", "html-200", "json-200")  # see the block below
DEFAULT_RETRY_AFTER_MS = 1000
DEFAULT_DELAY_MS = 2000
# Errors that replace the reply, then faults inside the stream.
FAULT_NAMES = frozenset({
    "429", "529", "500", "html-502", "unknown-deployment",
    "stream-error", "drop", "malformed", "slow-first-token", "crlf", "hostile",
    "bad-usage", "deep-json", "huge-line", "gzip-bomb", "pings-only", "huge-error",
}) | frozenset(REPLY_FAULTS)  # fmt: skip
# Access faults: a fixed refusal each.
_ACCESS_FAULTS = {"permission-denied": PERMISSION_DENIED, "content-filter": CONTENT_FILTERED}
FAULT_NAMES |= frozenset(_ACCESS_FAULTS)
# How many deltas `stream-error` and `drop` let through before failing.
_DELTAS_BEFORE_FAILURE = 20
_RATE_LIMITED = "Number of request tokens has exceeded your per-minute rate limit."
_OVERLOADED = {"type": "overloaded_error", "message": "Overloaded"}
_OVERLOADED_EVENT = encode_event("error", {"type": "error", "error": _OVERLOADED})
_BROKEN_EVENTS = (
    Event(b'event: content_block_delta\ndata: {"type":"content_block_delta",\n\n'),
    Event(b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_del\n\n'),
)
_KEEP_ALIVE_COMMENT = Event(b": keep-alive\n\n")
HOSTILE_TEXT = (
    "\n\nclipboard\x1b]52;c;aGFja2VkIGNsaXBib2FyZA==\x1b\\ title\x1b]0;pwned title\x07 clear\x1b[2J"
    " c1\x9b31m link\x1b]8;;https://evil.example/\x1b\\here\x1b]8;;\x1b\\ end\n\n"
)


@dataclass(frozen=True, slots=True)
class Fault:
    """The fault one request gets; `Fault()` (no name) is the absence of a fault."""

    name: str = ""
    retry_after_ms: int = DEFAULT_RETRY_AFTER_MS
    delay_ms: int = DEFAULT_DELAY_MS

    def error_response(self, *, streaming: bool, request_id: str) -> Response | None:
        """The error (or odd 200) that replaces the reply, if this fault is one."""
        if self.name == "429":
            seconds = math.ceil(self.retry_after_ms / 1000)
            headers = {"retry-after": str(seconds), "retry-after-ms": str(self.retry_after_ms)}
            return anthropic_error(429, "rate_limit_error", _RATE_LIMITED, request_id, headers)
        if self.name == "529" or (self.name == "stream-error" and not streaming):
            return anthropic_error(529, _OVERLOADED["type"], _OVERLOADED["message"], request_id)
        if self.name == "500":
            return anthropic_error(500, "api_error", "Internal server error", request_id)
        if self.name == "html-502":
            return BAD_GATEWAY_PAGE
        if self.name == "unknown-deployment":
            return DEPLOYMENT_NOT_FOUND
        if self.name == "html-200":
            return _SIGN_IN_PAGE
        if self.name == "huge-error":
            return hostile.huge_error_page()
        return _ACCESS_FAULTS.get(self.name)

    def turn(self, turn: Turn, prompt: str) -> Turn:
        """The reply as this fault makes the model give it."""
        if self.name == "refusal":
            return refused(turn)
        if self.name == "server-tool-use":
            return with_server_tool_use(turn, prompt)
        return turn

    @property
    def ignores_stream(self) -> bool:
        """Answer with the plain JSON Message even when a stream was asked for."""
        return self.name == "json-200"

    @property
    def drops_connection(self) -> bool:
        return self.name == "drop"

    @property
    def first_token_delay(self) -> float:
        return self.delay_ms / 1000 if self.name == "slow-first-token" else 0.0

    def shape(self, script: StreamScript) -> StreamScript:
        """The stream as this fault delivers it."""
        events = script.events
        if self.name == "stream-error":
            return dataclasses.replace(script, events=[*_cut_after_some_deltas(events), _OVERLOADED_EVENT])
        if self.name == "drop":
            return dataclasses.replace(script, events=_cut_after_some_deltas(events), abort_at_end=True)
        if self.name == "malformed":
            return dataclasses.replace(script, events=_with_junk(events))
        if self.name == "crlf":
            # JSON escapes newlines inside strings, so every raw \n in an event is a line ending.
            return dataclasses.replace(script, events=[Event(e.data.replace(b"\n", b"\r\n"), e.tokens) for e in events])
        if self.name == "slow-first-token":
            return dataclasses.replace(script, first_token_delay=self.first_token_delay)
        if self.name == "hostile":
            return dataclasses.replace(script, events=_with_hostile_text(events))
        return _hostile_shape(self.name, script)


def _hostile_shape(name: str, script: StreamScript) -> StreamScript:
    events = script.events
    if name == "bad-usage":
        return dataclasses.replace(script, events=hostile.with_bad_usage(events))
    if name in ("deep-json", "huge-line"):
        head = _cut_after_some_deltas(events)
        bad = hostile.deep_json_event() if name == "deep-json" else hostile.huge_line_event()
        return dataclasses.replace(script, events=[*head, bad, *events[len(head) :]])
    if name == "gzip-bomb":
        head = _cut_after_some_deltas(events)
        before, after = b"".join(e.data for e in head), b"".join(e.data for e in events[len(head) :])
        return dataclasses.replace(script, events=[Event(hostile.gzip_bomb_body(before, after))], content_encoding="gzip")
    if name == "pings-only":
        return dataclasses.replace(
            script, events=list(events[:1]), pings_for=hostile.PINGS_FOR, ping_interval=hostile.PING_INTERVAL
        )
    return script


def deployment_fault_spec(model: str) -> str | None:
    """The spec in a `fault-<spec>` deployment name, if it names a real fault."""
    if not model.startswith(FAULT_DEPLOYMENT_PREFIX):
        return None
    spec = model.removeprefix(FAULT_DEPLOYMENT_PREFIX)
    return spec if _parse_spec(spec) else None


class FaultBook:
    """Decides each request's fault and counts how often every `name*N` spec has fired."""

    def __init__(self) -> None:
        self._requests_by_spec: Counter[str] = Counter()

    def fault_for(self, spec: str | None, *, retry_after_ms: int, delay_ms: int) -> Fault:
        if not spec:
            return Fault()
        parsed = _parse_spec(spec)
        if parsed is None:
            raise InvalidRequest(f"x-emulator-fault: unknown fault {spec!r}; known: {', '.join(sorted(FAULT_NAMES))}")
        name, limit = parsed
        self._requests_by_spec[spec] += 1
        if limit is not None and self._requests_by_spec[spec] > limit:
            return Fault()
        return Fault(name, retry_after_ms=retry_after_ms, delay_ms=delay_ms)


def _parse_spec(spec: str) -> tuple[str, int | None] | None:
    """`name` or `name*N` as (name, N); None when the name is unknown or N is not a positive count."""
    name, star, count = spec.partition("*")
    if name not in FAULT_NAMES:
        return None
    if not star:
        return name, None
    return (name, int(count)) if count.isdecimal() and int(count) > 0 else None


def _cut_after_some_deltas(events: Sequence[Event]) -> list[Event]:
    total = sum(event.tokens for event in events)
    return _prefix_with_deltas(events, max(1, min(_DELTAS_BEFORE_FAILURE, total // 2)))


def _prefix_with_deltas(events: Sequence[Event], deltas: int) -> list[Event]:
    """The events up to and including the `deltas`-th delta."""
    seen = 0
    for position, event in enumerate(events):
        seen += event.tokens
        if seen == deltas:
            return list(events[: position + 1])
    return list(events)


def _with_junk(events: Sequence[Event]) -> list[Event]:
    """The events with broken lines, a comment and trailing spaces added; no real content removed."""
    total = sum(event.tokens for event in events)
    head = _prefix_with_deltas(events, max(1, total // 3))
    tail = list(events[len(head) :])
    padded = Event(head[-1].data.replace(b"}\n\n", b"}   \n\n"), head[-1].tokens)
    return [*head[:-1], padded, _BROKEN_EVENTS[0], _KEEP_ALIVE_COMMENT, *tail[:1], _BROKEN_EVENTS[1], *tail[1:]]


def _with_hostile_text(events: Sequence[Event]) -> list[Event]:
    """The events with a `HOSTILE_TEXT` delta after the first text delta (into the same block)."""
    for position, event in enumerate(events):
        if b'"text_delta"' in event.data:
            index = json.loads(event.data.split(b"data: ", 1)[1])["index"]
            delta = {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": HOSTILE_TEXT}}
            return [*events[: position + 1], encode_event("content_block_delta", delta, tokens=1), *events[position + 1 :]]
    return list(events)


# --- Faults of issue #10: replies a faithful client must cope with, and Azure's RBAC denial ---

_SIGN_IN_PAGE = Response(
    200,
    b"<!DOCTYPE html>\r\n<html><head><title>Sign in to continue</title></head>\r\n"
    b"<body><h1>Sign in to continue</h1><p>Your network requires you to sign in.</p></body></html>\r\n",
    content_type="text/html",
)
REFUSAL_DETAILS = {
    "type": "refusal",
    "category": "cyber",
    "explanation": "The request could enable cyber harm, such as malware or exploit development.",
}
SEARCH_TOOL_ID = "srvtoolu_01EmulatorWebSearch0001"
_QUERY_CHARS = 60
_JSON_FRAGMENT_CHARS = 8


def refused(turn: Turn) -> Turn:
    """The refusal as the service sends it: a single empty text block."""
    usage = dataclasses.replace(turn.usage, output_tokens=1)
    blocks = [ContentBlock("text", ())]
    return dataclasses.replace(
        turn, blocks=blocks, stop_reason="refusal", stop_sequence=None, usage=usage, stop_details=REFUSAL_DETAILS
    )


def with_server_tool_use(turn: Turn, prompt: str) -> Turn:
    """A web search on the prompt before the text, its input in JSON fragments."""
    query = " ".join(prompt.split())[:_QUERY_CHARS] or "the question"
    source = json.dumps({"query": query})
    fragments = ["", *(source[at : at + _JSON_FRAGMENT_CHARS] for at in range(0, len(source), _JSON_FRAGMENT_CHARS))]
    tool = ContentBlock("server_tool_use", fragments, tool_id=SEARCH_TOOL_ID, tool_name="web_search")
    thinking = [block for block in turn.blocks if block.type == "thinking"]
    rest = [block for block in turn.blocks if block.type != "thinking"]
    usage = dataclasses.replace(turn.usage, output_tokens=turn.usage.output_tokens + len(fragments))
    return dataclasses.replace(turn, blocks=[*thinking, tool, *rest], usage=usage)
