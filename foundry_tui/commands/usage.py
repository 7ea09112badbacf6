"""`foundry-tui usage`: what the last days of requests cost, how many failed, and how fast they were."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from typing import Any

from foundry_tui import exitcodes
from foundry_tui.commands.output import print_table
from foundry_tui.commands.storage import open_store
from foundry_tui.safetext import terminal_line
from foundry_tui.store.export import iso_time, local_time
from foundry_tui.store.usage import SECONDS_PER_DAY, UsageSummary, UsageTotals
from foundry_tui.usage_figures import HEADER, cells


def run(args: argparse.Namespace) -> int:
    until = time.time()
    with open_store() as store:
        summary = store.usage.summary(until - args.days * SECONDS_PER_DAY, by=args.by, until=until)
    if args.json:
        print(json.dumps(summary_json(summary, args.days), indent=2))
    else:
        print_summary(summary, args.days)
    return exitcodes.OK


def summary_json(summary: UsageSummary, days: int) -> dict[str, Any]:
    return {
        "days": days,
        "since": iso_time(summary.since),
        "until": iso_time(summary.until),
        "by": summary.by,
        "total": totals_json(summary.total),
        "groups": [totals_json(group) for group in summary.groups],
    }


def totals_json(totals: UsageTotals) -> dict[str, Any]:
    return {**asdict(totals), "error_rate": totals.error_rate}


def print_summary(summary: UsageSummary, days: int) -> None:
    print(f"Usage over the last {days} days: {local_time(summary.since)} to {local_time(summary.until)}, local time")
    print()
    table = [[terminal_line(group.key or "?"), *cells(group)] for group in summary.groups] + [["total", *cells(summary.total)]]
    print_table([(summary.by or "").upper(), *HEADER], table, right=set(range(1, len(HEADER) + 1)))
    unpriced = summary.total.unpriced_requests
    if unpriced:
        print(f"\nCost leaves out {unpriced} requests to deployments without a known price "
              "(set one under [profiles.NAME.prices.DEPLOYMENT] in the config file).")
    checks = summary.total
    if checks.check_requests:
        print(f"\n{checks.check_errors} of {checks.check_requests} checks failed (not in the error rate).")

