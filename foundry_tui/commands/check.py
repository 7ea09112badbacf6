"""`foundry-tui check`: is the endpoint, the credential and each deployment answering?"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from foundry_tui import exitcodes
from foundry_tui.commands.common import secrets, selected_deployment, selected_profile, show_device_code
from foundry_tui.commands.output import paint, print_problem
from foundry_tui.commands.storage import open_store, warn_not_saved
from foundry_tui.config.profile import Profile
from foundry_tui.format import duration, request_ids, to_ms
from foundry_tui.safetext import terminal_line
from foundry_tui.service.check import CheckResult, check_all
from foundry_tui.service.connect import client_for_profile
from foundry_tui.service.retry import RetryPolicy
from foundry_tui.store.errors import StoreError
from foundry_tui.store.usage import RequestContext


def run(args: argparse.Namespace) -> int:
    profile = selected_profile(args)
    deployments = list(profile.deployments) if args.all else [selected_deployment(args, profile)]
    if args.all and args.deployment:
        deployments = [args.deployment, *(d for d in deployments if d != args.deployment)]
    if not deployments:
        deployments = [selected_deployment(args, profile)]
    results = asyncio.run(_check(profile, deployments, args.timeout))
    if args.json:
        for result in results:
            print(json.dumps(result.to_json()))
    else:
        print_report(results)
    record(profile, results)
    failure = next((result.error for result in results if result.error is not None), None)
    return exitcodes.for_error_kind(failure.kind) if failure else exitcodes.OK


async def _check(profile: Profile, deployments: list[str], timeout: float) -> list[CheckResult]:
    client = client_for_profile(profile, secrets(), retry=RetryPolicy(max_retries=0), on_device_code=show_device_code)
    async with client:
        return await check_all(client, profile.name, deployments, timeout=timeout)


def record(profile: Profile, results: list[CheckResult]) -> None:
    """One usage row per deployment checked; an unusable history only costs a warning."""
    rows = [
        RequestContext.for_profile("check", profile, result.deployment).row(
            status=result.status,
            error_kind=result.error.kind if result.error else None,
            usage=result.usage,
            latency_ms=to_ms(result.latency),
            ttft_ms=to_ms(result.ttft),
            request_id=result.request_id,
            apim_request_id=result.apim_request_id,
        )
        for result in results
    ]
    try:
        with open_store() as store:
            store.usage.log(*rows)
    except StoreError as error:
        warn_not_saved(error)


def print_report(results: list[CheckResult]) -> None:
    """Names, the endpoint and everything the server sent are sanitized: this goes to a terminal."""
    out = sys.stdout
    first = results[0]
    print(f"{paint('profile', '2', out)}  {terminal_line(first.profile)}   {paint('auth', '2', out)}  {terminal_line(first.auth)}")
    print(f"{paint('endpoint', '2', out)} {terminal_line(first.endpoint)}")
    names = {result.deployment: terminal_line(result.deployment) for result in results}
    width = max(len(name) for name in names.values())
    for result in results:
        mark = paint("✓", "1;32", out) if result.ok else paint("✗", "1;31", out)
        status = result.status if result.status is not None else "---"
        line = f"{mark} {names[result.deployment]:<{width}}  {status}  {duration(result.latency)} total"
        if result.ok:
            line += f", {duration(result.ttft)} to first token"
            if result.usage:
                line += f", {result.usage.input_tokens} in / {result.usage.output_tokens} out tokens"
        print(line)
        if result.error:
            print_problem(result.error, stream=out, label="", indent="    ")
        elif ids := request_ids(result.request_id, result.apim_request_id):
            print(f"    {paint(ids, '2', out)}")
