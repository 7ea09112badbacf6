"""Content-Encoding decoding in bounded steps, so no compressed body can cost unbounded memory or time.

httpx inflates each network read whole: 64 KB of a gzip bomb becomes 64 MB in one step that
blocks the event loop. Here each step yields at most `STEP_BYTES`, and the caller stops asking
as soon as it has seen enough (an SSE event over its cap, an error body's first megabyte).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

STEP_BYTES = 256 * 1024
ACCEPTED_ENCODINGS = "gzip, deflate"  # what the client asks for: the encodings decoded here


class UndecodableBody(ValueError):
    """A body in an encoding this client did not ask for, or corrupt compressed data."""


class BoundedDecoder:
    """Decodes one response body read by read, in pieces of at most `step` bytes."""

    def __init__(self, content_encoding: str | None, *, step: int = STEP_BYTES) -> None:
        encoding = (content_encoding or "identity").strip().lower()
        self._step = step
        self._inflater: zlib._Decompress | None
        if encoding in ("identity", ""):
            self._inflater = None
        elif encoding in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._inflater = zlib.decompressobj()  # zlib-wrapped, as the RFC says
        else:
            raise UndecodableBody(f"a body in content-encoding {encoding[:40]!r}, which was not asked for")

    def pieces(self, data: bytes) -> Iterable[bytes]:
        """The decoded bytes of one read, `step` at a time; stop iterating to stop inflating."""
        if self._inflater is None:
            return (data,)  # the common case, without a generator per read
        return self._inflate(self._inflater, data)

    def _inflate(self, inflater: zlib._Decompress, data: bytes) -> Iterator[bytes]:
        try:
            piece = inflater.decompress(data, self._step)
            while True:
                if piece:
                    yield piece
                if not inflater.unconsumed_tail:
                    return
                piece = inflater.decompress(inflater.unconsumed_tail, self._step)
        except zlib.error as exc:
            raise UndecodableBody(f"corrupt compressed data ({exc})") from None
