"""Incremental server-sent events decoder, tuned for the streaming hot path.

It accepts LF, CRLF and lone CR line ends, comments and multi-line `data:` fields (per the WHATWG
spec). It returns each complete event's lines, LF-ended, and `parse_event` turns them into
`(event_name, data)`: the assembler reads a text delta in its standard form straight from its
lines. Each read is decoded from UTF-8 once, up to its last complete event, so a character split
across reads is never cut, and `json.loads` gets `str` (for bytes it would sniff the encoding and
decode again, per event).

An unfinished event is held as a list of reads and joined only when a read may end it, so a long
line costs linear time, not a copy of everything held per read. An event over `MAX_EVENT_BYTES`
(a hostile or broken server, a decompression bomb) is dropped and sets `overflowed`: the events
before it are still returned, and nothing after it is decoded.
"""

from __future__ import annotations

DEFAULT_EVENT = "message"
MAX_EVENT_BYTES = 4 * 1024 * 1024  # real events are a few hundred bytes; big tool inputs stay far below


class SSEDecoder:
    __slots__ = ("_held", "_held_bytes", "max_event_bytes", "overflowed", "surrogate_escapes")

    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self._held: list[bytes] = []  # the reads of the unfinished event, in order
        self._held_bytes = 0
        self.max_event_bytes = max_event_bytes
        self.overflowed = False  # an event outgrew the limit: the stream is refused from there on
        # The events last returned may hold a JSON escape of a lone UTF-16 surrogate ("\ud800"),
        # which is not Unicode text: one scan of the read, so the rare read that has one is checked.
        self.surrogate_escapes = False

    def feed(self, chunk: bytes) -> list[str]:
        """Decode one read; returns the text of every event it completes, its lines ended by LF."""
        if self.overflowed:
            return []
        if self._held:
            if not _may_end_event(chunk, self._held[-1]):
                self._hold(chunk)
                return []
            buffer = b"".join((*self._held, chunk))
            self._held.clear()
            self._held_bytes = 0
        else:
            buffer = chunk
        if b"\r" in buffer:
            # A CR at the very end may be the first half of a CRLF: keep it for the next read.
            tail = b"\r" if buffer.endswith(b"\r") else b""
            buffer = buffer[: len(buffer) - len(tail)].replace(b"\r\n", b"\n").replace(b"\r", b"\n") + tail
        end = buffer.rfind(b"\n\n")  # an event ends at a blank line
        if end < 0:
            self._hold(buffer)
            return []
        if end + 2 < len(buffer):
            self._hold(buffer[end + 2 :])
        text = buffer[:end].decode("utf-8", "replace")
        self.surrogate_escapes = "\\ud" in text or "\\uD" in text
        blocks = text.split("\n\n")
        if end > self.max_event_bytes:
            blocks = self._within_limit(blocks)
        return blocks

    def close(self) -> str:
        """End of stream: the text of a last event not followed by a blank line ("" for none)."""
        block = b"".join(self._held).rstrip(b"\r\n").decode("utf-8", "replace")
        self.surrogate_escapes = "\\ud" in block or "\\uD" in block
        self._drop()
        return block

    def _hold(self, data: bytes) -> None:
        self._held.append(data)
        self._held_bytes += len(data)
        if self._held_bytes > self.max_event_bytes:
            self._overflow()

    def _within_limit(self, blocks: list[str]) -> list[str]:
        """The blocks before the first oversized one (a read of many small events passes whole)."""
        for position, block in enumerate(blocks):
            if len(block) > self.max_event_bytes:
                self._overflow()
                return blocks[:position]
        return blocks

    def _overflow(self) -> None:
        self._drop()
        self.overflowed = True

    def _drop(self) -> None:
        self._held.clear()
        self._held_bytes = 0


def _may_end_event(chunk: bytes, last_held: bytes) -> bool:
    """Whether `chunk` can complete a blank line, alone or with the end of the previous read."""
    if b"\n\n" in chunk or b"\r" in chunk:
        return True
    return chunk[:1] == b"\n" and last_held[-1:] in (b"\n", b"\r")


def parse_event(block: str) -> tuple[str, str] | None:
    """`parse_block`, with a shortcut for the shape nearly every event has, "event: NAME\ndata: JSON":
    one partition, worth it at once per token."""
    if block.startswith("event: "):
        head, found, data = block.partition("\ndata: ")
        if found and "\n" not in head and "\n" not in data:
            return head[7:], data
    return parse_block(block)


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
