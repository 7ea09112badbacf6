"""The Foundry emulator: a loopback HTTP server speaking Foundry's Anthropic Messages protocol.

It is the demo backend and the test double for the whole project, so it answers like the real
service does: same endpoints, auth, error bodies, headers and SSE event sequence, with
deterministic Markdown replies (see `replies`) and injectable faults (see `faults`).

Endpoints under ``/anthropic/`` (``EmulatorConfig.path_prefix``: another path plays a gateway):

- ``POST v1/messages``: streaming (``"stream": true``) and non-streaming Messages, validated as
  strictly as the real API validates them (see `validate`).
- ``v1/models…`` and ``v1/messages/batches…``: 404 ``api_not_supported``, as on Foundry.
- anything else: the gateway's 404 ``Resource not found``.

Under ``/arm/``: enough Azure Resource Manager to discover deployments (see `arm`).

Auth: ``api-key`` or ``x-api-key`` holding the key, or ``Authorization: Bearer <key>``.

Request headers that steer the emulator (all optional):

- ``x-emulator-fault: <name>[*N]``: inject a fault (see `faults`).
- ``x-emulator-reply-tokens: N``: reply with about N text deltas (a long, mixed Markdown document).
- ``x-emulator-pace: N``: deltas per second for this request (0 = as fast as possible).
- ``x-emulator-retry-after-ms: N``: the retry delay the ``429`` fault advertises (default 1000).
- ``x-emulator-delay-ms: N``: the ``slow-first-token`` wait (default 2000).

Pacing also applies to non-streaming replies: they arrive after the time streaming would take.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import signal
import socket
import sys
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar, overload

from .address import API_PREFIX, ARM_PREFIX, root_url
from .arm import arm_response
from .errors import (
    API_NOT_SUPPORTED,
    DEPLOYMENT_NOT_FOUND,
    KEY_DENIED,
    RESOURCE_NOT_FOUND,
    TOKEN_DENIED,
    InvalidRequest,
    anthropic_error,
    invalid_request,
)
from .faults import DEFAULT_DELAY_MS, DEFAULT_RETRY_AFTER_MS, FaultBook, deployment_fault_spec
from .http11 import BadFraming, Connection, Request, Response, json_response, read_request
from .messages import compose_turn, message_json, new_id, parse_messages_request, stream_events
from .prompt_cache import PromptCache
from .sse import StreamScript, play
from .validate import validate_request

DEFAULT_DEPLOYMENTS = ("claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1")
MAX_BODY_BYTES = 32 * 1024 * 1024  # the Messages API's request limit
_SSE_HEADERS = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}
_WILDCARD_HOSTS = ("", "0.0.0.0", "::")
_N = TypeVar("_N", int, float)
_log = logging.getLogger(__name__)


@dataclass
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port
    api_key: str | None = None  # None: a random "emu-…" key per emulator
    pace: float = 200.0  # deltas per second; 0 = as fast as possible
    deployments: tuple[str, ...] = DEFAULT_DEPLOYMENTS
    path_prefix: str = API_PREFIX  # another path plays an API gateway (APIM) in front of Foundry
    listener: socket.socket | None = None  # already bound and listening (the demo's): host and port unused


@dataclass(frozen=True, slots=True)
class _EmulatorHeaders:
    """The x-emulator-* request headers (see the module docstring)."""

    fault: str | None
    reply_tokens: int | None
    pace: float | None
    retry_after_ms: int
    delay_ms: int

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> _EmulatorHeaders:
        return cls(
            fault=headers.get("x-emulator-fault"),
            reply_tokens=_number_header(headers, "x-emulator-reply-tokens", int),
            pace=_number_header(headers, "x-emulator-pace", float),
            retry_after_ms=_number_header(headers, "x-emulator-retry-after-ms", int, DEFAULT_RETRY_AFTER_MS),
            delay_ms=_number_header(headers, "x-emulator-delay-ms", int, DEFAULT_DELAY_MS),
        )


@overload
def _number_header(headers: Mapping[str, str], name: str, kind: type[_N]) -> _N | None: ...
@overload
def _number_header(headers: Mapping[str, str], name: str, kind: type[_N], default: _N) -> _N: ...
def _number_header(headers: Mapping[str, str], name: str, kind: type[_N], default: _N | None = None) -> _N | None:
    if name not in headers:
        return default
    try:
        value = kind(headers[name])
    except ValueError:
        raise InvalidRequest(f"{name}: expected a number, got {headers[name]!r}") from None
    if not 0 <= value < math.inf:
        raise InvalidRequest(f"{name}: must be a finite number, zero or more")
    return value


@dataclass(frozen=True, slots=True)
class _Stream:
    script: StreamScript
    pace: float


class _Drop:
    """Close the connection without answering."""


_Outcome = Response | _Stream | _Drop


class Emulator:
    """The emulator on the running event loop; `async with Emulator() as emu:` serves until the block ends."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.api_key = self.config.api_key or "emu-" + secrets.token_urlsafe(18)
        self._server: asyncio.Server | None = None
        self._port = 0
        self._connections: set[asyncio.Task[None]] = set()
        self._faults = FaultBook()
        self._prompt_cache = PromptCache()

    @property
    def root_url(self) -> str:
        """`http://host:port`, without a path."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        host = "127.0.0.1" if self.config.host in _WILDCARD_HOSTS else self.config.host
        return root_url(host, self._port)

    @property
    def base_url(self) -> str:
        return self.root_url + self.config.path_prefix

    @property
    def arm_url(self) -> str:
        """The emulated Azure Resource Manager endpoint (see `arm`)."""
        return self.root_url + ARM_PREFIX

    async def start(self) -> None:
        if self.config.listener is not None:
            self._server = await asyncio.start_server(self._serve_connection, sock=self.config.listener)
        else:
            self._server = await asyncio.start_server(self._serve_connection, self.config.host, self.config.port)
        self._port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and cut open connections, including idle keep-alive ones."""
        if self._server is None:
            return
        self._server.close()
        connections = list(self._connections)
        for task in connections:
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        connection = Connection(writer)
        try:
            while await self._answer_next(reader, connection):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away mid-request or mid-stream: nothing left to answer
        except asyncio.CancelledError:
            pass  # stop() cancels on purpose; ending normally keeps Python 3.11 from logging a traceback
        finally:
            self._connections.discard(task)
            connection.close()

    async def _answer_next(self, reader: asyncio.StreamReader, connection: Connection) -> bool:
        """Read and answer one request; False when the connection must not be reused."""
        request_id = new_id("req_")
        ids = {"request-id": request_id, "apim-request-id": str(uuid.uuid4())}
        try:
            request = await read_request(reader, MAX_BODY_BYTES)
        except BadFraming as exc:
            error_type = "request_too_large" if exc.status == 413 else "invalid_request_error"
            await connection.send(anthropic_error(exc.status, error_type, str(exc), request_id), ids, close=True)
            return False
        if request is None:
            return False
        outcome = await self._outcome(request, request_id)
        close = request.wants_close
        if isinstance(outcome, _Drop):
            connection.abort()
            return False
        if isinstance(outcome, _Stream):
            encoding = outcome.script.content_encoding
            headers = {**_SSE_HEADERS, **({"content-encoding": encoding} if encoding else {}), **ids}
            await connection.start_chunked(200, headers, close=close)
            await play(outcome.script, connection, outcome.pace)
            return not (close or outcome.script.abort_at_end)
        await connection.send(outcome, ids, close=close)
        return not close

    async def _outcome(self, request: Request, request_id: str) -> _Outcome:
        if _is_under(request.path, ARM_PREFIX):
            return arm_response(request, base_url=self.root_url, token=self.api_key, deployments=self.config.deployments)
        api_prefix = f"{self.config.path_prefix}v1/"
        if not request.path.startswith(api_prefix):
            return RESOURCE_NOT_FOUND
        route = request.path.removeprefix(api_prefix)
        is_messages = request.method == "POST" and route == "messages"
        is_unsupported = _is_under(route, "models") or _is_under(route, "messages/batches")
        if not (is_messages or is_unsupported):
            return RESOURCE_NOT_FOUND
        if denial := self._auth_denial(request.headers):
            return denial
        if is_unsupported:
            return API_NOT_SUPPORTED
        try:
            return await self._messages(request, request_id)
        except InvalidRequest as exc:
            return invalid_request(str(exc), request_id)
        except Exception:
            _log.exception("Foundry emulator failed on request %s", request_id)  # an emulator bug: make it loud
            return anthropic_error(500, "api_error", "Internal server error", request_id)

    def _auth_denial(self, headers: Mapping[str, str]) -> Response | None:
        if self.api_key in (headers.get("api-key"), headers.get("x-api-key")):
            return None
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return KEY_DENIED
        return None if token.strip() == self.api_key else TOKEN_DENIED

    async def _messages(self, request: Request, request_id: str) -> _Outcome:
        if "anthropic-version" not in request.headers:
            raise InvalidRequest("anthropic-version: header is required")
        body = parse_messages_request(request.body)
        validate_request(body)
        options = _EmulatorHeaders.parse(request.headers)
        model_fault = deployment_fault_spec(body.model)
        if body.model not in self.config.deployments and model_fault is None:
            return DEPLOYMENT_NOT_FOUND
        fault = self._faults.fault_for(
            options.fault or model_fault, retry_after_ms=options.retry_after_ms, delay_ms=options.delay_ms
        )
        if failure := fault.error_response(streaming=body.stream, request_id=request_id):
            return failure
        cache = self._prompt_cache.use(body)
        turn = compose_turn(
            body, reply_tokens=options.reply_tokens, cache_read_tokens=cache.read_tokens, cache_write_tokens=cache.write_tokens
        )
        turn = fault.turn(turn, body.prompt)
        pace = self.config.pace if options.pace is None else options.pace
        if body.stream and not fault.ignores_stream:
            return _Stream(fault.shape(StreamScript(stream_events(turn))), pace)
        if fault.drops_connection:
            return _Drop()
        generation_seconds = turn.usage.output_tokens / pace if pace > 0 else 0.0
        await asyncio.sleep(fault.first_token_delay + generation_seconds)
        return json_response(200, message_json(turn))


