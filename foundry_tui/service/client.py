"""The async Foundry client: one pooled httpx connection per endpoint, streaming Messages turns.

`stream_batches()` is an async generator of typed events ending in `Done` or `Failed`, in lists:
one per network read (so a flood costs one async hop per read, not per token), `RetryScheduled`,
`Done` and `Failed` each alone in theirs; `stream()` is the same events one by one. Neither raises
a request error. Cancelling the task that consumes it closes the HTTP stream at once (the
cancellation lands on the pending read).

Nothing the server sends can hold the client: every read waits at most until the idle deadline
(no content, pings aside, for `idle_timeout` seconds), error bodies are read up to a cap, and a
success status without an event stream is reported as what it was.
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing

import httpx

from foundry_tui import __version__
from foundry_tui.config.profile import DEFAULT_IDLE_TIMEOUT
from foundry_tui.safetext import terminal_line
from foundry_tui.service.assembler import MessageAssembler
from foundry_tui.service.auth import Auth
from foundry_tui.service.decoding import ACCEPTED_ENCODINGS, BoundedDecoder, UndecodableBody
from foundry_tui.service.errors import (
    ClientBug,
    ConnectionFailed,
    FoundryError,
    IdleTimeout,
    IncompleteStream,
    RequestTimedOut,
    UnexpectedResponse,
    error_from_response,
    page_text,
)
from foundry_tui.service.events import Done, Failed, ResponseStarted, RetryScheduled, StreamEvent
from foundry_tui.service.messages import ANTHROPIC_VERSION, MessageRequest, Timings, TurnResult, bounded
from foundry_tui.service.retry import RetryPolicy
from foundry_tui.service.tls import tls_context

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=600.0, write=60.0, pool=60.0)
MAX_ERROR_BODY_BYTES = 1024 * 1024  # an error page longer than this is cut: its start says it all
MAX_EXCERPT_BYTES = 64 * 1024  # what is read of a success body that is not an event stream
EXCERPT_CHARS = 120
USER_AGENT = f"foundry-tui/{__version__}"


class FoundryClient:
    def __init__(
        self,
        base_url: str,
        auth: Auth,
        *,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`base_url` ends in `/anthropic/`; `idle_timeout` > 0 seconds; `transport` and `sleep` are for tests."""
        if not 0 < idle_timeout < math.inf:
            raise ValueError(f"idle_timeout must be a positive number of seconds, not {idle_timeout!r}")
        self.base_url = base_url
        self.auth = auth
        self.retry = retry or RetryPolicy()
        self.idle_timeout = idle_timeout
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            transport=transport,
            verify=tls_context(),  # shared: a context per client would reload the CA bundle
            trust_env=True,  # HTTPS_PROXY / NO_PROXY work as users expect
            headers={
                "user-agent": USER_AGENT,
                "anthropic-version": ANTHROPIC_VERSION,
                "content-type": "application/json",
                "accept-encoding": ACCEPTED_ENCODINGS,  # decoded here, in bounded steps
            },
        )

    def with_retry(self, retry: RetryPolicy) -> FoundryClient:
        """The same client (and connection pool) with another retry policy; close only the original."""
        view = copy.copy(self)
        view.retry = retry
        return view

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> FoundryClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def stream(self, request: MessageRequest) -> AsyncGenerator[StreamEvent, None]:
        """The events of `stream_batches()` one by one: for callers that see few of them."""
        async with aclosing(self.stream_batches(request)) as batches:
            async for batch in batches:
                for event in batch:
                    yield event

    async def stream_batches(self, request: MessageRequest) -> AsyncGenerator[list[StreamEvent], None]:
        """Send one Messages request and yield its events, a non-empty list per network read;
        retries what is safe to retry."""
        body = json.dumps(request.to_body(stream=True)).encode()
        result = TurnResult(deployment=request.model)
        refreshed_auth = False
        retries = 0
        while True:
            result.attempts += 1
            result.timings = Timings()  # timings describe the attempt that answered
            started = time.perf_counter()
            outcome = _Attempt(result, started)
            try:
                # aclosing: closing this generator closes the HTTP response now, not at GC time
                async with aclosing(self._attempt(body, outcome)) as batches:
                    async for batch in batches:
                        yield batch
            except FoundryError as exc:
                outcome.error = exc
            except Exception as exc:  # a bug must end the turn, not leave it "streaming" forever
                outcome.error = ClientBug(
                    f"unexpected {type(exc).__name__}: {exc}",
                    status=result.status,
                    request_id=result.request_id,
                    apim_request_id=result.apim_request_id,
                )
                outcome.streaming = True  # never retried
            error = outcome.error
            if error is None:
                yield [Done(result)]
                return
            if result.timings.total is None:
                result.timings.total = time.perf_counter() - started
            if outcome.streaming:  # a 200 is never retried: content may already be on screen
                yield [Failed(error, result)]
                return
            if error.status == 401 and self.auth.can_refresh and not refreshed_auth:
                refreshed_auth = True
                self.auth.invalidate()
                yield [RetryScheduled(result.attempts + 1, 0.0, "401, refreshing the Entra token", error)]
                continue
            if retries >= self.retry.max_retries or not self._may_retry(error, outcome.headers):
                yield [Failed(error, result)]
                return
            delay = self.retry.delay(retries, outcome.headers)
            retries += 1
            yield [RetryScheduled(result.attempts + 1, delay, retry_reason(error), error)]
            await self._sleep(delay)

    def _may_retry(self, error: FoundryError, headers: httpx.Headers | None) -> bool:
        if isinstance(error, (ConnectionFailed, RequestTimedOut)) and error.status is None:
            return self.retry.should_retry(None, headers)
        return error.status is not None and self.retry.should_retry(error.status, headers)

    async def _attempt(self, body: bytes, outcome: _Attempt) -> AsyncGenerator[list[StreamEvent], None]:
        result = outcome.result
        headers = await self.auth.headers()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.idle_timeout  # silence before the headers counts too
        try:
            http_request = self._http.build_request("POST", "v1/messages", content=body, headers=headers)
            async with asyncio.timeout_at(deadline):
                response = await self._http.send(http_request, stream=True)
            try:
                outcome.headers = response.headers
                result.status = response.status_code
                result.request_id = _header(response, "request-id")
                result.apim_request_id = _header(response, "apim-request-id")
                result.timings.headers = time.perf_counter() - outcome.started
                if response.status_code >= 400:
                    async with asyncio.timeout_at(deadline):
                        error_body = await read_capped(response, MAX_ERROR_BODY_BYTES)
                    raise error_from_response(response.status_code, response.headers, error_body)
                if not is_event_stream(response):
                    async with asyncio.timeout_at(deadline):
                        excerpt_body = await read_capped(response, MAX_EXCERPT_BYTES)
                    raise unexpected_response(response, excerpt_body, result)
                outcome.streaming = True
                yield [ResponseStarted(response.status_code, result.request_id, result.apim_request_id)]
                assembler = MessageAssembler(result, outcome.started)
                try:
                    reads, decoder = raw_body(response)
                    with IdleWatch(self.idle_timeout) as watch:
                        while (read := await watch.read(reads)) is not None:
                            for piece in decoder.pieces(read):  # a bomb stops at the SSE event cap
                                if batch := assembler.feed(piece):
                                    yield batch
                                if assembler.error is not None:
                                    raise assembler.error  # after the text that came before it
                            if assembler.saw_content:
                                assembler.saw_content = False
                                watch.content_arrived()
                except httpx.TransportError:
                    pass  # a cut connection: reported below as incomplete, with the content kept
                except UndecodableBody as exc:
                    result.warnings.append(f"the body stopped decoding: {exc}")  # then incomplete, as a cut
                except TimeoutError:
                    assembler.finalize()
                    raise self._idle_timeout(result) from None
                except Exception:
                    assembler.finalize()  # keep the partial content whatever ended the turn
                    raise
                if batch := assembler.close():
                    yield batch
                if assembler.error is not None:
                    raise assembler.error
                if not assembler.finished:
                    raise IncompleteStream(
                        "the reply stopped before the end (no message_stop)",
                        status=result.status,
                        request_id=result.request_id,
                        apim_request_id=result.apim_request_id,
                    )
            finally:
                await response.aclose()
        except TimeoutError:  # the idle deadline, before any content
            raise self._idle_timeout(result) from None
        except httpx.TimeoutException as exc:
            raise RequestTimedOut(f"{type(exc).__name__} talking to {self._http.base_url.host}") from None
        except httpx.TransportError as exc:
            raise ConnectionFailed(connection_message(self._http.base_url.host, exc)) from None

    def _idle_timeout(self, result: TurnResult) -> IdleTimeout:
        return IdleTimeout(
            f"no content from {self._http.base_url.host} for {self.idle_timeout:g} s",
            status=result.status,
            request_id=result.request_id,
            apim_request_id=result.apim_request_id,
        )


