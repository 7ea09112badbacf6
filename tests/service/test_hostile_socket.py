"""FoundryClient against the emulator's hostile faults on a real loopback socket."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from foundry_tui.service.auth import ApiKeyAuth
from foundry_tui.service.client import FoundryClient
from foundry_tui.service.errors import IdleTimeout, MalformedStream, UnexpectedResponse
from foundry_tui.service.events import Done, Failed, StreamEvent
from foundry_tui.service.messages import MessageRequest
from foundry_tui.service.retry import RetryPolicy


async def stream_fault(emulator: Any, fault: str, **client_options: Any) -> tuple[list[StreamEvent], float]:
    """The events of one turn with `fault`, and the longest the event loop went without a turn."""
    request = MessageRequest(model=f"fault-{fault}", messages=[{"role": "user", "content": "explain caching"}])
    client = FoundryClient(
        emulator.base_url, ApiKeyAuth(emulator.api_key), retry=RetryPolicy(max_retries=0), **client_options
    )
    longest_stall = 0.0
    done = False

    async def watch_the_loop() -> None:
        nonlocal longest_stall
        while not done:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            longest_stall = max(longest_stall, time.perf_counter() - before - 0.005)

    watcher = asyncio.create_task(watch_the_loop())
    try:
        async with asyncio.timeout(30):
            events = [event async for event in client.stream(request)]
    finally:
        done = True
        await watcher
        await client.aclose()
    return events, longest_stall


def failed_with(events: list[StreamEvent], cls: type) -> Failed:
    last = events[-1]
    assert isinstance(last, Failed) and isinstance(last.error, cls), last
    assert last.error.hint and "\n" not in last.error.message
    return last


@pytest.fixture
def emulator(emulator_process: Any) -> Any:
    """These faults send tens of megabytes: served from another process (see conftest)."""
    return emulator_process


async def test_bad_usage_keeps_the_turn_with_safe_figures_and_one_warning(emulator: Any) -> None:
    events, _ = await stream_fault(emulator, "bad-usage")
    last = events[-1]
    assert isinstance(last, Done) and last.result.text
    assert all(type(value) is int for value in vars_of(last.result.usage).values())
    assert len([w for w in last.result.warnings if "usage" in w]) == 1


def vars_of(usage: Any) -> dict[str, Any]:
    return {name: getattr(usage, name) for name in ("input_tokens", "output_tokens", "cache_read_input_tokens")}


async def test_deep_json_fails_fast_and_keeps_the_text(emulator: Any) -> None:
    started = time.perf_counter()
    events, _ = await stream_fault(emulator, "deep-json")
    assert time.perf_counter() - started < 5
    assert failed_with(events, MalformedStream).result.text


@pytest.mark.parametrize("fault", ["huge-line", "gzip-bomb"])
async def test_a_huge_event_fails_the_turn_without_stalling_the_loop(emulator: Any, fault: str) -> None:
    events, longest_stall = await stream_fault(emulator, fault)
    last = failed_with(events, MalformedStream)
    assert last.result.text and "MB" in last.error.message
    assert longest_stall < 0.15, f"the event loop stalled {longest_stall * 1000:.0f} ms"


async def test_pings_only_ends_at_the_idle_limit_keeping_what_came(emulator: Any) -> None:
    started = time.perf_counter()
    events, _ = await stream_fault(emulator, "pings-only", idle_timeout=1.0)
    failed_with(events, IdleTimeout)
    assert 0.9 < time.perf_counter() - started < 5


@pytest.mark.parametrize("fault, content_type", [("html-200", "text/html"), ("json-200", "application/json")])
async def test_a_success_that_is_not_a_stream_is_named(emulator: Any, fault: str, content_type: str) -> None:
    events, _ = await stream_fault(emulator, fault)
    error = failed_with(events, UnexpectedResponse).error
    assert error.status == 200 and content_type in error.message
    assert error.request_id
