"""1. Parse: our streaming path assembling the message, against the floor and the official SDK.

Every contender reads the same recorded bytes from an in-memory transport in the same chunks, so
the source is never the bottleneck.
"""

from __future__ import annotations

import json
import warnings

import httpx

from benchmarks.common import Figure, median_seconds
from benchmarks.recorded import Recording, recording
from foundry_tui.service.auth import ApiKeyAuth
from foundry_tui.service.client import FoundryClient
from foundry_tui.service.events import Done
from foundry_tui.service.messages import MessageRequest

BASE_URL = "http://bench.invalid/anthropic/"


def _transport(rec: Recording) -> httpx.MockTransport:
    headers = {"content-type": "text/event-stream", "request-id": "req_bench"}
    return httpx.MockTransport(lambda request: httpx.Response(200, headers=headers, content=rec.aiter_chunks()))


async def ours(rec: Recording) -> None:
    async with FoundryClient(BASE_URL, ApiKeyAuth("bench"), transport=_transport(rec)) as client:
        request = MessageRequest(model="claude-sonnet-4-5", messages=[{"role": "user", "content": "bench"}])
        async for event in client.stream(request):
            if type(event) is Done:
                assert event.result.text == rec.text


async def floor(rec: Recording) -> None:
    """Raw line reading plus json.loads per data line: the least any SSE client can do."""
    loads = json.loads
    async with httpx.AsyncClient(transport=_transport(rec)) as client:
        async with client.stream("POST", BASE_URL + "v1/messages") as response:
            rest = b""
            async for chunk in response.aiter_raw():
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    if line.startswith(b"data: "):
                        loads(line[6:])


async def official_sdk(rec: Recording) -> None:
    """anthropic's AsyncAnthropicFoundry `messages.stream(...)`, accumulating the message."""
    import anthropic

    async with anthropic.DefaultAsyncHttpxClient(transport=_sdk_transport(rec)) as http:  # a client we pass in is ours to close
        client = anthropic.AsyncAnthropicFoundry(api_key="bench", base_url=BASE_URL, http_client=http)
        with warnings.catch_warnings():  # the SDK warns about model deprecation dates; not our subject here
            warnings.simplefilter("ignore", DeprecationWarning)
            async with client.messages.stream(model="claude-sonnet-4-5", max_tokens=64, messages=[{"role": "user", "content": "bench"}]) as stream:
                message = await stream.get_final_message()
        await client.close()
    assert message.content[0].text == rec.text


def _sdk_transport(rec: Recording):
    """Recent SDK releases ship their own httpx fork (httpx2); build the mock with what it uses."""
    import anthropic._base_client as sdk_client

    http = getattr(sdk_client, "httpx2", None) or sdk_client.httpx
    headers = {"content-type": "text/event-stream", "request-id": "req_bench"}
    return http.MockTransport(lambda request: http.Response(200, headers=headers, content=rec.aiter_chunks()))


async def run(quick: bool) -> list[Figure]:
    rec = recording(20_000)
    repeat = 3 if quick else 7
    floor_s = await median_seconds(lambda: floor(rec), repeat)
    ours_s = await median_seconds(lambda: ours(rec), repeat)
    figures = [
        Figure("parse: floor (lines + json.loads), 20k deltas", floor_s * 1000, "ms"),
        Figure("parse: foundry-tui stream + assembly", ours_s * 1000, "ms"),
        Figure("parse: ours / floor", ours_s / floor_s, "x", "≤ 1.3x", ours_s / floor_s <= 1.3),
    ]
    try:
        import anthropic  # noqa: F401
    except ImportError:
        return figures
    sdk_s = await median_seconds(lambda: official_sdk(rec), 1 if quick else 3)
    figures += [
        Figure("parse: official SDK messages.stream", sdk_s * 1000, "ms"),
        Figure("parse: SDK / ours (how much faster we are)", sdk_s / ours_s, "x", "≥ 3x", sdk_s / ours_s >= 3),
    ]
    return figures
