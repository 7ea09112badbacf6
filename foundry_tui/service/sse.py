"""Incremental server-sent events decoder, tuned for the streaming hot path.

It accepts LF, CRLF and lone CR line ends, comments and multi-line `data:` fields (per the WHATWG
spec), and returns `(event_name, data)` pairs. Each read is decoded from UTF-8 once, up to its last
complete event, so a character split across reads is never cut, and `json.loads` gets `str` (for
bytes it would sniff the encoding and decode again, per event).
"""

from __future__ import annotations

DEFAULT_EVENT = "message"


class SSEDecoder:
    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        """Decode one read; returns every event it completes (a list: cheaper than a generator)."""
        buffer = self._buffer + chunk if self._buffer else chunk
        if b"\r" in buffer:
            # A CR at the very end may be the first half of a CRLF: keep it for the next read.
            tail = b"\r" if buffer.endswith(b"\r") else b""
            buffer = buffer[: len(buffer) - len(tail)].replace(b"\r\n", b"\n").replace(b"\r", b"\n") + tail
        end = buffer.rfind(b"\n\n")  # an event ends at a blank line
        if end < 0:
            self._buffer = buffer
            return []
        self._buffer = buffer[end + 2 :]
        events: list[tuple[str, str]] = []
        for block in buffer[:end].decode("utf-8", "replace").split("\n\n"):
            # The shape nearly every event has, "event: NAME\ndata: JSON", takes one partition; this
            # runs once per token, so it is worth the special case. Anything else takes the full parse.
            if block.startswith("event: "):
                head, found, data = block.partition("\ndata: ")
                if found and "\n" not in head and "\n" not in data:
                    events.append((head[7:], data))
                    continue
            event = parse_block(block)
            if event is not None:
                events.append(event)
        return events

    def close(self) -> list[tuple[str, str]]:
        """End of stream: a last event not followed by a blank line is still delivered."""
        block = self._buffer.rstrip(b"\r\n").decode("utf-8", "replace")
        self._buffer = b""
        event = parse_block(block) if block else None
        return [event] if event is not None else []


def parse_block(block: str) -> tuple[str, str] | None:
    """One event's lines by the spec: fields with or without a space, comments, multi-line data."""
    name = ""
    data: list[str] = []
    for line in block.split("\n"):
        if not line or line[0] == ":":  # a comment (keep-alives)
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            data.append(value)
        elif field == "event":
            name = value
        # "id" and "retry" mean nothing to a one-shot Messages stream.
    if not data:
        return None
    return name or DEFAULT_EVENT, "\n".join(data)