def _is_under(route: str, prefix: str) -> bool:
    return route == prefix or route.startswith(prefix + "/")


class EmulatorThread:
    """An emulator on its own event loop in a daemon thread, for synchronous callers."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self._emulator = Emulator(config)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    @property
    def base_url(self) -> str:
        return self._emulator.base_url

    @property
    def arm_url(self) -> str:
        return self._emulator.arm_url

    @property
    def api_key(self) -> str:
        return self._emulator.api_key

    def start(self) -> None:
        """Returns once the emulator is listening; raises what startup raised (e.g. port in use)."""
        self._thread = threading.Thread(target=asyncio.run, args=(self._run(),), name="foundry-emulator", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise self._startup_error

    def stop(self) -> None:
        if self._thread is None:
            return
        if self._loop is not None and self._stop_requested is not None:
            self._loop.call_soon_threadsafe(self._stop_requested.set)
        self._thread.join()
        self._thread = None

    def __enter__(self) -> EmulatorThread:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def _run(self) -> None:
        try:
            await self._emulator.start()
        except BaseException as exc:
            self._startup_error = exc
            self._ready.set()
            return
        self._loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        self._ready.set()
        await self._stop_requested.wait()
        await self._emulator.stop()


def serve_forever(config: EmulatorConfig | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM (the `foundry-tui emulator` command); the exit status."""
    try:
        asyncio.run(_serve_until_signalled(Emulator(config)))
    except KeyboardInterrupt:
        pass  # Ctrl-C where no signal handler could be installed (Windows): a normal way to stop
    except OSError as exc:
        print(f"Foundry emulator could not start: {exc}", file=sys.stderr)
        return 1
    return 0


async def _serve_until_signalled(emulator: Emulator) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal_number, stop.set)
    async with emulator:
        print(f"Foundry emulator listening on {emulator.base_url}", flush=True)
        print(f"API key: {emulator.api_key}", flush=True)
        print(
            f"export ANTHROPIC_FOUNDRY_BASE_URL={emulator.base_url} ANTHROPIC_FOUNDRY_API_KEY={emulator.api_key}",
            flush=True,
        )
        print("Press Ctrl-C to stop.", flush=True)
        await stop.wait()
