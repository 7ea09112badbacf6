"""FoundryClient.stream (and check.py on top of it) against httpx.MockTransport: no network, no sleeping."""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from helpers import Clock, FakeCredential, split_every, sse_event, text_turn

from foundry_tui import __version__
from foundry_tui.service import errors
from foundry_tui.service.auth import ApiKeyAuth, Auth, EntraAuth
from foundry_tui.service.check import check_all, check_deployment
from foundry_tui.service.client import FoundryClient
from foundry_tui.service.errors import FoundryError
from foundry_tui.service.events import Done, Failed, ResponseStarted, RetryScheduled, StreamEvent, TextDelta
from foundry_tui.service.messages import MessageRequest
from foundry_tui.service.retry import RetryPolicy

BASE = "http://h/anthropic/"
REQUEST = MessageRequest(model="my-deployment", messages=[{"role": "user", "content": "hi"}], max_tokens=64)
IDS = {"request-id": "req_123", "apim-request-id": "apim-456"}

Answer = Callable[[httpx.Request], "httpx.Response | Awaitable[httpx.Response]"] | Exception


class Body(httpx.AsyncByteStream):
    """A response body arriving in reads; with `stall_before`, the read of that chunk never comes."""

    def __init__(self, chunks: list[bytes], *, stall_before: int | None = None, cut: Exception | None = None) -> None:
        self.chunks = chunks
        self.stall_before = stall_before
        self.cut = cut
        self.finished = False  # the iterator's finally ran
        self.closed = False  # httpx closed the response stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            for i, chunk in enumerate(self.chunks):
                if i == self.stall_before:
                    await asyncio.Event().wait()
                yield chunk
            if self.cut is not None:
                raise self.cut
        finally:
            self.finished = True

    async def aclose(self) -> None:
        self.closed = True


def sse_response(body: bytes | Body, status: int = 200, **headers: str) -> httpx.Response:
    stream = body if isinstance(body, Body) else Body(split_every(body, 37))
    return httpx.Response(status, headers={"content-type": "text/event-stream", **IDS, **headers}, stream=stream)


def ok(*parts: str, **headers: str) -> Answer:
    return lambda request: sse_response(text_turn(*(parts or ("ok",))), **headers)


def fail(status: int, error_type: str = "api_error", **headers: str) -> Answer:
    body = {"type": "error", "error": {"type": error_type, "message": f"status {status}"}}
    return lambda request: httpx.Response(status, headers={**IDS, **headers}, json=body)


class Server:
    """The MockTransport handler: answers in the order given (the last one repeats) and keeps the requests."""

    def __init__(self, answers: tuple[Answer, ...]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        response = answer(request)
        return await response if asyncio.iscoroutine(response) else response  # type: ignore[return-value]


class Rig:
    def __init__(self, answers: tuple[Answer, ...], auth: Auth, retry: RetryPolicy, base: str) -> None:
        self.server = Server(answers)
        self.delays: list[float] = []
        self.client = FoundryClient(base, auth, retry=retry, transport=httpx.MockTransport(self.server), sleep=self._sleep)

    async def _sleep(self, delay: float) -> None:
        self.delays.append(delay)

    async def run(self, request: MessageRequest = REQUEST) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        async with asyncio.timeout(2):  # a retry loop gone wrong fails instead of hanging
            async for event in self.client.stream(request):
                events.append(event)
                assert len(events) < 100, "runaway stream"
        assert isinstance(events[-1], (Done, Failed)) and not any(isinstance(e, (Done, Failed)) for e in events[:-1])
        return events


@pytest.fixture
async def rig() -> AsyncIterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def make(*answers: Answer, auth: Auth | None = None, retry: RetryPolicy | None = None, base: str = BASE) -> Rig:
        made.append(Rig(answers, auth or ApiKeyAuth("secret-key"), retry or RetryPolicy(), base))
        return made[-1]

    yield make
    for each in made:
        await each.client.aclose()


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "random", lambda: 0.0)


def of_type(events: list[StreamEvent], kind: type) -> list[Any]:
    return [event for event in events if isinstance(event, kind)]


def failure(events: list[StreamEvent], cls: type[FoundryError]) -> Failed:
    last = events[-1]
    assert isinstance(last, Failed), last
    assert type(last.error) is cls, last.error
    assert last.error.hint and "\n" not in last.error.message
    return last


# ---------------------------------------------------------------------------------------------
# Success


