"""The usage log: one row per request sent (checks, one-shot asks, chat turns, failures included).

Totals are computed in Python from the window's rows: a month of use is a few thousand rows, and
percentiles need the values anyway.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import astuple, dataclass, field, fields
from typing import Literal

from foundry_tui.config.profile import Price, Profile
from foundry_tui.service.messages import Usage
from foundry_tui.service.pricing import cache_savings, estimate_cost, price_for
from foundry_tui.store.db import Database

CANCELLED = "cancelled"  # the error kind of a request the user stopped: logged, not counted as an error
CHECK = "check"  # the command of a probe request: its failures say nothing of chat, so they are counted apart
SECONDS_PER_DAY = 86_400

Grouping = Literal["deployment", "day"]


@dataclass(frozen=True, slots=True)
class UsageRow:
    at: float  # unix time the request ended
    command: str  # "check", "ask" or "chat"
    profile: str | None
    endpoint_host: str | None
    deployment: str | None
    status: int | None  # None: no HTTP answer (connection error, timeout, cancel before headers)
    error_kind: str | None  # FoundryError.kind, or CANCELLED; None for success
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost: float | None = None  # USD; None when the deployment's price is unknown
    latency_ms: float | None = None
    ttft_ms: float | None = None
    request_id: str | None = None
    apim_request_id: str | None = None
    cache_savings: float | None = None  # USD caching saved (negative for a write); None when unpriced


_COLUMNS = tuple(spec.name for spec in fields(UsageRow))
_INSERT = f"INSERT INTO requests ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM requests"


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who sent a request and where: what a usage row records besides the answer."""

    command: str
    profile: str
    endpoint_host: str
    deployment: str
    prices: Mapping[str, Price] = field(default_factory=dict)  # the profile's overrides

    @classmethod
    def for_profile(cls, command: str, profile: Profile, deployment: str) -> RequestContext:
        return cls(command, profile.name, profile.endpoint_host(), deployment, dict(profile.prices))

    def cost(self, usage: Usage, model: str | None = None) -> float | None:
        return estimate_cost(usage, price_for(self.deployment, model, self.prices))

    def cache_savings(self, usage: Usage, model: str | None = None) -> float | None:
        return cache_savings(usage, price_for(self.deployment, model, self.prices))

    def row(
        self,
        *,
        status: int | None,
        error_kind: str | None,
        usage: Usage | None = None,
        model: str | None = None,
        latency_ms: float | None = None,
        ttft_ms: float | None = None,
        request_id: str | None = None,
        apim_request_id: str | None = None,
        at: float | None = None,
    ) -> UsageRow:
        usage = usage or Usage()
        return UsageRow(
            at=time.time() if at is None else at,
            command=self.command,
            profile=self.profile,
            endpoint_host=self.endpoint_host,
            deployment=self.deployment,
            status=status,
            error_kind=error_kind,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_creation_input_tokens=usage.cache_creation_input_tokens,
            cache_read_input_tokens=usage.cache_read_input_tokens,
            cost=self.cost(usage, model),
            latency_ms=_rounded(latency_ms),
            ttft_ms=_rounded(ttft_ms),
            request_id=request_id,
            apim_request_id=apim_request_id,
            cache_savings=self.cache_savings(usage, model),
        )


@dataclass(slots=True)
class UsageTotals:
    """One line of a usage report: a deployment, a day, or everything (`key` None)."""

    key: str | None
    requests: int = 0  # every request, checks included
    errors: int = 0  # failed requests other than checks (a cancel is no error)
    check_requests: int = 0
    check_errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost: float = 0.0
    cache_savings: float | None = None  # USD, of the priced requests; None when none was priced
    unpriced_requests: int = 0  # requests that used tokens of a deployment with no known price: not in `cost`
    latency_p50_ms: float | None = None  # latency and TTFT: successful requests only
    latency_p95_ms: float | None = None
    ttft_p50_ms: float | None = None
    ttft_p95_ms: float | None = None

    @property
    def error_rate(self) -> float | None:
        """Of the requests that were not checks: a failing `check` probe is not a failing chat."""
        sent = self.requests - self.check_requests
        return self.errors / sent if sent else None