class IdleWatch:
    """Fails a read once no content arrived for `limit` seconds, at one timer per stream, not per read.

    Only a read is ever cancelled, never the consumer's own awaits between reads: if the deadline
    passes while the consumer holds the stream, the next read gets what time is left (none), so
    content already buffered is still read first.
    """

    def __init__(self, limit: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._limit = limit
        self._deadline = self._loop.time() + limit
        self._reading = False
        self._expired = False
        self._timer = self._loop.call_at(self._deadline, self._check)

    def __enter__(self) -> IdleWatch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def content_arrived(self) -> None:
        self._deadline = self._loop.time() + self._limit  # the timer moves when it fires: no churn here

    async def read(self, reads: AsyncIterator[bytes]) -> bytes | None:
        """The next read, or None at the end; raises TimeoutError at the idle deadline."""
        self._reading = True
        try:
            return await anext(reads, None)
        except asyncio.CancelledError:
            if self._expired and self._task is not None and self._task.uncancel() == 0:
                raise TimeoutError from None  # our cancel, and no one else's
            raise
        finally:
            self._reading = False

    def _check(self) -> None:
        now = self._loop.time()
        if now < self._deadline:
            self._timer = self._loop.call_at(self._deadline, self._check)
        elif not self._reading:
            self._timer = self._loop.call_at(now + 0.01, self._check)  # the consumer holds the stream
        elif self._task is not None:
            self._expired = True
            self._task.cancel()


class _Attempt:
    """What one attempt learned, for the retry decision."""

    __slots__ = ("result", "started", "headers", "streaming", "error")

    def __init__(self, result: TurnResult, started: float) -> None:
        self.result = result
        self.started = started
        self.headers: httpx.Headers | None = None
        self.streaming = False
        self.error: FoundryError | None = None


def _header(response: httpx.Response, name: str) -> str | None:
    value = response.headers.get(name)
    return bounded(value) if value else None


def is_event_stream(response: httpx.Response) -> bool:
    media_type: str = response.headers.get("content-type", "").partition(";")[0]
    return media_type.strip().lower() == "text/event-stream"


def raw_body(response: httpx.Response) -> tuple[AsyncIterator[bytes], BoundedDecoder]:
    """The body's reads as sent, and the decoder for them (a body read already is decoded already)."""
    if response.is_stream_consumed:  # built with content= (tests, recorded replies)
        return _one_read(response.content), BoundedDecoder(None)
    return response.aiter_raw(), BoundedDecoder(response.headers.get("content-encoding"))


async def _one_read(content: bytes) -> AsyncIterator[bytes]:
    yield content


async def read_capped(response: httpx.Response, limit: int) -> bytes:
    """The body's first `limit` decoded bytes; the rest is never read nor inflated (the caller closes it)."""
    parts: list[bytes] = []
    size = 0
    try:
        reads, decoder = raw_body(response)
        async for read in reads:
            for piece in decoder.pieces(read):
                parts.append(piece[: limit - size])
                size += len(parts[-1])
                if size >= limit:
                    return b"".join(parts)
    except UndecodableBody:
        pass  # an odd or broken encoding: what decoded so far is all there is to show
    return b"".join(parts)


def unexpected_response(response: httpx.Response, body: bytes, result: TurnResult) -> UnexpectedResponse:
    """A 2xx or 3xx that is not an event stream: its status, content type and a short, safe excerpt."""
    content_type = terminal_line(response.headers.get("content-type", "")) or "no content type"
    excerpt = terminal_line(page_text(body, content_type) or "")[:EXCERPT_CHARS] or "empty body"
    return UnexpectedResponse(
        f"{bounded(content_type, 60)} instead of an event stream: {excerpt}",
        status=response.status_code,
        request_id=result.request_id,
        apim_request_id=result.apim_request_id,
    )


def retry_reason(error: FoundryError) -> str:
    return f"{error.status} {error.kind.replace('_', ' ')}" if error.status else error.kind


def connection_message(host: str, exc: Exception) -> str:
    """Name the likely cause: an unknown host is almost always a wrong resource name."""
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "getaddrinfo" in lowered:
        return f"cannot resolve {host}: is the resource name right?"
    if "connection refused" in lowered or "connect call failed" in lowered:
        return f"connection refused by {host}"
    return f"cannot connect to {host}: {text}"
