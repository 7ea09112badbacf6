"""The hostile faults put on the wire what a broken server or proxy would (real loopback sockets)."""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from foundry_tui.emulator import hostile
from foundry_tui.emulator.server import Emulator, EmulatorConfig

VERSION = {"anthropic-version": "2023-06-01"}
BODY = {"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": True, "messages": [{"role": "user", "content": "hi there, explain caching"}]}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with Emulator(EmulatorConfig(pace=0)) as emu:
        headers = {"api-key": emu.api_key, **VERSION}
        async with httpx.AsyncClient(base_url=emu.base_url, headers=headers, timeout=10) as http:
            yield http


@pytest.fixture
async def heavy_client(emulator_process: Any) -> AsyncIterator[httpx.AsyncClient]:
    """For the faults that weigh tens of megabytes: an emulator in its own process (see conftest)."""
    headers = {"api-key": emulator_process.api_key, **VERSION}
    async with httpx.AsyncClient(base_url=emulator_process.base_url, headers=headers, timeout=30) as http:
        yield http
    assert emulator_process.logged() == ""


async def raw_body(client: httpx.AsyncClient, fault: str, **fields: Any) -> tuple[httpx.Response, bytes]:
    async with client.stream("POST", "v1/messages", json={**BODY, **fields}, headers={"x-emulator-fault": fault}) as response:
        return response, b"".join([chunk async for chunk in response.aiter_raw()])


def data_lines(body: bytes) -> list[bytes]:
    return [line[6:] for line in body.split(b"\n") if line.startswith(b"data: ")]


async def test_bad_usage_sends_usage_of_the_wrong_types(client: httpx.AsyncClient) -> None:
    _, body = await raw_body(client, "bad-usage")
    usages = [p.get("usage") or p.get("message", {}).get("usage") for p in map(json.loads, data_lines(body))]
    assert hostile.BAD_START_USAGE in usages and hostile.BAD_DELTA_USAGE in usages
    assert b"message_stop" in body


async def test_deep_json_sends_a_deeply_nested_line_between_real_deltas(client: httpx.AsyncClient) -> None:
    _, body = await raw_body(client, "deep-json")
    lines = data_lines(body)
    deep = next(i for i, line in enumerate(lines) if line.startswith(b"[[[["))
    assert len(lines[deep]) == 2 * hostile.DEEP_JSON_LEVELS
    assert b"text_delta" in b"".join(lines[:deep]) and b"message_stop" in b"".join(lines[deep:])


async def test_huge_line_sends_one_ten_megabyte_delta(heavy_client: httpx.AsyncClient) -> None:
    client = heavy_client
    _, body = await raw_body(client, "huge-line")
    assert max(map(len, data_lines(body))) > hostile.HUGE_LINE_BYTES


async def test_gzip_bomb_is_small_on_the_wire_and_huge_inflated(heavy_client: httpx.AsyncClient) -> None:
    client = heavy_client
    response, body = await raw_body(client, "gzip-bomb")
    assert response.headers["content-encoding"] == "gzip"
    assert len(body) < 1024 * 1024
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    start = inflater.decompress(body, 64 * 1024)
    assert start.startswith(b"event: message_start") and b"text_delta" in start
    inflated = len(start) + sum(len(inflater.decompress(inflater.unconsumed_tail, 1 << 24)) for _ in range(7))
    assert inflated > 100 * 1024 * 1024  # 7 × 16 MB read: far more than it weighs


async def test_pings_only_keeps_pinging_without_content(client: httpx.AsyncClient) -> None:
    events: list[bytes] = []
    started = time.monotonic()
    async with client.stream("POST", "v1/messages", json=BODY, headers={"x-emulator-fault": "pings-only"}) as response:
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                events.append(line[7:].encode())
            if events.count(b"ping") >= 3:
                break
    assert events[0] == b"message_start" and set(events[1:]) == {b"ping"}
    assert time.monotonic() - started >= 2 * hostile.PING_INTERVAL


@pytest.mark.parametrize("stream", [True, False])
async def test_html_200_is_a_page_not_a_stream(client: httpx.AsyncClient, stream: bool) -> None:
    response, body = await raw_body(client, "html-200", stream=stream)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert b"<title>" in body


async def test_json_200_answers_a_streaming_request_with_a_plain_message(client: httpx.AsyncClient) -> None:
    response, body = await raw_body(client, "json-200")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert json.loads(body)["type"] == "message"


async def test_huge_error_is_a_51_megabyte_401_page(heavy_client: httpx.AsyncClient) -> None:
    client = heavy_client
    async with client.stream("POST", "v1/messages", json=BODY, headers={"x-emulator-fault": "huge-error"}) as response:
        assert response.status_code == 401
        assert int(response.headers["content-length"]) >= hostile.HUGE_ERROR_BYTES
        first = await anext(response.aiter_raw())
    assert first.startswith(b"<html><head><title>401")