async def test_successful_stream(rig: Callable[..., Rig]) -> None:
    setup = rig(ok("Hel", "lo ", "wörld"))
    events = await setup.run()
    assert events[0] == ResponseStarted(200, "req_123", "apim-456")
    assert [e.text for e in of_type(events, TextDelta)] == ["Hel", "lo ", "wörld"]
    done = events[-1]
    assert isinstance(done, Done)
    result = done.result
    assert (result.text, result.status, result.attempts, result.stop_reason) == ("Hello wörld", 200, 1, "end_turn")
    assert (result.request_id, result.apim_request_id, result.deployment) == ("req_123", "apim-456", "my-deployment")
    assert (result.usage.input_tokens, result.usage.output_tokens) == (7, 3)
    timings = result.timings
    assert timings.headers is not None and timings.first_token is not None and timings.total is not None
    assert 0 <= timings.headers <= timings.first_token <= timings.total
    assert len(setup.server.requests) == 1 and setup.delays == []


@pytest.mark.parametrize("base", ["http://h/anthropic/", "http://h/anthropic"])
async def test_request_shape(rig: Callable[..., Rig], base: str) -> None:
    setup = rig(ok(), base=base)
    await setup.run()
    [request] = setup.server.requests
    assert request.method == "POST"
    assert str(request.url) == "http://h/anthropic/v1/messages"
    headers = request.headers
    assert headers["api-key"] == headers["x-api-key"] == "secret-key"
    assert headers["anthropic-version"] == "2023-06-01"
    assert headers["user-agent"] == f"foundry-tui/{__version__}"
    assert headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "model": "my-deployment", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}], "stream": True,
    }


async def test_gzip_encoded_stream_is_decoded(rig: Callable[..., Rig]) -> None:
    """httpx sends Accept-Encoding: gzip, so a proxy may compress the event stream."""
    compressed = gzip.compress(text_turn("zipped ", "reply"))
    setup = rig(lambda request: sse_response(Body(split_every(compressed, 16)), **{"content-encoding": "gzip"}))
    events = await setup.run()
    assert isinstance(events[-1], Done)
    assert events[-1].result.text == "zipped reply"


# ---------------------------------------------------------------------------------------------
# Retries


async def test_429_then_200_waits_as_the_server_says(rig: Callable[..., Rig]) -> None:
    setup = rig(fail(429, "rate_limit_error", **{"retry-after-ms": "1500"}), ok("fine"))
    events = await setup.run()
    [retry] = of_type(events, RetryScheduled)
    assert events[0] is retry
    assert (retry.attempt, retry.delay) == (2, 1.5)
    assert "429" in retry.reason
    assert isinstance(retry.error, errors.RateLimitError)
    assert setup.delays == [1.5]
    assert isinstance(events[-1], Done)
    assert events[-1].result.attempts == 2 and events[-1].result.text == "fine"


@pytest.mark.usefixtures("no_jitter")
@pytest.mark.parametrize(
    ("status", "cls"),
    [(529, errors.OverloadedError), (500, errors.ServerError), (503, errors.ServerError), (408, errors.RequestTimedOut)],
)
async def test_server_side_failures_are_retried(rig: Callable[..., Rig], status: int, cls: type[FoundryError]) -> None:
    setup = rig(fail(status), ok())
    events = await setup.run()
    [retry] = of_type(events, RetryScheduled)
    assert type(retry.error) is cls and str(status) in retry.reason
    assert setup.delays == [0.5]
    assert isinstance(events[-1], Done) and events[-1].result.attempts == 2


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (413, errors.BadRequestError),
    ],
)
async def test_client_errors_are_not_retried(rig: Callable[..., Rig], status: int, cls: type[FoundryError]) -> None:
    setup = rig(fail(status), ok())
    events = await setup.run()
    assert len(events) == 1 and len(setup.server.requests) == 1
    failed = failure(events, cls)
    assert failed.error.status == failed.result.status == status
    assert (failed.error.request_id, failed.error.apim_request_id) == ("req_123", "apim-456")
    assert failed.result.attempts == 1 and failed.result.timings.total is not None


@pytest.mark.usefixtures("no_jitter")
async def test_gives_up_after_max_retries(rig: Callable[..., Rig]) -> None:
    setup = rig(fail(500), retry=RetryPolicy(max_retries=3))
    events = await setup.run()
    assert [e.attempt for e in of_type(events, RetryScheduled)] == [2, 3, 4]
    assert setup.delays == [0.5, 1.0, 2.0]
    assert len(setup.server.requests) == 4
    assert failure(events, errors.ServerError).result.attempts == 4


