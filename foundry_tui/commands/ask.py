"""`foundry-tui ask`: one prompt in, the reply streamed to stdout; made for pipes and scripts.

It drives the same `ChatSession` and `run_turn()` as the app: one request precedence, one set of
send-back rules for `--continue`, one record/stream/finish/cancel loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foundry_tui import exitcodes
from foundry_tui.attachments import Attachment, check_request_size, read_attachment
from foundry_tui.commands.common import secrets, selected_deployment, selected_profile, show_device_code
from foundry_tui.commands.output import paint, print_problem
from foundry_tui.commands.storage import prune_days, warn_not_saved
from foundry_tui.config.profile import Profile
from foundry_tui.format import duration, request_ids, to_ms
from foundry_tui.problem import Problem
from foundry_tui.safetext import terminal_line, terminal_text
from foundry_tui.service.connect import client_for_profile
from foundry_tui.service.errors import FoundryError
from foundry_tui.service.events import Done, Failed, RetryScheduled, TextDelta
from foundry_tui.service.messages import TurnResult
from foundry_tui.service.pricing import cache_savings, estimate_cost, price_for
from foundry_tui.session.chat import REFUSAL_NOTE, ChatSession, ChatSettings
from foundry_tui.session.turn import HistoryWarning, TurnEvent, run_turn
from foundry_tui.store.async_store import AsyncStore
from foundry_tui.store.errors import StoreError

NO_PROMPT_HINT = 'pass it as an argument (foundry-tui ask "…") or on stdin'


@dataclass(slots=True)
class Answer:
    result: TurnResult
    error: FoundryError | None
    conversation_id: str | None  # None when the history could not record the turn


def run(args: argparse.Namespace) -> int:
    try:
        attachments = read_attachments(args.attach)
    except Problem as problem:  # nothing is sent
        print_problem(problem)
        return exitcodes.USAGE
    prompt = read_prompt(args.prompt)
    if not prompt:
        print_problem(Problem("no prompt given", NO_PROMPT_HINT))
        return exitcodes.USAGE
    profile = selected_profile(args)
    answer = asyncio.run(_ask(args, profile, prompt, attachments))
    result, error = answer.result, answer.error
    for warning in result.warnings:
        print(f"{paint('warning:', '33', sys.stderr)} {terminal_line(warning)}", file=sys.stderr)
    if args.json:
        print(json.dumps(json_output(profile, answer), ensure_ascii=False))
    else:
        if result.text and not result.text.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
        if result.stop_reason == "refusal":
            print(paint(REFUSAL_NOTE, "33", sys.stderr), file=sys.stderr)
        if sys.stderr.isatty() and error is None:
            print(paint(turn_summary(result, answer.conversation_id), "2", sys.stderr), file=sys.stderr)
    if error is not None:
        print_problem(error)
        return exitcodes.for_error_kind(error.kind)
    return exitcodes.OK


def read_attachments(paths: Sequence[str]) -> list[Attachment]:
    """Every `-a FILE`, read and checked before anything is sent; raises AttachmentError."""
    attachments = [read_attachment(Path(path)) for path in paths]
    check_request_size(attachments)
    return attachments


def read_prompt(argument: str | None) -> str:
    """The argument, stdin, or both (stdin first, like `llm`), so `cat file | ask "summarise"` works.

    Bytes that are not UTF-8 are replaced (with a warning), never a traceback.
    """
    piped = "" if sys.stdin is None or sys.stdin.isatty() else _read_stdin()
    return "\n\n".join(part for part in (piped.strip(), (argument or "").strip()) if part)


def _read_stdin() -> str:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # already text (a test's StringIO)
        return sys.stdin.read()
    data = stream.read()
    try:
        return str(data.decode("utf-8"))
    except UnicodeDecodeError:
        print(f"{paint('warning:', '33', sys.stderr)} stdin is not UTF-8 text: undecodable bytes became �",
              file=sys.stderr)
        return str(data.decode("utf-8", errors="replace"))


async def _ask(args: argparse.Namespace, profile: Profile, prompt: str, attachments: list[Attachment]) -> Answer:
    history = await _open_history(required=args.continue_conversation)
    settings = ChatSettings(
        system=args.system, max_tokens=args.max_tokens, temperature=args.temperature, prompt_caching=args.prompt_caching
    )
    try:
        earlier = None
        if history is not None and args.continue_conversation:
            earlier = await history.call(lambda store: store.conversations.latest())
        if earlier is not None:
            session = ChatSession.resume(earlier, settings)
        else:  # without -c the prompt is never sent again: only a long system prompt is worth caching
            session = ChatSession(settings, one_shot=not args.continue_conversation)
        async with client_for_profile(profile, secrets(), on_device_code=show_device_code) as client:
            turn = run_turn(session, prompt, client=client, profile=profile, deployment=selected_deployment(args, profile),
                            history=history, source="ask", timeout=args.timeout,
                            on_cancel_not_saved=warn_not_saved, attachments=attachments)
            ending = await _stream(turn, stream_text=not args.json)
    finally:
        if history is not None:
            await history.aclose()
    error = ending.error if isinstance(ending, Failed) else None
    return Answer(ending.result, error, session.conversation_id if history is not None else None)


async def _open_history(*, required: bool) -> AsyncStore | None:
    """`--continue` needs the history; a plain ask goes on without it, with a warning."""
    try:
        return await AsyncStore.open(prune_days=prune_days())
    except StoreError as error:
        if required:
            raise
        warn_not_saved(error)
        return None


async def _stream(turn: AsyncGenerator[Sequence[TurnEvent], None], *, stream_text: bool) -> Done | Failed:
    """Write the text as it arrives, one write per network read (sanitized on a terminal, exact bytes
    to a pipe); the turn's ending."""
    out = sys.stdout
    to_terminal = out.isatty()
    ending: Done | Failed | None = None
    async with aclosing(turn) as batches:
        async for batch in batches:
            if stream_text and (text := "".join([event.text for event in batch if type(event) is TextDelta])):
                out.write(terminal_text(text) if to_terminal else text)
                out.flush()
            for event in batch:
                match event:
                    case RetryScheduled(delay=delay, reason=reason):
                        print(paint(f"retrying in {delay:.1f} s ({reason})", "33", sys.stderr), file=sys.stderr)
                    case HistoryWarning(error=error):
                        warn_not_saved(error)
                    case Done() | Failed():
                        ending = event
    if ending is None:  # run_turn always ends with Done or Failed, unless cancelled (which raises)
        raise RuntimeError("the turn ended without a result")
    return ending


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


def json_output(profile: Profile, answer: Answer) -> dict[str, Any]:
    """The Anthropic Messages format, plus a `foundry` object with what support and scripts need."""
    result, error = answer.result, answer.error
    timings = result.timings
    price = price_for(result.deployment, result.model, profile.prices)
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
        "conversation_id": answer.conversation_id,
        "cost": estimate_cost(result.usage, price),  # USD; null when the deployment has no known price
        "cache_savings": cache_savings(result.usage, price),
        "error": error.to_dict() if error else None,
    }
    return message
