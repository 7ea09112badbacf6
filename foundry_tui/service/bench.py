"""Compare deployments on the user's real endpoint: time to first token, output speed, errors.

Requests run one after another per deployment, without retries, so a 429 shows up as an error
instead of as a slow request.
"""

from __future__ import annotations

import statistics
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from foundry_tui.format import to_ms
from foundry_tui.service.client import FoundryClient
from foundry_tui.service.errors import FoundryError
from foundry_tui.service.events import Done, Failed
from foundry_tui.service.messages import MessageRequest, TurnResult
from foundry_tui.service.retry import RetryPolicy

BENCH_PROMPT = "Write about 150 words on the history of the computer terminal."


@dataclass
class DeploymentBench:
    deployment: str
    requests: int = 0
    ttft: list[float] = field(default_factory=list)  # seconds, successful requests
    rates: list[float] = field(default_factory=list)  # output tokens per second after the first token
    errors: list[FoundryError] = field(default_factory=list)

    def ttft_percentile(self, fraction: float) -> float | None:
        if not self.ttft:
            return None
        ordered = sorted(self.ttft)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    def tokens_per_second(self) -> float | None:
        return statistics.mean(self.rates) if self.rates else None

    def to_json(self) -> dict[str, Any]:
        rate = self.tokens_per_second()
        return {
            "deployment": self.deployment,
            "requests": self.requests,
            "ok": len(self.ttft),
            "ttft_p50_ms": to_ms(self.ttft_percentile(0.5)),
            "ttft_p95_ms": to_ms(self.ttft_percentile(0.95)),
            "output_tokens_per_s": round(rate, 1) if rate is not None else None,
            "errors": [error.summary() for error in self.errors],
        }


async def bench_deployment(client: FoundryClient, deployment: str, runs: int, *, max_tokens: int = 300) -> DeploymentBench:
    bench = DeploymentBench(deployment)
    quick = client.with_retry(RetryPolicy(max_retries=0))
    request = MessageRequest(model=deployment, messages=[{"role": "user", "content": BENCH_PROMPT}], max_tokens=max_tokens)
    for _ in range(runs):
        bench.requests += 1
        async with aclosing(quick.stream(request)) as events:
            async for event in events:
                if isinstance(event, Done):
                    _record(bench, event.result)
                elif isinstance(event, Failed):
                    bench.errors.append(event.error)
    return bench


def _record(bench: DeploymentBench, result: TurnResult) -> None:
    if result.timings.first_token is not None:
        bench.ttft.append(result.timings.first_token)
    rate = result.output_tokens_per_second()
    if rate is not None:
        bench.rates.append(rate)
