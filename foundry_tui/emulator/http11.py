"""Just enough HTTP/1.1 for a loopback server.

One request at a time per connection, `Content-Length` request bodies, responses framed by
`Content-Length` or `Transfer-Encoding: chunked`, keep-alive unless the client asks to close.
Hand-rolled so the emulator needs nothing beyond the standard library.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus

_REASONS_MISSING_FROM_HTTPSTATUS = {529: "Site Overloaded"}


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str  # without the query string
    version: str
    headers: Mapping[str, str]  # names lower-cased
    body: bytes

    @property
    def wants_close(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        return connection == "close" or (self.version == "HTTP/1.0" and connection != "keep-alive")


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


def json_response(status: int, payload: object, headers: Mapping[str, str] | None = None) -> Response:
    return Response(status, json.dumps(payload, ensure_ascii=False).encode(), headers=dict(headers or {}))


class BadFraming(Exception):
    """The bytes on the wire are not a request we can answer; reply with `status` and close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_request(reader: asyncio.StreamReader, max_body_bytes: int) -> Request | None:
    """The next request on the connection, or None when the client closed it between requests."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise BadFraming(400, "incomplete request head") from None
        return None
    except asyncio.LimitOverrunError:
        raise BadFraming(431, "request headers are too large") from None
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = request_line.split(" ")
    if len(parts) != 3:
        raise BadFraming(400, f"malformed request line: {request_line!r}")
    method, target, version = parts
    headers = _parse_headers(header_lines)
    body = await reader.readexactly(_content_length(headers, max_body_bytes))
    return Request(method, target.partition("?")[0], version, headers, body)


def _parse_headers(lines: Iterable[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in filter(None, lines):
        name, colon, value = line.partition(":")
        if not colon:
            raise BadFraming(400, f"malformed header line: {line!r}")
        name, value = name.strip().lower(), value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _content_length(headers: Mapping[str, str], max_body_bytes: int) -> int:
    if "transfer-encoding" in headers:
        raise BadFraming(411, "chunked request bodies are not supported; send Content-Length")
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError:
        raise BadFraming(400, "invalid Content-Length") from None
    if length < 0:
        raise BadFraming(400, "invalid Content-Length")
    if length > max_body_bytes:
        raise BadFraming(413, "Request exceeds the maximum allowed number of bytes.")
    return length


class Connection:
    """The response side of one client connection."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def send(self, response: Response, headers: Mapping[str, str], *, close: bool) -> None:
        head = _head(
            response.status,
            {
                "content-type": response.content_type,
                "content-length": str(len(response.body)),
                **response.headers,
                **headers,
            },
            close,
        )
        self._writer.writelines((head, response.body))  # no copy of a big body
        await self._writer.drain()

    async def start_chunked(self, status: int, headers: Mapping[str, str], *, close: bool) -> None:
        self._writer.write(_head(status, {**headers, "transfer-encoding": "chunked"}, close))
        await self._writer.drain()

    async def write_chunk(self, data: bytes) -> None:
        self._writer.writelines((b"%x\r\n" % len(data), data, b"\r\n"))
        await self._writer.drain()

    async def finish_chunked(self) -> None:
        self._writer.write(b"0\r\n\r\n")
        await self._writer.drain()

    def abort(self) -> None:
        """Drop the connection at once: unsent data is discarded and the client sees a reset."""
        self._writer.transport.abort()

    def close(self) -> None:
        self._writer.close()


def _head(status: int, headers: Mapping[str, str], close: bool) -> bytes:
    lines = [f"HTTP/1.1 {status} {_reason(status)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"connection: {'close' if close else 'keep-alive'}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _REASONS_MISSING_FROM_HTTPSTATUS.get(status, "")
