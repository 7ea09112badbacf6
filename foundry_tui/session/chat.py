"""`ChatSession`: what a conversation sends, with one precedence and one set of send-back rules.

Send-back rules (the Messages API needs alternating roles and rejects empty text blocks):

- a finished reply is sent back as its content blocks, minus empty text blocks (a refusal streams
  one, with `stop_reason: "refusal"`); if only thinking is left, the exchange is not sent;
- a failed, cancelled or interrupted reply is sent back as the text that arrived, only if it is
  not blank (a partial thinking block is unsigned and would be refused);
- a prompt whose reply is not sent back is left out with it, so the roles alternate.

The same rules rebuild the context of a conversation reopened from the history (`resume`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from foundry_tui.attachments import Attachment
from foundry_tui.service.messages import MessageRequest
from foundry_tui.session.caching import long_enough_to_cache, with_breakpoint

if TYPE_CHECKING:
    from foundry_tui.config.profile import RequestDefaults
    from foundry_tui.store.conversations import Conversation

REFUSAL_NOTE = "Claude declined to answer · refusal"  # said by the app on the turn and by `ask` on stderr
ReplyState = Literal["streaming", "complete", "failed", "cancelled", "interrupted"]
UNFINISHED: frozenset[ReplyState] = frozenset({"failed", "cancelled", "interrupted"})
_THINKING_TYPES = frozenset({"thinking", "redacted_thinking"})


def reply_to_send(state: ReplyState, content: list[dict[str, Any]] | None, text: str) -> list[dict[str, Any]]:
    """The blocks a reply contributes to the next request; empty means "leave the exchange out".

    Args:
        state: how the reply ended ("streaming" is a reply still being written, maybe elsewhere).
        content: a finished reply's content blocks, Anthropic format.
        text: the reply's text as it arrived (what a partial reply keeps).
    """
    if state == "complete":
        blocks = [block for block in content or [] if not _is_empty_text(block)]
        return blocks if any(block.get("type") not in _THINKING_TYPES for block in blocks) else []
    if state in UNFINISHED and text.strip():
        return [{"type": "text", "text": text}]
    return []


def user_content(prompt: str, attachments: Sequence[Attachment] = ()) -> str | list[dict[str, Any]]:
    """A user turn: the prompt alone, or the attachments' blocks then the prompt (as the API advises)."""
    if not attachments:
        return prompt
    return [*(attachment.block() for attachment in attachments), {"type": "text", "text": prompt}]


def _is_empty_text(block: dict[str, Any]) -> bool:
    return block.get("type") == "text" and not str(block.get("text") or "")


@dataclass(slots=True)
class ChatSettings:
    """What the user set for this chat; None means "not set": the conversation's or profile's applies."""

    system: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    thinking_budget: int | None = None
    prompt_caching: bool | None = None


@dataclass(slots=True)
class Exchange:
    """One prompt and what its reply sends back (nothing while it streams, or if nothing usable came)."""

    prompt: str
    state: ReplyState = "streaming"
    reply: list[dict[str, Any]] = field(default_factory=list)
    attachments: tuple[Attachment, ...] = ()  # sent again with the prompt: the API is stateless

    @property
    def sendable(self) -> bool:
        return bool(self.prompt.strip() and self.reply)