@dataclass(slots=True)
class UsageSummary:
    since: float
    until: float
    by: Grouping | None
    total: UsageTotals
    groups: list[UsageTotals]  # sorted by key; empty when not grouped


class UsageLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def log(self, *rows: UsageRow) -> None:
        with self._db.transaction() as connection:
            connection.executemany(_INSERT, [astuple(row) for row in rows])

    def prune(self, days: int, now: float | None = None) -> int:
        """Delete rows older than `days`; only a cheap indexed probe when there is nothing to delete."""
        cutoff = (time.time() if now is None else now) - days * SECONDS_PER_DAY
        if not self._db.rows("SELECT 1 FROM requests WHERE at < ? LIMIT 1", (cutoff,)):
            return 0
        with self._db.transaction() as connection:
            return connection.execute("DELETE FROM requests WHERE at < ?", (cutoff,)).rowcount

    def rows(self, since: float, until: float | None = None) -> list[UsageRow]:
        """Oldest first."""
        until = time.time() if until is None else until
        found = self._db.rows(f"{_SELECT} WHERE at >= ? AND at <= ? ORDER BY at", (since, until))
        return [UsageRow(*row) for row in found]

    def summary(self, since: float, *, by: Grouping | None = None, until: float | None = None) -> UsageSummary:
        until = time.time() if until is None else until
        rows = self.rows(since, until)
        groups: dict[str, list[UsageRow]] = {}
        if by is not None:
            key_of = _GROUP_KEYS[by]
            for row in rows:
                groups.setdefault(key_of(row), []).append(row)
        return UsageSummary(
            since=since,
            until=until,
            by=by,
            total=totals(None, rows),
            groups=[totals(key, groups[key]) for key in sorted(groups)],
        )

    def recent_errors(self, since: float, limit: int = 20) -> list[UsageRow]:
        """Failed requests, newest first, with the ids support asks for."""
        found = self._db.rows(
            f"{_SELECT} WHERE at >= ? AND error_kind IS NOT NULL AND error_kind != ? ORDER BY at DESC LIMIT ?",
            (since, CANCELLED, limit),
        )
        return [UsageRow(*row) for row in found]


_GROUP_KEYS: dict[str, Callable[[UsageRow], str]] = {
    "deployment": lambda row: row.deployment or "?",
    "day": lambda row: time.strftime("%Y-%m-%d", time.localtime(row.at)),  # the user's calendar day
}


def totals(key: str | None, rows: Sequence[UsageRow]) -> UsageTotals:
    result = UsageTotals(key)
    latencies: list[float] = []
    ttfts: list[float] = []
    for row in rows:
        result.requests += 1
        failed = row.error_kind is not None
        error = failed and row.error_kind != CANCELLED
        if row.command == CHECK:
            result.check_requests += 1
            result.check_errors += error
        else:
            result.errors += error
        result.input_tokens += row.input_tokens
        result.output_tokens += row.output_tokens
        result.cache_creation_input_tokens += row.cache_creation_input_tokens
        result.cache_read_input_tokens += row.cache_read_input_tokens
        if row.cost is not None:
            result.cost += row.cost
        elif row.input_tokens or row.output_tokens:
            result.unpriced_requests += 1
        if row.cache_savings is not None:
            result.cache_savings = (result.cache_savings or 0.0) + row.cache_savings
        if not failed and row.latency_ms is not None:
            latencies.append(row.latency_ms)
        if not failed and row.ttft_ms is not None:
            ttfts.append(row.ttft_ms)
    result.latency_p50_ms, result.latency_p95_ms = percentile(latencies, 50), percentile(latencies, 95)
    result.ttft_p50_ms, result.ttft_p95_ms = percentile(ttfts, 50), percentile(ttfts, 95)
    return result


def _rounded(ms: float | None) -> float | None:
    return None if ms is None else round(ms, 1)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest rank: always a value that was measured."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]
