"""The Messages API: parsing a request, composing the assistant turn, rendering it as a Message
JSON or as the exact SSE event sequence Foundry streams."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .attachments import ATTACHMENT_TYPES, block_summary, received
from .errors import InvalidRequest
from .sse import PING, Event, encode_event

# Long streams carry an occasional ping, as the real service's do.
PING_EVERY_DELTAS = 1000
CHARS_PER_TOKEN = 4
_ID_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    """An id like the service's: `req_`/`msg_` and 24 random base62 characters."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


@dataclass(frozen=True, slots=True)
class MessagesRequest:
    model: str  # the deployment name
    messages: Sequence[dict[str, Any]]
    max_tokens: int
    system_text: str = ""
    stream: bool = False
    thinking_budget: int | None = None
    stop_sequences: Sequence[str] = ()
    temperature: float | None = None
    system_blocks: Sequence[Any] = ()  # `system` as blocks (a string is one text block), cache_control kept

    @property
    def prompt(self) -> str:
        """The latest user text: what the reply is about."""
        user_turns = [message for message in self.messages if message.get("role") == "user"]
        return _content_text(user_turns[-1].get("content")) if user_turns else ""

    @property
    def conversation_text(self) -> str:
        """Everything the model reads: the basis for input tokens and for seeding the reply."""
        return "\n".join([self.system_text, *(_content_text(message.get("content")) for message in self.messages)])