class ChatSession:
    """The messages, the settings and the conversation id of one chat (the app's, or one `ask`)."""

    def __init__(self, settings: ChatSettings | None = None, *, one_shot: bool = False) -> None:
        self.settings = settings or ChatSettings()
        self.one_shot = one_shot  # a prompt never sent again (`ask` without -c): caches only a long system prompt
        self.exchanges: list[Exchange] = []
        self.conversation_id: str | None = None  # where the history saves the next turn
        self.conversation_system: str | None = None  # the reopened conversation's system prompt
        self.resumed = False

    @classmethod
    def resume(cls, conversation: Conversation, settings: ChatSettings | None = None) -> ChatSession:
        """Continue a saved conversation: its exchanges under the send-back rules, its system prompt."""
        session = cls(settings)
        session.conversation_id = conversation.id
        session.conversation_system = conversation.system
        session.resumed = True
        prompt: str | None = None
        attachments: tuple[Attachment, ...] = ()
        for message in conversation.messages:
            if message.role == "user":
                prompt, attachments = message.text, tuple(message.attachments)
                continue
            if prompt is not None:
                reply = reply_to_send(message.state, message.content, message.text)
                session.exchanges.append(Exchange(prompt, message.state, reply, attachments))
            prompt = None
        return session

    def reset(self) -> None:
        """A new chat: no exchanges, no conversation, no system prompt of its own."""
        self.exchanges.clear()
        self.conversation_id = None
        self.conversation_system = None
        self.resumed = False
        self.settings.system = None

    @property
    def messages(self) -> list[dict[str, Any]]:
        """What the next request sends before its prompt."""
        messages: list[dict[str, Any]] = []
        for exchange in self.exchanges:
            if exchange.sendable:
                messages.append({"role": "user", "content": user_content(exchange.prompt, exchange.attachments)})
                messages.append({"role": "assistant", "content": exchange.reply})
        return messages

    def effective(self, defaults: RequestDefaults) -> ChatSettings:
        """The one precedence: this chat's setting, then the conversation's, then the profile's."""
        settings = self.settings
        system: str | None
        if settings.system is not None:
            system = settings.system
        else:
            system = self.conversation_system if self.resumed else defaults.system
        temperature = settings.temperature if settings.temperature is not None else defaults.temperature
        caching = settings.prompt_caching if settings.prompt_caching is not None else defaults.prompt_caching
        return ChatSettings(
            system=system,
            max_tokens=settings.max_tokens or defaults.max_tokens,
            temperature=temperature,
            thinking_budget=settings.thinking_budget,
            prompt_caching=caching,
        )

    def request(
        self, prompt: str, deployment: str, defaults: RequestDefaults, attachments: Sequence[Attachment] = ()
    ) -> MessageRequest:
        """The request that sends `prompt` (after its attachments) after the conversation so far, with its
        cache breakpoints.

        A chat marks the system prompt and the new prompt (see `session.caching`); a one-shot
        request only a long system prompt; nothing when caching is off.
        """
        effective = self.effective(defaults)
        caching = bool(effective.prompt_caching)
        mark_prompt = caching and not self.one_shot
        system = effective.system
        content = user_content(prompt, attachments)
        return MessageRequest(
            model=deployment,
            messages=[*self.messages, {"role": "user", "content": with_breakpoint(content) if mark_prompt else content}],
            max_tokens=effective.max_tokens or defaults.max_tokens,
            system=system,
            temperature=None if effective.thinking_budget else effective.temperature,  # the API rejects both
            thinking_budget=effective.thinking_budget,
            cache_system=caching and bool(system) and (mark_prompt or long_enough_to_cache(system or "")),
        )

    def begin(self, prompt: str, attachments: Sequence[Attachment] = ()) -> Exchange:
        """Add a prompt being answered; it is sent back only once `settle()` gives it a reply."""
        exchange = Exchange(prompt, attachments=tuple(attachments))
        self.exchanges.append(exchange)
        return exchange

    def settle(self, exchange: Exchange, state: ReplyState, content: list[dict[str, Any]], text: str) -> None:
        exchange.state = state
        exchange.reply = reply_to_send(state, content, text)

    def retry(self, prompt: str) -> None:
        """Before sending `prompt` again: drop it if it is the last exchange and did not finish.

        An older unfinished exchange stays (its partial reply is context for what came after).
        """
        last = self.exchanges[-1] if self.exchanges else None
        if last is not None and last.prompt == prompt and last.state in UNFINISHED:
            self.exchanges.pop()
