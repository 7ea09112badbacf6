"""`foundry-tui bench`: time to first token and output speed per deployment, on your endpoint."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from foundry_tui import exitcodes
from foundry_tui.commands.common import secrets, selected_deployment, selected_profile, show_device_code
from foundry_tui.commands.output import paint
from foundry_tui.config.profile import Profile
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
                print(paint(f"benchmarking {deployment} ({runs} requests)…", "2", sys.stderr), file=sys.stderr)
            results.append(await bench_deployment(client, deployment, runs, max_tokens=max_tokens))
        return results


def print_table(profile: Profile, results: list[DeploymentBench]) -> None:
    out = sys.stdout
    width = max(len("deployment"), *(len(result.deployment) for result in results))
    print(f"{paint('profile', '2', out)} {profile.name}   {paint('endpoint', '2', out)} {profile.endpoint_url()}")
    print(paint(f"{'deployment':<{width}}  {'ok':>5}  {'TTFT p50':>9}  {'TTFT p95':>9}  {'out tok/s':>9}  errors", "1", out))
    for result in results:
        rate = result.tokens_per_second()
        ok = f"{len(result.ttft)}/{result.requests}"
        print(
            f"{result.deployment:<{width}}  {ok:>5}  {_ms(result.ttft_percentile(0.5)):>9}  "
            f"{_ms(result.ttft_percentile(0.95)):>9}  {(f'{rate:.1f}' if rate is not None else 'n/a'):>9}  "
            f"{len(result.errors)}"
        )
        for error in dict.fromkeys(result.errors):  # each distinct error once
            print(f"    {paint(error, '31', out)}")


def _ms(seconds: float | None) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds is not None else "n/a"
