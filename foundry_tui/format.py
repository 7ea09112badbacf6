"""One way to show a figure, for the CLI and the app alike: durations, token counts, costs, request ids.

Durations are seconds everywhere inside the program; milliseconds exist only where they are stored
or written as JSON (`to_ms`, `from_ms` are the one crossing). Request ids come from server headers,
so they are sanitized here, once, before any terminal sees them.
"""

from __future__ import annotations

import time

from foundry_tui.safetext import terminal_line


def duration(seconds: float | None) -> str:
    """'850 ms' under a second, '2.3 s' from a second on, 'n/a' when unknown."""
    if seconds is None:
        return "n/a"
    milliseconds = round(seconds * 1000)
    return f"{milliseconds} ms" if milliseconds < 1000 else f"{seconds:.1f} s"


def to_ms(seconds: float | None) -> float | None:
    """Seconds as milliseconds (0.1 ms precision), for the history database and JSON output."""
    return None if seconds is None else round(seconds * 1000, 1)


def from_ms(milliseconds: float | None) -> float | None:
    """Milliseconds read back from the history database, as seconds."""
    return None if milliseconds is None else milliseconds / 1000


def tokens(count: int) -> str:
    """'950' and '9500' exact, '12.3k' from ten thousand, '2.5M' from a million."""
    if count >= 999_950:
        return f"{count / 1_000_000:.1f}M"
    return f"{count / 1000:.1f}k" if count >= 10_000 else str(count)


def cost(value: float | None) -> str:
    """US dollars, four decimals under a dollar (a turn costs cents); 'n/a' without a known price."""
    if value is None:
        return "n/a"
    return f"${value:.4f}" if value < 1 else f"${value:.2f}"


def savings(value: float | None) -> str:
    """What caching saved, as `cost` shows money: '$0.0123', '-$0.0004' when a cache write cost more."""
    if value is None:
        return "n/a"
    return cost(value) if value >= 0 else f"-{cost(-value)}"


def request_ids(request_id: str | None, apim_request_id: str | None) -> str:
    """'request-id: … · apim-request-id: …', the ids support asks for; '' when there are none."""
    parts = []
    if request_id:
        parts.append(f"request-id: {terminal_line(request_id)}")
    if apim_request_id:
        parts.append(f"apim-request-id: {terminal_line(apim_request_id)}")
    return " · ".join(parts)


def total_cost(value: float, unpriced_requests: int) -> str:
    """A sum that leaves unpriced requests out says so: '≥ $x', or 'n/a' when nothing in it was priced."""
    if not unpriced_requests:
        return cost(value)
    return f"≥ {cost(value)}" if value else "n/a"


def ago(at: float, now: float) -> str:
    """'just now', '5 min ago', '2 h ago', '3 d ago', then the date."""
    seconds = max(0.0, now - at)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min ago"
    if seconds < 86_400:
        return f"{seconds // 3600:.0f} h ago"
    if seconds < 7 * 86_400:
        return f"{seconds // 86_400:.0f} d ago"
    return time.strftime("%Y-%m-%d", time.localtime(at))
