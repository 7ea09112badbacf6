"""A conversation as Markdown (to read or share) or JSON (Anthropic messages plus each turn's metadata).

JSON `messages` holds every stored message in order, a reply that failed or was cut with the text
that arrived (possibly none), a prompt with its attachments as the blocks that were sent; `turns`
describes each reply and `attachments` each file (name, type, size), both pointing at their
message by `message_index`. Markdown lists attachments by name.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from foundry_tui.attachments import describe, human_size
from foundry_tui.format import cost, duration, from_ms, request_ids
from foundry_tui.store.conversations import Conversation, StoredMessage


def local_time(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))


def iso_time(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")


def to_json(conversation: Conversation) -> dict[str, Any]:
    messages = conversation.messages
    return {
        "id": conversation.id,
        "title": conversation.title,
        "created_at": iso_time(conversation.created_at),
        "updated_at": iso_time(conversation.updated_at),
        "profile": conversation.profile,
        "system": conversation.system,
        "messages": [{"role": message.role, "content": message.blocks()} for message in messages],
        "turns": [turn_metadata(index, m) for index, m in enumerate(messages) if m.role == "assistant"],
        "attachments": [
            {"message_index": index, "name": a.name, "media_type": a.media_type, "size": a.size, "sha256": a.digest}
            for index, message in enumerate(messages)
            for a in message.attachments
        ],
    }


def turn_metadata(index: int, reply: StoredMessage) -> dict[str, Any]:
    details = reply.details
    return {
        "message_index": index,
        "state": reply.state,
        "created_at": iso_time(reply.created_at),
        "profile": reply.profile,
        "deployment": reply.deployment,
        "model": details.model,
        "stop_reason": details.stop_reason,
        "usage": details.usage,
        "cost": details.cost,
        "status": details.status,
        "request_id": details.request_id,
        "apim_request_id": details.apim_request_id,
        "timings": {"ttft_ms": details.ttft_ms, "duration_ms": details.duration_ms},
        "error": details.error,
    }


def to_json_text(conversation: Conversation) -> str:
    return json.dumps(to_json(conversation), ensure_ascii=False, indent=2) + "\n"


def to_markdown(conversation: Conversation) -> str:
    lines = [f"# {conversation.title}", ""]
    about = [f"`{conversation.id}`", f"started {local_time(conversation.created_at)}"]
    if conversation.profile:
        about.insert(1, f"profile {conversation.profile}")
    lines += [" · ".join(about), ""]
    if conversation.system:
        lines += ["**System prompt**", "", *_quoted(conversation.system), ""]
    for message in conversation.messages:
        if message.role == "user":
            lines += ["## You", "", *_attachment_lines(message), message.text, ""]
        else:
            lines += ["## Claude", "", f"*{reply_summary(message)}*", "", *_reply_body(message)]
    return "\n".join(lines).rstrip() + "\n"


def reply_summary(reply: StoredMessage) -> str:
    """deployment · tokens · cost · timings · stop reason · ids: one line under the heading."""
    details = reply.details
    parts = [reply.deployment or "?"]
    if details.usage:
        parts.append(f"{details.usage.get('input_tokens', 0)} in / {details.usage.get('output_tokens', 0)} out tokens")
        parts.append(cost(details.cost))
    if details.ttft_ms is not None:
        parts.append(f"first token {duration(from_ms(details.ttft_ms))}")
    if details.duration_ms is not None:
        parts.append(f"total {duration(from_ms(details.duration_ms))}")
    if details.stop_reason:
        parts.append(f"stop {details.stop_reason}")
    ids = request_ids(
        f"`{details.request_id}`" if details.request_id else None,
        f"`{details.apim_request_id}`" if details.apim_request_id else None,
    )
    return " · ".join(parts + ([ids] if ids else []))


def _reply_body(reply: StoredMessage) -> list[str]:
    lines: list[str] = []
    for block in reply.blocks():
        kind = block.get("type")
        if kind == "text":
            lines += [block["text"], ""]
        elif kind == "thinking":
            lines += ["<details><summary>Thinking</summary>", "", *_quoted(block["thinking"]), "", "</details>", ""]
        else:
            lines += [f"*[{kind} block]*", ""]
    error = reply.details.error
    if reply.state != "complete":
        note: str = reply.state
        if error:
            note += f" ({error.get('kind')}): {error.get('message')}"
        elif reply.state == "interrupted":
            note += ": the app stopped before the reply ended; the text that arrived is kept"
        lines += [f"> **{note}**", ""]
    return lines


def _attachment_lines(prompt: StoredMessage) -> list[str]:
    if not prompt.attachments:
        return []
    names = [f"- 📎 `{a.name}` ({describe(a.media_type)}, {human_size(a.size)})" for a in prompt.attachments]
    return [*names, ""]


def _quoted(text: str) -> list[str]:
    return [f"> {line}".rstrip() for line in text.splitlines()]
