"""The assembler's fast path for standard text deltas decides exactly as the generic JSON path does."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from helpers import split_every

from foundry_tui.service.assembler import MessageAssembler
from foundry_tui.service.events import BlockStarted, TextDelta
from foundry_tui.service.messages import TurnResult

HEAD = '{"type":"content_block_delta","index":'
MIDDLE = ',"delta":{"type":"text_delta","text":'
PIECES = [
    "a", "é", "日本", "🙂", " ", '"', "\\", "\\\\", '\\"', "\\n", "\\t", "\\/", "\\u00e9", "\\ud83d\\ude42", "\\ud800",
    "\\udc00x", "\\u12", "\\x", "\\", "\x00", "\x1f", "\t", "\x7f", "\u2028", '"}}', "}", "\\u0000", "\ud83d",
]  # fmt: skip
INDEXES = ["0", "1", "2", "01", "00", "-1", "1e2", "1.0", "0x1", " 0", "true", '"0"', "١", "9" * 30, "9" * 5000, ""]


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def wire(data: str, event: str = "content_block_delta") -> bytes:
    return f"event: {event}\ndata: {data}\n\n".encode("utf-8", "surrogatepass")


def opening() -> bytes:
    blocks = [{"type": "thinking", "thinking": "", "signature": ""}, {"type": "text", "text": ""}, {"type": "text", "text": ""}]
    return b"".join(
        wire(compact({"type": "content_block_start", "index": n, "content_block": block}), "content_block_start")
        for n, block in enumerate(blocks)
    )


def outcome(chunks: list[bytes]) -> tuple[Any, ...]:
    assembler = MessageAssembler(TurnResult(deployment="dep"), started_at=0.0)
    events = [event for chunk in chunks for event in assembler.feed(chunk)] + assembler.close()
    error = assembler.error
    return events, assembler.result.to_message_dict(), assembler.result.warnings, repr(error), assembler.finished


def both_paths(chunks: list[bytes], monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    fast = outcome(chunks)
    with monkeypatch.context() as patch:
        patch.setattr(MessageAssembler, "_standard_text_delta", lambda self, block: None)
        generic = outcome(chunks)
    return fast, generic


def random_text(rng: random.Random) -> str:
    """A JSON string body, valid or not: escapes, surrogates, control characters, quotes."""
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6)))


def mutations(rng: random.Random) -> list[str]:
    text = random_text(rng)
    index = rng.choice(INDEXES)
    standard = f'{HEAD}{index}{MIDDLE}"{text}"}}}}'
    cut = rng.randint(0, len(standard))
    return [
        standard,
        standard[:cut],  # a truncation
        standard[:cut] + rng.choice(['"', "}", "\\", " ", "\x00", '"}}']) + standard[cut:],  # an insertion
        standard[:cut] + standard[cut + 1 :],  # a deletion
        standard + rng.choice([" ", "}", "\t", "x", '"', ",1"]),  # something after the end
        f'{HEAD}{index}{MIDDLE}"{text}","text":"dup"}}}}',  # duplicate key: json keeps the last
        f'{HEAD}{index}{MIDDLE}"{text}"}},"delta":{{"type":"text_delta","text":"dup"}}}}',
        f'{HEAD}{index}{MIDDLE}"{text}","extra":1}}}}',
        f'{HEAD}{index}{MIDDLE} "{text}"}}}}',  # whitespace
        f'{HEAD} {index}{MIDDLE}"{text}"}}}}',
        f'{{"index":{index},"type":"content_block_delta","delta":{{"type":"text_delta","text":"{text}"}}}}',  # key order
        compact({"type": "content_block_delta", "index": rng.randint(0, 3), "delta": {"type": "text_delta", "text": text}}),
    ]


def test_standard_text_deltas_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[tuple[int, str] | None] = []
    real = MessageAssembler._standard_text_delta

    def spy(self: MessageAssembler, block: str) -> tuple[int, str] | None:
        taken.append(real(self, block))
        return taken[-1]

    monkeypatch.setattr(MessageAssembler, "_standard_text_delta", spy)
    texts = ['plain', 'quote " and \\ backslash', "é 日本 🙂", "\n\t\x7f", "\u2028", ""]
    deltas = [compact({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": t}}) for t in texts]
    escaped = f'{HEAD}2{MIDDLE}"\\u00e9\\ud83d\\ude42\\"\\\\"}}}}'
    events, *_ = outcome([opening() + b"".join(wire(data) for data in [*deltas, escaped])])
    assert taken[3:] == [(1, text) for text in texts] + [(2, 'é🙂"\\')]
    assert events[3:] == [TextDelta(1, "".join(texts)), TextDelta(2, 'é🙂"\\')]


def test_the_fast_path_decides_as_the_generic_path_on_generated_and_mutated_events(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(12)
    for _ in range(400):
        for data in mutations(rng):
            follow = compact({"type": "content_block_delta", "index": 2, "delta": {"type": "text_delta", "text": "end"}})
            body = opening() + wire(data) + wire(follow) + wire(data, rng.choice(["content_block_delta", "message", "ping"]))
            fast, generic = both_paths([body], monkeypatch)
            assert fast == generic, data
            assert fast[0][:3] == [BlockStarted(0, "thinking"), BlockStarted(1, "text"), BlockStarted(2, "text")]


@pytest.mark.parametrize("text", ["a\\u00e9\\ud800 🙂\\\"", "\\ud83d\\ude42\\n"])
def test_the_fast_path_decides_as_the_generic_path_at_every_cut_and_chunking(text: str, monkeypatch) -> None:
    standard = f'{HEAD}1{MIDDLE}"{text}"}}}}'
    for cut in range(len(standard) + 1):
        body = opening() + wire(standard[:cut]) + wire(standard)
        fast, generic = both_paths([body], monkeypatch)
        assert fast == generic, cut
    body = opening() + wire(standard) * 3 + wire(standard).rstrip(b"\n")  # the last one unterminated: read at close
    for size in (1, 7, 64):
        fast, generic = both_paths(split_every(body, size), monkeypatch)
        assert fast == generic, size
