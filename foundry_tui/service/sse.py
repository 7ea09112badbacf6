"""Incremental server-sent events decoder, tuned for the streaming hot path.

It works on raw bytes so a UTF-8 character split across reads is never decoded half-way, and it
accepts LF, CRLF and lone CR line ends, comments and multi-line `data:` fields (per the WHATWG
spec). It yields `(event_name, data)` pairs; `data` stays bytes because `json.loads` takes bytes.
"""

from __future__ import annotations

from collections.abc import Iterator

DEFAULT_EVENT = "message"


class SSEDecoder:
    __slots__ = ("_buffer", "_event", "_data")

    def __init__(self) -> None:
        self._buffer = b""
        self._event: bytes | None = None
        self._data: list[bytes] = []

    def feed(self, chunk: bytes) -> Iterator[tuple[str, bytes]]:
        """Decode one read; yields every event it completes."""
        buffer = self._buffer + chunk if self._buffer else chunk
        if b"\r" in buffer:
            # A CR at the very end may be the first half of a CRLF: keep it for the next read.
            tail = b"\r" if buffer.endswith(b"\r") else b""
            buffer = buffer[: len(buffer) - len(tail)].replace(b"\r\n", b"\n").replace(b"\r", b"\n") + tail
        lines = buffer.split(b"\n")
        self._buffer = lines.pop()
        for line in lines:
            if line:
                self._field(line)
            elif self._data:
                yield self._dispatch()
            else:
                self._event = None

    def close(self) -> Iterator[tuple[str, bytes]]:
        """End of stream: a last event not followed by a blank line is still delivered."""
        line = self._buffer.rstrip(b"\r")
        self._buffer = b""
        if line:
            self._field(line)
        if self._data:
            yield self._dispatch()

    def _field(self, line: bytes) -> None:
        if line.startswith(b"data: "):
            self._data.append(line[6:])
        elif line.startswith(b"event: "):
            self._event = line[7:]
        elif line[0] == 58:  # ":" starts a comment (keep-alives)
            return
        else:
            name, _, value = line.partition(b":")
            if value.startswith(b" "):
                value = value[1:]
            if name == b"data":
                self._data.append(value)
            elif name == b"event":
                self._event = value
            # "id" and "retry" mean nothing to a one-shot Messages stream.

    def _dispatch(self) -> tuple[str, bytes]:
        data = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
        event = self._event.decode("utf-8", "replace") if self._event else DEFAULT_EVENT
        self._data = []
        self._event = None
        return event, data