async def test_x_should_retry_header_decides(rig: Callable[..., Rig]) -> None:
    assert len(await rig(fail(500, **{"x-should-retry": "false"}), ok()).run()) == 1
    events = await rig(fail(400, **{"x-should-retry": "true"}), ok()).run()
    assert isinstance(events[-1], Done) and events[-1].result.attempts == 2


async def test_with_retry_shares_the_connection_but_not_the_policy(rig: Callable[..., Rig]) -> None:
    setup = rig(fail(500))
    no_retries = setup.client.with_retry(RetryPolicy(max_retries=0))
    assert len([event async for event in no_retries.stream(REQUEST)]) == 1
    assert len(setup.server.requests) == 1
    assert setup.client.retry == RetryPolicy()  # the original keeps its own
    assert len(await setup.run()) == 3
    assert len(setup.server.requests) == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[Errno -2] Name or service not known", "cannot resolve h: is the resource name right?"),
        ("[Errno 111] Connection refused", "connection refused by h"),
        ("", "cannot connect to h: ConnectError"),
    ],
)
async def test_connection_errors_are_retried_then_reported(rig: Callable[..., Rig], text: str, message: str) -> None:
    setup = rig(httpx.ConnectError(text))
    events = await setup.run()
    assert len(of_type(events, RetryScheduled)) == 2 and len(setup.delays) == 2
    failed = failure(events, errors.ConnectionFailed)
    assert failed.error.message == message
    assert failed.error.status is None and failed.result.attempts == 3
    assert failed.result.timings.headers is None


async def test_connection_error_then_success(rig: Callable[..., Rig]) -> None:
    events = await rig(httpx.ConnectError("reset"), ok("back")).run()
    assert of_type(events, RetryScheduled)[0].reason == "connection"
    assert isinstance(events[-1], Done) and events[-1].result.text == "back"


@pytest.mark.parametrize("exc", [httpx.ReadTimeout("timed out"), httpx.ConnectTimeout("timed out"), httpx.PoolTimeout("t")])
async def test_timeout(rig: Callable[..., Rig], exc: Exception) -> None:
    events = await rig(exc, retry=RetryPolicy(max_retries=0)).run()
    failed = failure(events, errors.RequestTimedOut)
    assert failed.error.message == f"{type(exc).__name__} talking to h"


async def test_timeout_is_retried(rig: Callable[..., Rig]) -> None:
    events = await rig(httpx.ReadTimeout("timed out"), ok()).run()
    assert of_type(events, RetryScheduled)[0].reason == "timeout"
    assert isinstance(events[-1], Done)


async def test_timings_describe_the_attempt_that_answered(rig: Callable[..., Rig]) -> None:
    async def slow_429(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.02)
        return fail(429)(request)  # type: ignore[return-value, operator]

    events = await rig(httpx.ConnectError("reset"), slow_429, retry=RetryPolicy(max_retries=1)).run()
    timings = failure(events, errors.RateLimitError).result.timings
    assert timings.headers is not None and timings.total is not None
    assert 0.02 <= timings.headers <= timings.total


# ---------------------------------------------------------------------------------------------
# Failures after HTTP 200: never retried, the partial reply is kept


async def test_stream_without_message_stop_is_incomplete(rig: Callable[..., Rig]) -> None:
    setup = rig(lambda request: sse_response(text_turn("Par", "tial", stop=False), **{"x-should-retry": "true"}), ok())
    events = await setup.run()
    failed = failure(events, errors.IncompleteStream)
    assert failed.result.text == "Partial"
    assert (failed.error.status, failed.error.request_id) == (200, "req_123")
    assert len(setup.server.requests) == 1 and not of_type(events, RetryScheduled)


async def test_connection_cut_mid_stream_is_incomplete(rig: Callable[..., Rig]) -> None:
    body = Body([text_turn("Half", " way", stop=False)], cut=httpx.RemoteProtocolError("peer closed connection"))
    setup = rig(lambda request: sse_response(body))
    failed = failure(await setup.run(), errors.IncompleteStream)
    assert failed.result.text == "Half way"
    assert len(setup.server.requests) == 1


