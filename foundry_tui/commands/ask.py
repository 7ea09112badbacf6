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
from foundry_tui.commands.storage import prune_days, warn_not_saved
from foundry_tui.config.profile import ConfigError, Profile
from foundry_tui.format import duration, request_ids, to_ms
from foundry_tui.safetext import terminal_line
from foundry_tui.service.client import FoundryClient
from foundry_tui.service.connect import client_for_profile
from foundry_tui.service.errors import FoundryError
from foundry_tui.service.events import Done, Failed, RetryScheduled, TextDelta
from foundry_tui.service.messages import MessageRequest, TurnResult
from foundry_tui.store.async_store import AsyncStore
from foundry_tui.store.conversations import Conversation
from foundry_tui.store.errors import StoreError
from foundry_tui.store.recorder import TurnRecorder
from foundry_tui.store.usage import RequestContext


def run(args: argparse.Namespace) -> int:
    prompt = read_prompt(args.prompt)
    profile = selected_profile(args)
    result, error, conversation_id = asyncio.run(_ask(args, profile, prompt))
    if args.json:
        print(json.dumps(json_output(profile, result, error, conversation_id), ensure_ascii=False))
    else:
        if result.text and not result.text.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
        if sys.stderr.isatty() and error is None:
            print(paint(turn_summary(result, conversation_id), "2", sys.stderr), file=sys.stderr)
    if error is not None:
        print_problem(error)
        return exitcodes.for_error_kind(error.kind)
    return exitcodes.OK


def read_prompt(argument: str | None) -> str:
    """The argument, stdin, or both (stdin first, like `llm`), so `cat file | ask "summarise"` works."""
    piped = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    prompt = "\n\n".join(part for part in (piped.strip(), (argument or "").strip()) if part)
    if not prompt:
        raise ConfigError("no prompt given", hint='pass it as an argument (foundry-tui ask "…") or on stdin')
    return prompt


def build_request(
    args: argparse.Namespace, profile: Profile, prompt: str, earlier: Conversation | None
) -> MessageRequest:
    """The flags win, then (when continuing) the conversation's system prompt, then the profile's defaults."""
    defaults = profile.defaults
    system = defaults.system if earlier is None else earlier.system
    return MessageRequest(
        model=selected_deployment(args, profile),
        messages=[*(earlier.context_messages() if earlier else []), {"role": "user", "content": prompt}],
        max_tokens=args.max_tokens or defaults.max_tokens,
        system=args.system if args.system is not None else system,
        temperature=args.temperature if args.temperature is not None else defaults.temperature,
    )


async def _ask(
    args: argparse.Namespace, profile: Profile, prompt: str
) -> tuple[TurnResult, FoundryError | None, str | None]:
    """(result, error, conversation id: None when the history could not record the turn)."""
    history = await _open_history(required=args.continue_conversation)
    try:
        earlier = await history.call(lambda store: store.conversations.latest()) if args.continue_conversation else None
        request = build_request(args, profile, prompt, earlier)
        async with client_for_profile(profile, secrets(), on_device_code=show_device_code) as client:
            recorder = await _start_recording(history, prompt, request, profile, earlier)
            result, error = await _stream(client, request, recorder, stream_text=not args.json)
    finally:
        if history is not None:
            await history.aclose()
    return result, error, recorder.conversation_id if recorder else None


async def _open_history(*, required: bool) -> AsyncStore | None:
    """`--continue` needs the history; a plain ask goes on without it, with a warning."""
    try:
        return await AsyncStore.open(prune_days=prune_days())
    except StoreError as error:
        if required:
            raise
        warn_not_saved(error)
        return None


async def _start_recording(
    history: AsyncStore | None, prompt: str, request: MessageRequest, profile: Profile, earlier: Conversation | None
) -> TurnRecorder | None:
    if history is None:
        return None
    try:
        return await history.start_turn(
            prompt,
            RequestContext.for_profile("ask", profile, request.model),
            conversation_id=earlier.id if earlier else None,
            system=request.system,
        )
    except StoreError as error:
        warn_not_saved(error)
        return None


async def _stream(
    client: FoundryClient, request: MessageRequest, recorder: TurnRecorder | None, *, stream_text: bool
) -> tuple[TurnResult, FoundryError | None]:
    out = sys.stdout
    try:
        async with aclosing(client.stream(request)) as events:
            async for event in events:
                if recorder is not None:
                    recorder.feed(event)
                if isinstance(event, TextDelta):
                    if stream_text:
                        out.write(event.text)
                        out.flush()
                elif isinstance(event, RetryScheduled):
                    print(paint(f"retrying in {event.delay:.1f} s ({event.reason})", "33", sys.stderr), file=sys.stderr)
                elif isinstance(event, Done):
                    outcome = event.result, None
                elif isinstance(event, Failed):
                    outcome = event.result, event.error
    except BaseException:  # Ctrl-C or a closed pipe: what arrived is kept, as cancelled
        await _finish_recording(recorder, None, None, cancelled=True)
        raise
    await _finish_recording(recorder, *outcome)
    return outcome


async def _finish_recording(
    recorder: TurnRecorder | None, result: TurnResult | None, error: FoundryError | None, *, cancelled: bool = False
) -> None:
    if recorder is None:
        return
    try:
        await recorder.finish(result, error, cancelled=cancelled)
    except StoreError as problem:
        warn_not_saved(problem)


def turn_summary(result: TurnResult, conversation_id: str | None) -> str:
    usage = result.usage
    parts = [terminal_line(result.deployment), f"{usage.input_tokens} in / {usage.output_tokens} out tokens"]
    if result.timings.first_token is not None:
        parts.append(f"{duration(result.timings.first_token)} to first token")
    parts.append(f"stop {terminal_line(str(result.stop_reason))}")
    if conversation_id:
        parts.append(f"conversation {conversation_id}")
    ids = request_ids(result.request_id, result.apim_request_id)
    return " · ".join(parts) + (f"\n{ids}" if ids else "")


def json_output(
    profile: Profile, result: TurnResult, error: FoundryError | None, conversation_id: str | None
) -> dict[str, Any]:
    """The Anthropic Messages format, plus a `foundry` object with what support and scripts need."""
    timings = result.timings
    message = result.to_message_dict()
    message["foundry"] = {
        "request_id": result.request_id,
        "apim_request_id": result.apim_request_id,
        "status": result.status,
        "ttft_ms": to_ms(timings.first_token),
        "duration_ms": to_ms(timings.total),
        "endpoint": profile.endpoint_url(),
        "deployment": result.deployment,
        "profile": profile.name,
        "conversation_id": conversation_id,
        "error": error.to_dict() if error else None,
    }
    return message
