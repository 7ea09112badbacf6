"""The data a Messages turn produces: requests, content blocks, usage and the assembled result.

Plain dataclasses so the UI, the CLI and the store can hold them without knowing about HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ANTHROPIC_VERSION = "2023-06-01"
MAX_TOKEN_COUNT = 10**9  # far above any real turn; past it a count is junk (and would overflow SQLite)
MAX_ID_CHARS = 200  # ids, model names, stop reasons, header values: real ones are under 100
# Prompt caching's breakpoint: the prefix up to the block carrying it is cached for 5 minutes.
CACHE_CONTROL: dict[str, str] = {"type": "ephemeral"}
_COUNT_FIELDS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
MAX_USAGE_EXTRAS = 16  # other usage figures kept as sent (cache_creation, server_tool_use, …); real ones are a handful
MAX_EXTRA_CHARS = 2000  # one such figure, as JSON: real ones are tiny objects


def bounded(text: str, limit: int = MAX_ID_CHARS) -> str:
    """`text` cut to `limit` characters: an id or a name from a server never grows without bound."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(slots=True)
class MessageRequest:
    """One Messages API call. `model` is the Foundry deployment name, not a model id."""

    model: str
    messages: list[dict[str, Any]]
    max_tokens: int = 4096
    system: str | None = None
    temperature: float | None = None
    thinking_budget: int | None = None
    stop_sequences: list[str] | None = None
    cache_system: bool = False  # send `system` as one text block carrying a cache breakpoint

    def to_body(self, *, stream: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "messages": self.messages,
            "stream": stream,
        }
        if self.system:
            body["system"] = (
                [{"type": "text", "text": self.system, "cache_control": dict(CACHE_CONTROL)}]
                if self.cache_system
                else self.system
            )
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if self.thinking_budget:
            body["thinking"] = {"type": "enabled", "budget_tokens": self.thinking_budget}
        if self.stop_sequences:
            body["stop_sequences"] = self.stop_sequences
        return body


@dataclass(slots=True)
class Usage:
    """Token counts; the stream reports them cumulatively, so later values replace earlier ones."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    service_tier: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)  # the other figures (cache_creation, …), as sent

    def update(self, raw: Mapping[str, Any]) -> list[str]:
        """Overwrite only the fields the server sent valid values for (a null means "not reported").

        Returns the names of the fields refused: counts that are not integers in [0, 10**9], a
        service tier that is not a short string, other figures too many or too large. Those keep
        their previous (safe) values.
        """
        refused: list[str] = []
        for name in _COUNT_FIELDS:
            value = raw.get(name)
            if value is None:
                continue
            if type(value) is int and 0 <= value <= MAX_TOKEN_COUNT:  # bool is an int subclass: refused
                setattr(self, name, value)
            else:
                refused.append(name)
        tier = raw.get("service_tier")
        if tier is not None:
            if isinstance(tier, str) and len(tier) <= MAX_ID_CHARS:
                self.service_tier = tier
            else:
                refused.append("service_tier")
        for name, value in raw.items():
            if value is None or name in _COUNT_FIELDS or name == "service_tier":
                continue
            if self._fits(name, value):
                self.extras[name] = value
            else:
                refused.append(bounded(str(name), 40))
        return refused

    def _fits(self, name: object, value: object) -> bool:
        """A figure this client does not interpret is kept as sent, within bounds."""
        if not isinstance(name, str) or len(name) > MAX_ID_CHARS:
            return False
        if name not in self.extras and len(self.extras) >= MAX_USAGE_EXTRAS:
            return False
        return len(json.dumps(value)) <= MAX_EXTRA_CHARS

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
        }
        if self.service_tier is not None:
            data["service_tier"] = self.service_tier
        return {**self.extras, **data}


@dataclass(slots=True)
class TextBlock:
    text: str = ""
    citations: list[Any] | None = None  # None: the server sent none (not even an empty list)
    type: str = "text"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": "text", "text": self.text}
        if self.citations is not None:
            data["citations"] = self.citations
        return data


@dataclass(slots=True)
class ThinkingBlock:
    thinking: str = ""
    signature: str = ""
    type: str = "thinking"

    def to_dict(self) -> dict[str, Any]:
        return {"type": "thinking", "thinking": self.thinking, "signature": self.signature}


@dataclass(slots=True)
class ToolUseBlock:
    """A tool call, the client's (`tool_use`) or the server's own (`server_tool_use`, `mcp_tool_use`)."""

    id: str
    name: str
    input: Any = None
    type: str = "tool_use"
    extra: dict[str, Any] = field(default_factory=dict)  # the block's other fields (caller, …), as sent

    def to_dict(self) -> dict[str, Any]:
        return {**self.extra, "type": self.type, "id": self.id, "name": self.name, "input": self.input}


@dataclass(slots=True)
class OtherBlock:
    """A block type this client does not interpret (redacted thinking, server tools, …), kept as sent."""

    data: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.data.get("type", "unknown"))

    def to_dict(self) -> dict[str, Any]:
        return dict(self.data)


ContentBlock = TextBlock | ThinkingBlock | ToolUseBlock | OtherBlock


@dataclass(slots=True)
class Timings:
    """Seconds from sending the request (of the attempt that answered)."""

    headers: float | None = None
    first_token: float | None = None
    total: float | None = None


@dataclass(slots=True)
class TurnResult:
    """Everything one turn produced, complete or partial (after an error or a cancel)."""

    deployment: str
    message_id: str | None = None
    model: str | None = None
    content: list[ContentBlock] = field(default_factory=list)
    stop_reason: str | None = None
    stop_sequence: str | None = None
    stop_details: dict[str, Any] | None = None  # why it stopped, beyond the reason (a refusal's category)
    container: dict[str, Any] | None = None  # the code-execution container the server used
    usage: Usage = field(default_factory=Usage)
    status: int | None = None
    request_id: str | None = None
    apim_request_id: str | None = None
    timings: Timings = field(default_factory=Timings)
    attempts: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The reply's text blocks joined: what the user reads as the answer."""
        return "".join(block.text for block in self.content if isinstance(block, TextBlock))

    def output_tokens_per_second(self) -> float | None:
        t = self.timings
        if t.first_token is None or t.total is None or t.total <= t.first_token:
            return None
        return self.usage.output_tokens / (t.total - t.first_token)

    def to_message_dict(self) -> dict[str, Any]:
        """The result in the Anthropic Messages response format, as the SDK's final message has it."""
        message: dict[str, Any] = {
            "id": self.message_id,
            "type": "message",
            "role": "assistant",
            "model": self.model or self.deployment,
            "content": [block.to_dict() for block in self.content],
            "stop_reason": self.stop_reason,
            "stop_sequence": self.stop_sequence,
            "usage": self.usage.to_dict(),
        }
        if self.stop_details is not None:
            message["stop_details"] = self.stop_details
        if self.container is not None:
            message["container"] = self.container
        return message
