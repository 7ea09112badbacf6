"""`foundry-tui ask`: one prompt in, the reply streamed to stdout; made for pipes and scripts."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from contextlib import aclosing
from typing import Any

from foundry_tui import exitcodes
from foundry_tui.commands.common import secrets, selected_deployment, selected_profile, show_device_code
from foundry_tui.commands.output import paint, print_problem
from foundry_tui.config.profile import ConfigError, Profile
from foundry_tui.service.connect import client_for_profile
from foundry_tui.service.errors import FoundryError
from foundry_tui.service.events import Done, Failed, RetryScheduled, TextDelta
from foundry_tui.service.messages import MessageRequest, TurnResult, request_ids_text


def run(args: argparse.Namespace) -> int:
    prompt = read_prompt(args.prompt)
    profile = selected_profile(args)
    defaults = profile.defaults
    request = MessageRequest(
        model=selected_deployment(args, profile),
        messages=[{"role": "user", "content": prompt}],
        max_tokens=args.max_tokens or defaults.max_tokens,
        system=args.system if args.system is not None else defaults.system,
        temperature=args.temperature if args.temperature is not None else defaults.temperature,
    )
    result, error = asyncio.run(_ask(profile, request, stream_text=not args.json))
    if args.json:
        print(json.dumps(json_output(profile, result, error), ensure_ascii=False))
    else:
        if result.text and not result.text.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
        if sys.stderr.isatty() and error is None:
            print(paint(turn_summary(result), "2", sys.stderr), file=sys.stderr)
    if error is not None:
        print_problem(error.summary(), error.hint, error.ids())
        return exitcodes.for_error_kind(error.kind)
    return exitcodes.OK


def read_prompt(argument: str | None) -> str:
    """The argument, stdin, or both (stdin first, like `llm`), so `cat file | ask "summarise"` works."""
    piped = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    prompt = "\n\n".join(part for part in (piped.strip(), (argument or "").strip()) if part)
    if not prompt:
        raise ConfigError("no prompt given", hint='pass it as an argument (foundry-tui ask "…") or on stdin')
    return prompt


async def _ask(profile: Profile, request: MessageRequest, *, stream_text: bool) -> tuple[TurnResult, FoundryError | None]:
    out = sys.stdout
    async with client_for_profile(profile, secrets(), on_device_code=show_device_code) as client:
        async with aclosing(client.stream(request)) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    if stream_text:
                        out.write(event.text)
                        out.flush()
                elif isinstance(event, RetryScheduled):
                    print(paint(f"retrying in {event.delay:.1f} s ({event.reason})", "33", sys.stderr), file=sys.stderr)
                elif isinstance(event, Done):
                    return event.result, None
                elif isinstance(event, Failed):
                    return event.result, event.error
    raise AssertionError("a stream always ends with Done or Failed")


def turn_summary(result: TurnResult) -> str:
    usage = result.usage
    parts = [result.deployment, f"{usage.input_tokens} in / {usage.output_tokens} out tokens"]
    if result.timings.first_token is not None:
        parts.append(f"{result.timings.first_token * 1000:.0f} ms to first token")
    parts.append(f"stop {result.stop_reason}")
    ids = request_ids_text(result.request_id, result.apim_request_id)
    return " · ".join(parts) + (f"\n{ids}" if ids else "")


def json_output(profile: Profile, result: TurnResult, error: FoundryError | None) -> dict[str, Any]:
    """The Anthropic Messages format, plus a `foundry` object with what support and scripts need."""
    timings = result.timings
    message = result.to_message_dict()
    message["foundry"] = {
        "request_id": result.request_id,
        "apim_request_id": result.apim_request_id,
        "status": result.status,
        "ttft_ms": round(timings.first_token * 1000, 1) if timings.first_token is not None else None,
        "duration_ms": round(timings.total * 1000, 1) if timings.total is not None else None,
        "endpoint": profile.endpoint_url(),
        "deployment": result.deployment,
        "profile": profile.name,
        "error": error.to_dict() if error else None,
    }
    return message
