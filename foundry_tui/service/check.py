"""The auth sanity check shared by `foundry-tui check` and the app's "Test" action.

One minimal streamed request per deployment (max_tokens 1, no retries, so a 429 is reported
rather than hidden) that proves the endpoint, the credentials and the deployment name together.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from foundry_tui.format import to_ms
from foundry_tui.service.client import FoundryClient
from foundry_tui.service.errors import FoundryError, RequestTimedOut
from foundry_tui.service.events import Done, Failed, ResponseStarted
from foundry_tui.service.messages import MessageRequest, TurnResult, Usage

PROBE_PROMPT = "Reply with the single word: ok"


@dataclass(slots=True)
class CheckResult:
    profile: str
    endpoint: str
    auth: str
    deployment: str
    status: int | None
    latency: float | None  # seconds
    ttft: float | None  # seconds
    usage: Usage | None
    request_id: str | None
    apim_request_id: str | None
    error: FoundryError | None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "profile": self.profile,
            "endpoint": self.endpoint,
            "auth": self.auth,
            "deployment": self.deployment,
            "status": self.status,
            "latency_ms": to_ms(self.latency),
            "ttft_ms": to_ms(self.ttft),
            "usage": self.usage.to_dict() if self.usage else None,
            "request_id": self.request_id,
            "apim_request_id": self.apim_request_id,
            "error": self.error.to_dict() if self.error else None,
        }


async def check_deployment(client: FoundryClient, profile: str, deployment: str, *, timeout: float) -> CheckResult:
    request = MessageRequest(model=deployment, messages=[{"role": "user", "content": PROBE_PROMPT}], max_tokens=1)
    result = TurnResult(deployment=deployment)
    error: FoundryError | None = None
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout), aclosing(client.stream(request)) as events:
            async for event in events:
                if isinstance(event, ResponseStarted):  # ids survive even a timeout later on
                    result.status, result.request_id = event.status, event.request_id
                    result.apim_request_id = event.apim_request_id
                if isinstance(event, (Done, Failed)):
                    result = event.result
                if isinstance(event, Failed):
                    error = event.error
    except TimeoutError:
        error = RequestTimedOut(f"no complete answer within {timeout:g} s", status=result.status)
    latency = time.perf_counter() - started
    if error is not None and not error.ids():  # the ids of the response, so the report shows them with the error
        error.request_id, error.apim_request_id = result.request_id, result.apim_request_id
    return CheckResult(
        profile=profile,
        endpoint=client.base_url,
        auth=client.auth.description,
        deployment=deployment,
        status=result.status if error is None else error.status,
        latency=latency,
        ttft=result.timings.first_token,
        usage=result.usage if result.status and result.status < 400 else None,
        request_id=result.request_id or (error.request_id if error else None),
        apim_request_id=result.apim_request_id or (error.apim_request_id if error else None),
        error=error,
    )


async def check_all(client: FoundryClient, profile: str, deployments: list[str], *, timeout: float) -> list[CheckResult]:
    """Checks run concurrently over the client's shared connection pool."""
    return list(
        await asyncio.gather(*(check_deployment(client, profile, d, timeout=timeout) for d in deployments))
    )

