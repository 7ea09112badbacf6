"""Run every benchmark and print each figure next to its target.

    python -m benchmarks            # the full run (a few minutes; the stock-Markdown baseline is slow)
    python -m benchmarks --quick    # smaller inputs, for CI
    python -m benchmarks --only parse,render
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import platform
import sys

from benchmarks import entra, flood, memory, pace, parse, render, start, terminal
from benchmarks.common import Figure

SUITES = {"parse": parse, "render": render, "pace": pace, "start": start, "memory": memory, "entra": entra, "flood": flood, "terminal": terminal}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()} ({cpu})"


async def run_suites(names: list[str], quick: bool) -> list[Figure]:
    figures: list[Figure] = []
    for name in names:
        print(f"· {name}…", file=sys.stderr, flush=True)
        result = SUITES[name].run(quick)
        figures += await result if inspect.isawaitable(result) else result
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller inputs (CI)")
    parser.add_argument("--only", help="comma-separated: " + ",".join(SUITES))
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(SUITES)
    figures = asyncio.run(run_suites(names, args.quick))
    print(f"foundry-tui benchmarks ({'quick' if args.quick else 'full'}) on {machine()}")
    print(f"{'figure':<52} {'value':>10} {'unit':<6} {'target':<18} verdict")
    for figure in figures:
        print(figure.row())
    missed = [figure.name for figure in figures if figure.ok is False]
    print(f"{len(figures) - len(missed)} of {len(figures)} figures within target" if not missed else f"missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
