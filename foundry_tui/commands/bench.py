"""`foundry-tui bench`: time to first token and output speed per deployment, on your endpoint."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from foundry_tui import exitcodes
from foundry_tui.commands.common import secrets, selected_deployment, selected_profile, show_device_code
from foundry_tui.commands.output import paint, print_problem
from foundry_tui.config.profile import Profile
from foundry_tui.format import duration
from foundry_tui.safetext import terminal_line
from foundry_tui.service.bench import DeploymentBench, bench_deployment
from foundry_tui.service.connect import client_for_profile


def run(args: argparse.Namespace) -> int:
    profile = selected_profile(args)
    deployments = [name.strip() for name in args.deployment.split(",") if name.strip()] if args.deployment else []
    if not deployments:
        deployments = list(profile.deployments) or [selected_deployment(args, profile)]
    results = asyncio.run(_bench(profile, deployments, args.runs, args.max_tokens, quiet=args.json))
    if args.json:
        for result in results:
            print(json.dumps(result.to_json()))
    else:
        print_table(profile, results)
    return exitcodes.OTHER if any(result.errors for result in results) else exitcodes.OK


async def _bench(profile: Profile, deployments: list[str], runs: int, max_tokens: int, *, quiet: bool) -> list[DeploymentBench]:
    async with client_for_profile(profile, secrets(), on_device_code=show_device_code) as client:
        results = []
        for deployment in deployments:  # one at a time, so deployments do not slow each other down
            if not quiet and sys.stderr.isatty():
                print(paint(f"benchmarking {terminal_line(deployment)} ({runs} requests)…", "2", sys.stderr), file=sys.stderr)
            results.append(await bench_deployment(client, deployment, runs, max_tokens=max_tokens))
        return results


def print_table(profile: Profile, results: list[DeploymentBench]) -> None:
    """Deployment names and the server's errors and ids are sanitized: this goes to a terminal."""
    out = sys.stdout
    names = {result.deployment: terminal_line(result.deployment) for result in results}
    width = max(len("deployment"), *(len(name) for name in names.values()))
    endpoint = terminal_line(profile.endpoint_url())
    print(f"{paint('profile', '2', out)} {terminal_line(profile.name)}   {paint('endpoint', '2', out)} {endpoint}")
    print(paint(f"{'deployment':<{width}}  {'ok':>5}  {'TTFT p50':>9}  {'TTFT p95':>9}  {'out tok/s':>9}  errors", "1", out))
    for result in results:
        rate = result.tokens_per_second()
        ok = f"{len(result.ttft)}/{result.requests}"
        print(
            f"{names[result.deployment]:<{width}}  {ok:>5}  {duration(result.ttft_percentile(0.5)):>9}  "
            f"{duration(result.ttft_percentile(0.95)):>9}  {(f'{rate:.1f}' if rate is not None else 'n/a'):>9}  "
            f"{len(result.errors)}"
        )
        distinct = {(error.summary(), error.hint, error.ids()): error for error in result.errors}
        for error in distinct.values():  # each distinct error once, with the ids support asks for
            print_problem(error, stream=out, label="", indent="    ")
