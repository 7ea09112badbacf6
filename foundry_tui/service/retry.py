"""When and how long to wait before retrying a failed request (the official SDK's rules)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUSES = frozenset({408, 409, 429})
MAX_SERVER_DELAY = 60.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0

    def should_retry(self, status: int | None, headers: Mapping[str, str] | None = None) -> bool:
        """`status` None means the request never got an answer (connection error, timeout)."""
        override = (headers or {}).get("x-should-retry")
        if override in ("true", "false"):
            return override == "true"
        return status is None or status in RETRYABLE_STATUSES or status >= 500

    def delay(self, retry_index: int, headers: Mapping[str, str] | None = None) -> float:
        """Seconds before retry number `retry_index` (0-based): the server's word, else backoff."""
        server = server_delay(headers or {})
        if server is not None:
            return server
        backoff = min(self.base_delay * 2.0**retry_index, self.max_delay)
        return backoff * (1 - 0.25 * random.random())


def server_delay(headers: Mapping[str, str]) -> float | None:
    """`retry-after-ms`, else `retry-after` (seconds or an HTTP date), if within (0, 60] s."""
    value: float | None = None
    if (ms := headers.get("retry-after-ms")) is not None:
        value = _number(ms, scale=0.001)
    if value is None and (after := headers.get("retry-after")) is not None:
        value = _number(after, scale=1.0)
        if value is None:
            value = _seconds_until(after)
    if value is not None and 0 < value <= MAX_SERVER_DELAY:
        return value
    return None


def _number(text: str, *, scale: float) -> float | None:
    try:
        return float(text) * scale
    except ValueError:
        return None


def _seconds_until(http_date: str) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - datetime.now(UTC)).total_seconds()
