"""The async Foundry client: one pooled httpx connection per endpoint, streaming Messages turns.

`stream()` is an async generator of typed events ending in `Done` or `Failed`; it never raises a
request error. Cancelling the task that consumes it closes the HTTP stream at once (the
cancellation lands on the pending read inside `async with http.stream(...)`).
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing

import httpx

from foundry_tui import __version__
from foundry_tui.service.assembler import MessageAssembler
from foundry_tui.service.auth import Auth
from foundry_tui.service.errors import (
    ConnectionFailed,
    FoundryError,
    IncompleteStream,
    RequestTimedOut,
    error_from_response,
)
from foundry_tui.service.events import Done, Failed, ResponseStarted, RetryScheduled, StreamEvent
from foundry_tui.service.messages import ANTHROPIC_VERSION, MessageRequest, Timings, TurnResult
from foundry_tui.service.retry import RetryPolicy

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=600.0, write=60.0, pool=60.0)
USER_AGENT = f"foundry-tui/{__version__}"


class FoundryClient:
    def __init__(
        self,
        base_url: str,
        auth: Auth,
        *,
        retry: RetryPolicy = RetryPolicy(),
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`base_url` ends in `/anthropic/`; `transport` and `sleep` are for tests."""
        self.base_url = base_url
        self.auth = auth
        self.retry = retry
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            transport=transport,
            trust_env=True,  # HTTPS_PROXY / NO_PROXY work as users expect
            headers={
                "user-agent": USER_AGENT,
                "anthropic-version": ANTHROPIC_VERSION,
                "content-type": "application/json",
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

    async def stream(self, request: MessageRequest) -> AsyncIterator[StreamEvent]:
        """Send one Messages request and yield its events; retries what is safe to retry."""
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
                    async for batch in batches:  # one batch per network read: one async hop per read
                        for event in batch:
                            yield event
            except FoundryError as error:
                outcome.error = error
            if outcome.error is None:
                yield Done(result)
                return
            error = outcome.error
            if result.timings.total is None:
                result.timings.total = time.perf_counter() - started
            if outcome.streaming:  # a 200 is never retried: content may already be on screen
                yield Failed(error, result)
                return
            if error.status == 401 and self.auth.can_refresh and not refreshed_auth:
                refreshed_auth = True
                self.auth.invalidate()
                yield RetryScheduled(result.attempts + 1, 0.0, "401, refreshing the Entra token", error)
                continue
            if retries >= self.retry.max_retries or not self._may_retry(error, outcome.headers):
                yield Failed(error, result)
                return
            delay = self.retry.delay(retries, outcome.headers)
            retries += 1
            yield RetryScheduled(result.attempts + 1, delay, retry_reason(error), error)
            await self._sleep(delay)

    def _may_retry(self, error: FoundryError, headers: httpx.Headers | None) -> bool:
        if isinstance(error, (ConnectionFailed, RequestTimedOut)) and error.status is None:
            return self.retry.should_retry(None, headers)
        return error.status is not None and self.retry.should_retry(error.status, headers)

    async def _attempt(self, body: bytes, outcome: _Attempt) -> AsyncIterator[list[StreamEvent]]:
        result = outcome.result
        headers = await self.auth.headers()
        try:
            async with self._http.stream("POST", "v1/messages", content=body, headers=headers) as response:
                outcome.headers = response.headers
                result.status = response.status_code
                result.request_id = response.headers.get("request-id")
                result.apim_request_id = response.headers.get("apim-request-id")
                result.timings.headers = time.perf_counter() - outcome.started
                if response.status_code >= 400:
                    raise error_from_response(response.status_code, response.headers, await response.aread())
                outcome.streaming = True
                yield [ResponseStarted(response.status_code, result.request_id, result.apim_request_id)]
                assembler = MessageAssembler(result, outcome.started)
                try:
                    async for chunk in response.aiter_bytes():  # decodes gzip: httpx asks for it
                        yield assembler.feed(chunk)
                        if assembler.error is not None:
                            raise assembler.error  # after the text that came before it
                except (httpx.TransportError, httpx.DecodingError):
                    pass  # a cut connection: reported below as incomplete, with the content kept
                yield assembler.close()
                if assembler.error is not None:
                    raise assembler.error
                if not assembler.finished:
                    raise IncompleteStream(
                        "the reply stopped before the end (no message_stop)",
                        status=result.status,
                        request_id=result.request_id,
                        apim_request_id=result.apim_request_id,
                    )
        except httpx.TimeoutException as exc:
            raise RequestTimedOut(f"{type(exc).__name__} talking to {self._http.base_url.host}") from None
        except httpx.TransportError as exc:
            raise ConnectionFailed(connection_message(self._http.base_url.host, exc)) from None


class _Attempt:
    """What one attempt learned, for the retry decision."""

    __slots__ = ("result", "started", "headers", "streaming", "error")

    def __init__(self, result: TurnResult, started: float) -> None:
        self.result = result
        self.started = started
        self.headers: httpx.Headers | None = None
        self.streaming = False
        self.error: FoundryError | None = None


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