def parse_messages_request(body: bytes) -> MessagesRequest:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise InvalidRequest(f"Request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidRequest("Request body must be a JSON object")
    model = _field(data, "model", str)
    max_tokens = _field(data, "max_tokens", int)
    if max_tokens < 1:
        raise InvalidRequest("max_tokens: Input should be greater than or equal to 1")
    messages = _field(data, "messages", list)
    if not messages or not all(isinstance(message, dict) for message in messages):
        raise InvalidRequest("messages: at least one message object is required")
    thinking = data.get("thinking") or {}
    if not isinstance(thinking, dict):
        raise InvalidRequest("thinking: Input should be a valid dictionary")
    temperature = data.get("temperature")
    if temperature is not None and (isinstance(temperature, bool) or not isinstance(temperature, int | float)):
        raise InvalidRequest("temperature: Input should be a valid number")
    stop_sequences = data.get("stop_sequences") or []
    if not isinstance(stop_sequences, list) or not all(isinstance(sequence, str) for sequence in stop_sequences):
        raise InvalidRequest("stop_sequences: Input should be a valid list of strings")
    system = data.get("system")
    return MessagesRequest(
        model=model,
        messages=messages,
        max_tokens=max_tokens,
        system_text=_content_text(system),
        system_blocks=system if isinstance(system, list) else [{"type": "text", "text": system}] if system else [],
        stream=data.get("stream") is True,
        thinking_budget=_field(thinking, "budget_tokens", int) if thinking.get("type") == "enabled" else None,
        stop_sequences=[sequence for sequence in stop_sequences if sequence],
        temperature=temperature,
    )


def _field(data: dict[str, Any], name: str, kind: type) -> Any:
    if name not in data:
        raise InvalidRequest(f"{name}: Field required")
    value = data[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InvalidRequest(f"{name}: Input should be a valid {kind.__name__}")
    return value


def _content_text(content: Any) -> str:
    """Text of a `content`/`system` value: a string, or a list of blocks (non-text blocks count as their JSON)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(block_text(block) for block in content)
    return json.dumps(content)


def block_text(block: Any) -> str:
    if isinstance(block, dict) and block.get("type") in ATTACHMENT_TYPES:
        try:  # megabytes of base64 would only slow the reply down
            return block_summary(block)
        except (KeyError, TypeError, ValueError):  # not validated yet (a `system` value): its JSON, as before
            return json.dumps(block)
    text = block.get("text") if isinstance(block, dict) else None
    return text if isinstance(text, str) else json.dumps(block)


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
        }


@dataclass(frozen=True, slots=True)
class ContentBlock:
    type: str  # "thinking", "text" or "server_tool_use"
    deltas: Sequence[str]  # the text, the thinking, or the tool input's JSON in fragments
    signature: str = ""  # thinking blocks only
    tool_id: str = ""  # server_tool_use blocks only
    tool_name: str = ""  # server_tool_use blocks only

    def content(self, *, complete: bool) -> dict[str, Any]:
        """The block as the API shows it: empty in `content_block_start`, complete in a Message."""
        text = "".join(self.deltas) if complete else ""
        if self.type == "thinking":
            return {"type": "thinking", "thinking": text, "signature": self.signature if complete else ""}
        if self.type == "server_tool_use":
            return {"type": self.type, "id": self.tool_id, "name": self.tool_name, "input": json.loads(text or "{}")}
        return {"type": "text", "text": text}

    def delta_event(self, index: int, chunk: str) -> Event:
        if self.type == "server_tool_use":
            delta = {"type": "input_json_delta", "partial_json": chunk}
        else:
            delta = {"type": f"{self.type}_delta", self.type: chunk}  # text_delta/text or thinking_delta/thinking
        return _block_event("content_block_delta", index, tokens=1, delta=delta)


@dataclass(frozen=True, slots=True)
class Turn:
    """One assistant message, fully decided before anything is sent."""

    message_id: str
    model: str
    blocks: Sequence[ContentBlock]
    stop_reason: str
    stop_sequence: str | None
    usage: Usage
    stop_details: dict[str, Any] | None = None  # a refusal's category and explanation

    def stop_fields(self) -> dict[str, Any]:
        """What ends the message: in a Message, and in the `message_delta` event's `delta`."""
        fields: dict[str, Any] = {"stop_reason": self.stop_reason, "stop_sequence": self.stop_sequence}
        return fields if self.stop_details is None else {**fields, "stop_details": self.stop_details}


def compose_turn(
    request: MessagesRequest, *, reply_tokens: int | None, cache_read_tokens: int = 0, cache_write_tokens: int = 0
) -> Turn:
    """The reply to `request`: optional thinking, then text cut by stop sequences and max_tokens.

    The prompt's tokens are split as the API reports them: read from the cache, written to it, and
    the rest (`input_tokens`).
    """
    from .replies import (  # with the first request: `--demo` starts sooner
        compose_reply,
        compose_thinking,
        split_into_deltas,
    )

    seed = request.conversation_text
    budget = request.max_tokens
    blocks: list[ContentBlock] = []
    if request.thinking_budget is not None:
        thinking = split_into_deltas(compose_thinking(request.prompt, seed, request.thinking_budget))
        thinking = thinking[: min(budget, request.thinking_budget)]
        blocks.append(ContentBlock("thinking", thinking, _signature("".join(thinking))))
        budget -= len(thinking)
    reply = compose_reply(request.prompt, seed, reply_tokens)
    if note := received(request.messages):
        reply = f"{note}\n\n{reply}"
    text, stop_sequence = _cut_at_stop_sequence(reply, request.stop_sequences)
    deltas = split_into_deltas(text)
    stop_reason = "stop_sequence" if stop_sequence else "end_turn"
    if len(deltas) > budget:
        deltas, stop_reason, stop_sequence = deltas[:budget], "max_tokens", None
    if budget > 0:
        blocks.append(ContentBlock("text", deltas))
    input_tokens = max(1, len(seed) // CHARS_PER_TOKEN)
    usage = Usage(
        input_tokens=max(1, input_tokens - cache_read_tokens - cache_write_tokens),
        output_tokens=sum(len(block.deltas) for block in blocks),
        cache_read_input_tokens=cache_read_tokens,
        cache_creation_input_tokens=cache_write_tokens,
    )
    return Turn(new_id("msg_"), request.model, blocks, stop_reason, stop_sequence, usage)


def _cut_at_stop_sequence(text: str, stop_sequences: Sequence[str]) -> tuple[str, str | None]:
    hits = [(text.find(sequence), sequence) for sequence in stop_sequences if sequence in text]
    if not hits:
        return text, None
    index, sequence = min(hits)
    return text[:index], sequence


def _signature(thinking: str) -> str:
    """Opaque and deterministic, shaped like the real base64 signatures."""
    return base64.b64encode(hashlib.sha512(thinking.encode()).digest() * 4).decode()


def message_json(turn: Turn) -> dict[str, Any]:
    return {
        **_message_envelope(turn),
        "content": [block.content(complete=True) for block in turn.blocks],
        **turn.stop_fields(),
        "usage": turn.usage.to_dict(),
    }


def stream_events(turn: Turn) -> list[Event]:
    """message_start, ping, each block's start/deltas/stop, message_delta, message_stop."""
    start_usage = {**turn.usage.to_dict(), "output_tokens": 1}
    start: dict[str, object] = {
        **_message_envelope(turn),
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": start_usage,
    }
    events = [encode_event("message_start", {"type": "message_start", "message": start}), PING]
    deltas_sent = 0
    for index, block in enumerate(turn.blocks):
        events.append(_block_event("content_block_start", index, content_block=block.content(complete=False)))
        for chunk in block.deltas:
            events.append(block.delta_event(index, chunk))
            deltas_sent += 1
            if deltas_sent % PING_EVERY_DELTAS == 0:
                events.append(PING)
        if block.signature:
            signature = {"type": "signature_delta", "signature": block.signature}
            events.append(_block_event("content_block_delta", index, delta=signature))
        events.append(_block_event("content_block_stop", index))
    usage = {"output_tokens": turn.usage.output_tokens}
    events.append(encode_event("message_delta", {"type": "message_delta", "delta": turn.stop_fields(), "usage": usage}))
    events.append(encode_event("message_stop", {"type": "message_stop"}))
    return events


def _block_event(name: str, index: int, *, tokens: int = 0, **fields: object) -> Event:
    return encode_event(name, {"type": name, "index": index, **fields}, tokens=tokens)


def _message_envelope(turn: Turn) -> dict[str, str]:
    return {"id": turn.message_id, "type": "message", "role": "assistant", "model": turn.model}