async def test_error_event_after_200_fails_with_partial_content_and_no_retry(rig: Callable[..., Rig]) -> None:
    error_event = sse_event("error", error={"type": "overloaded_error", "message": "Overloaded"})
    body = text_turn("So far", " so good", stop=False) + error_event
    setup = rig(lambda request: sse_response(body, **{"x-should-retry": "true"}), ok())
    events = await setup.run()
    failed = failure(events, errors.StreamError)
    assert failed.error.code == "overloaded_error" and failed.error.hint == errors.OverloadedError.default_hint
    assert failed.error.request_id == "req_123"
    assert failed.result.text == "So far so good"
    assert failed.result.timings.total is not None
    assert len(setup.server.requests) == 1 and not of_type(events, RetryScheduled)


# ---------------------------------------------------------------------------------------------
# Entra ID


def entra_auth() -> tuple[EntraAuth, FakeCredential]:
    credential = FakeCredential(Clock())
    return EntraAuth(credential, "scope/.default", clock=credential.clock), credential


async def test_entra_401_refreshes_the_token_and_retries_once(rig: Callable[..., Rig]) -> None:
    auth, credential = entra_auth()
    setup = rig(fail(401), ok("in"), auth=auth)
    events = await setup.run()
    [retry] = of_type(events, RetryScheduled)
    assert (retry.attempt, retry.delay) == (2, 0.0) and "401" in retry.reason
    assert isinstance(events[-1], Done)
    assert len(credential.calls) == 2
    assert [r.headers["authorization"] for r in setup.server.requests] == ["Bearer tok1", "Bearer tok2"]
    assert "api-key" not in setup.server.requests[0].headers
    assert setup.delays == []


async def test_entra_second_401_is_final(rig: Callable[..., Rig]) -> None:
    auth, credential = entra_auth()
    setup = rig(fail(401), auth=auth)
    events = await setup.run()
    failure(events, errors.AuthenticationError)
    assert len(setup.server.requests) == 2 and len(credential.calls) == 2
    assert len(of_type(events, RetryScheduled)) == 1


async def test_credential_failure_sends_nothing(rig: Callable[..., Rig]) -> None:
    auth, credential = entra_auth()
    credential.error = RuntimeError("AzureCliCredential: Please run 'az login' to set up an account")
    setup = rig(ok(), auth=auth)
    events = await setup.run()
    assert len(events) == 1
    assert "az login" in failure(events, errors.CredentialError).error.message
    assert setup.server.requests == []


# ---------------------------------------------------------------------------------------------
# Stopping a turn closes the HTTP response at once


def stalled_after_first_delta() -> Body:
    head = text_turn("first", stop=False)
    never = sse_event("content_block_delta", index=0, delta={"type": "text_delta", "text": "never"})
    return Body([head, never], stall_before=1)


async def test_cancelling_the_consumer_closes_the_response(rig: Callable[..., Rig]) -> None:
    body = stalled_after_first_delta()
    setup = rig(lambda request: sse_response(body))
    got_text = asyncio.Event()
    seen: list[StreamEvent] = []

    async def consume() -> None:
        async for event in setup.client.stream(REQUEST):
            seen.append(event)
            if isinstance(event, TextDelta):
                got_text.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_text.wait(), 1.0)
    assert not body.finished and not body.closed
    task.cancel()
    async with asyncio.timeout(1.0):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert body.finished and body.closed
    assert not of_type(seen, Failed) and not of_type(seen, Done)


async def test_closing_the_generator_closes_the_response_before_aclose_returns(rig: Callable[..., Rig]) -> None:
    body = stalled_after_first_delta()
    setup = rig(lambda request: sse_response(body))
    events = setup.client.stream(REQUEST)
    while not isinstance(await anext(events), TextDelta):
        pass
    await events.aclose()
    assert body.closed


# ---------------------------------------------------------------------------------------------
# check.py

CHECK_KEYS = {
    "ok", "profile", "endpoint", "auth", "deployment", "status", "latency_ms", "ttft_ms", "usage", "request_id",
    "apim_request_id", "error",
}


async def test_check_ok(rig: Callable[..., Rig]) -> None:
    setup = rig(ok("ok"))
    report = (await check_deployment(setup.client, "work", "dep-a", timeout=5)).to_json()
    assert set(report) == CHECK_KEYS
    assert json.loads(json.dumps(report)) == report
    expected = {
        "ok": True, "profile": "work", "endpoint": BASE, "auth": "api-key", "deployment": "dep-a", "status": 200,
        "request_id": "req_123", "apim_request_id": "apim-456", "error": None,
    }
    assert {key: report[key] for key in expected} == expected
    assert report["usage"]["input_tokens"] == 7 and report["usage"]["output_tokens"] == 1
    assert 0 <= report["ttft_ms"] <= report["latency_ms"]
    body = json.loads(setup.server.requests[0].content)
    assert (body["model"], body["max_tokens"], body["stream"]) == ("dep-a", 1, True)


