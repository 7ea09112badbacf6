"""Stored conversations back into chat turns: each prompt with its reply, footer and outcome."""

from __future__ import annotations

from foundry_tui.config.profile import Price
from foundry_tui.format import from_ms
from foundry_tui.service.errors import FoundryError, error_from_dict
from foundry_tui.service.messages import Timings, TurnResult, Usage
from foundry_tui.store.conversations import Conversation, StoredMessage
from foundry_tui.ui.widgets.turn import TurnView

# stored message state → turn state
TURN_STATES = {"complete": "done", "failed": "failed", "cancelled": "cancelled", "interrupted": "interrupted", "streaming": "interrupted"}


def turns_of(conversation: Conversation, prices: dict[str, Price]) -> list[TurnView]:
    turns = []
    prompt: StoredMessage | None = None
    for message in conversation.messages:
        if message.role == "user":
            if prompt is not None:  # a prompt whose reply row is missing
                turns.append(_turn(prompt, None, conversation, prices))
            prompt = message
        elif prompt is not None:
            turns.append(_turn(prompt, message, conversation, prices))
            prompt = None
    if prompt is not None:
        turns.append(_turn(prompt, None, conversation, prices))
    return turns


def _turn(prompt: StoredMessage, reply: StoredMessage | None, conversation: Conversation, prices: dict[str, Price]) -> TurnView:
    deployment = (reply.deployment if reply else None) or conversation.deployment or "unknown deployment"
    if reply is None:
        return TurnView(prompt.text, deployment, prices=prices, state="interrupted", attachments=prompt.attachments)
    return TurnView(
        prompt.text,
        deployment,
        prices=prices,
        attachments=prompt.attachments,
        reply=reply.text,
        thinking="".join(str(block.get("thinking") or "") for block in reply.blocks() if block.get("type") == "thinking"),
        state=TURN_STATES.get(reply.state, "done"),
        result=_result(reply, deployment),
        error=_error(reply),
    )


def _result(reply: StoredMessage, deployment: str) -> TurnResult:
    details = reply.details
    usage = Usage()
    usage.update(details.usage or {})
    return TurnResult(
        deployment,
        model=details.model,
        stop_reason=details.stop_reason,
        usage=usage,
        status=details.status,
        request_id=details.request_id,
        apim_request_id=details.apim_request_id,
        timings=Timings(first_token=from_ms(details.ttft_ms), total=from_ms(details.duration_ms)),
    )


def _error(reply: StoredMessage) -> FoundryError | None:
    details = reply.details
    if reply.state != "failed" or not details.error:
        return None
    return error_from_dict(
        details.error, status=details.status, request_id=details.request_id, apim_request_id=details.apim_request_id
    )

