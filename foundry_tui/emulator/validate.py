"""What the real Messages API refuses: the emulator answers these with 400 `invalid_request_error`.

A lenient emulator lets tests pass where real use fails, so every rule here mirrors one the real
service enforces, with its wording. Only what the real API rejects is rejected: consecutive
messages with the same role are merged by the API ("consecutive user or assistant turns in your
request will be combined into a single turn", Messages API reference), so they pass.

Sources:

- Messages API reference, https://docs.claude.com/en/api/messages (`messages`, `max_tokens`).
- Vision and PDF support (image and document blocks): see `attachments.py`.
- Extended thinking, https://docs.claude.com/en/docs/build-with-claude/extended-thinking
  (`budget_tokens` ≥ 1024 and < `max_tokens`; temperature only 1 with thinking).
- Prompt caching, https://docs.claude.com/en/docs/build-with-claude/prompt-caching (at most 4
  `cache_control` breakpoints, of type "ephemeral").
- Models overview, https://docs.claude.com/en/docs/about-claude/models/overview (output limits).
- The error texts as the service sends them (quoted in the Python SDK's and Claude Code's issue
  trackers, e.g. the empty text block a refusal leaves behind).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .attachments import ATTACHMENT_TYPES, check_attachment
from .errors import InvalidRequest
from .messages import MessagesRequest

MIN_THINKING_BUDGET = 1024
MAX_CACHE_BREAKPOINTS = 4
_THINKING_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"

# Max output tokens per model id and its dated form (Models overview and each model's page).
# A deployment named otherwise has no known limit here, and is not checked.
MAX_OUTPUT_TOKENS: Mapping[str, int] = {
    "claude-opus-4-5": 64_000,
    "claude-opus-4-5-20251101": 64_000,
    "claude-sonnet-4-5": 64_000,
    "claude-sonnet-4-5-20250929": 64_000,
    "claude-haiku-4-5": 64_000,
    "claude-haiku-4-5-20251001": 64_000,
    "claude-opus-4-1": 32_000,
    "claude-opus-4-1-20250805": 32_000,
    "claude-opus-4-0": 32_000,
    "claude-opus-4-20250514": 32_000,
    "claude-sonnet-4-0": 64_000,
    "claude-sonnet-4-20250514": 64_000,
    "claude-3-7-sonnet-latest": 64_000,
    "claude-3-7-sonnet-20250219": 64_000,
    "claude-3-5-haiku-latest": 8_192,
    "claude-3-5-haiku-20241022": 8_192,
}


def validate_request(request: MessagesRequest) -> None:
    """Raise `InvalidRequest` with the real API's wording for the first rule `request` breaks."""
    _check_messages(request.messages)
    _check_max_tokens(request.model, request.max_tokens)
    _check_thinking(request)
    _check_cache_control(request)


def _check_messages(messages: Sequence[Mapping[str, Any]]) -> None:
    for index, message in enumerate(messages):
        if message.get("role") not in ("user", "assistant"):
            raise InvalidRequest(f"messages.{index}.role: Input should be 'user' or 'assistant'")
    # Messages API reference: the first message must use the user role.
    if messages[0]["role"] != "user":
        raise InvalidRequest('messages: first message must use the "user" role')
    last = len(messages) - 1
    for index, message in enumerate(messages):
        content = message.get("content")
        if isinstance(content, list):
            _check_blocks(index, content)
        # Empty content is allowed only in the final assistant message (a prefill to continue).
        if not content and not (index == last and message["role"] == "assistant"):
            raise InvalidRequest(
                f"messages.{index}: all messages must have non-empty content except for the optional final assistant message"
            )


def _check_blocks(message_index: int, blocks: Sequence[Any]) -> None:
    # A refusal can end with an empty text block; sending it back breaks every later turn.
    for block_index, block in enumerate(blocks):
        if isinstance(block, Mapping) and block.get("type") == "text" and not block.get("text"):
            raise InvalidRequest(
                f"messages.{message_index}.content.{block_index}.text: text content blocks must be non-empty"
            )
        if isinstance(block, Mapping) and block.get("type") in ATTACHMENT_TYPES:
            check_attachment(f"messages.{message_index}.content.{block_index}", block)


def _check_max_tokens(model: str, max_tokens: int) -> None:
    limit = MAX_OUTPUT_TOKENS.get(model)
    if limit is not None and max_tokens > limit:
        raise InvalidRequest(
            f"max_tokens: {max_tokens} > {limit}, which is the maximum allowed number of output tokens for {model}"
        )


def _check_thinking(request: MessagesRequest) -> None:
    budget = request.thinking_budget
    if budget is None:
        return
    if budget < MIN_THINKING_BUDGET:
        raise InvalidRequest(
            f"thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_THINKING_BUDGET}"
        )
    if budget >= request.max_tokens:
        raise InvalidRequest(
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at "
            f"{_THINKING_DOCS}#max-tokens-and-context-window-size"
        )
    if request.temperature is not None and request.temperature != 1:
        raise InvalidRequest(
            "`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at "
            f"{_THINKING_DOCS}#feature-compatibility"
        )


def _check_cache_control(request: MessagesRequest) -> None:
    blocks = list(request.system_blocks)
    for message in request.messages:
        content = message.get("content")
        if isinstance(content, list):
            blocks += content
    marks = [block["cache_control"] for block in blocks if isinstance(block, Mapping) and "cache_control" in block]
    for mark in marks:
        if not isinstance(mark, Mapping) or mark.get("type") != "ephemeral":
            raise InvalidRequest("cache_control.type: Input should be 'ephemeral'")
    if len(marks) > MAX_CACHE_BREAKPOINTS:
        raise InvalidRequest(
            f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found {len(marks)}."
        )