async def test_check_not_found(rig: Callable[..., Rig]) -> None:
    setup = rig(fail(404, "not_found_error"))
    result = await check_deployment(setup.client, "work", "nope", timeout=5)
    report = result.to_json()
    assert not result.ok and report["ok"] is False
    assert (report["status"], report["usage"], report["ttft_ms"]) == (404, None, None)
    assert report["error"]["kind"] == "not_found" and report["error"]["hint"]
    assert (report["request_id"], report["apim_request_id"]) == ("req_123", "apim-456")


async def hang(request: httpx.Request) -> httpx.Response:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


async def test_check_timeout_on_a_hanging_server(rig: Callable[..., Rig]) -> None:
    setup = rig(hang)
    started = time.perf_counter()
    result = await check_deployment(setup.client, "work", "dep", timeout=0.2)
    assert time.perf_counter() - started < 1.0
    assert isinstance(result.error, errors.RequestTimedOut)
    assert result.to_json()["error"]["kind"] == "timeout"
    assert result.error.message == "no complete answer within 0.2 s"
    assert (result.status, result.request_id) == (None, None)


async def test_check_timeout_mid_stream_keeps_the_ids(rig: Callable[..., Rig]) -> None:
    body = stalled_after_first_delta()
    setup = rig(lambda request: sse_response(body))
    result = await check_deployment(setup.client, "work", "dep", timeout=0.2)
    assert isinstance(result.error, errors.RequestTimedOut)
    assert (result.status, result.request_id, result.apim_request_id) == (200, "req_123", "apim-456")
    assert body.closed


async def test_check_all_runs_concurrently(rig: Callable[..., Rig]) -> None:
    async def slow_ok(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.15)
        return sse_response(text_turn("ok"))

    setup = rig(slow_ok)
    deployments = ["a", "b", "c", "d"]
    started = time.perf_counter()
    results = await check_all(setup.client, "work", deployments, timeout=5)
    assert time.perf_counter() - started < 0.45  # one request's delay, not the sum (0.6 s)
    assert [r.deployment for r in results] == deployments and all(r.ok for r in results)
    assert sorted(json.loads(r.content)["model"] for r in setup.server.requests) == deployments


async def test_a_corrupt_gzip_body_mid_stream_is_an_incomplete_turn_not_a_crash():
    body = b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","model":"x","usage":{"input_tokens":1}}}\n\n'
    async def corrupt() -> AsyncIterator[bytes]:
        yield gzip.compress(body)[:40]  # a valid gzip start…
        yield b"\x00garbage"  # …then bytes that cannot be inflated

    def handler(request):
        return httpx.Response(200, headers={"content-type": "text/event-stream", "content-encoding": "gzip"}, content=corrupt())
    client = FoundryClient("http://h/anthropic/", ApiKeyAuth("k"), transport=httpx.MockTransport(handler))
    events = [event async for event in client.stream(MessageRequest(model="d", messages=[{"role": "user", "content": "x"}]))]
    assert isinstance(events[-1], Failed) and events[-1].error.kind == "incomplete"


async def test_stream_batches_yields_one_list_per_network_read_and_stream_is_the_same_events(rig):
    parts = [f"w{n} " for n in range(50)]
    body = text_turn(*parts)
    middle = len(body) // 2
    setup = rig(lambda request: sse_response(Body([body[:middle], body[middle:]])), retry=RetryPolicy(max_retries=1))
    async with asyncio.timeout(2):
        batches = [batch async for batch in setup.client.stream_batches(REQUEST)]
    assert [type(event) for event in batches[0]] == [ResponseStarted]
    reads = batches[1:-1]
    assert len(reads) == 2 and all(reads)  # two reads: two lists, however many deltas each holds
    texts = [[event.text for event in batch if isinstance(event, TextDelta)] for batch in reads]
    assert [len(read) for read in texts] == [1, 1]  # a read's text deltas come as one
    assert "".join(text for read in texts for text in read) == "".join(parts)
    assert [type(event) for event in batches[-1]] == [Done]
    flat = await setup.run()  # stream(): the same events, one by one
    assert [type(event) for event in flat] == [type(event) for batch in batches for event in batch]
