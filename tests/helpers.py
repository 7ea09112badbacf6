"""Builders and Pilot steps shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from azure.core.credentials import AccessToken

from foundry_tui.config.file import Config, config_to_toml, write_toml
from foundry_tui.config.paths import config_file
from foundry_tui.service.client import FoundryClient
from foundry_tui.service.events import TextDelta
from foundry_tui.service.sse import parse_event
from foundry_tui.store.db import default_path
from foundry_tui.ui.widgets.prompt import PromptInput
from foundry_tui.ui.widgets.turn import TurnView

LIFETIME = 3600.0  # seconds an Entra token from FakeCredential lives


def sse_event(kind: str, newline: str = "\n", **fields: Any) -> bytes:
    """One Anthropic-style event: `event: <kind>` and a JSON `data:` line whose type is `kind`."""
    data = json.dumps({"type": kind, **fields}, ensure_ascii=False)
    return f"event: {kind}{newline}data: {data}{newline}{newline}".encode()


def sse_events(blocks: list[str] | str) -> list[tuple[str, str]]:
    """(event, data) of the blocks an `SSEDecoder` returned (`feed`'s list or `close`'s one block)."""
    blocks = [blocks] if isinstance(blocks, str) else blocks
    return [event for event in map(parse_event, blocks) if event is not None]


def text_turn(*parts: str, usage: dict[str, Any] | None = None, stop: bool = True) -> bytes:
    """A minimal complete (or, with stop=False, cut) reply made of one text block."""
    body = sse_event("message_start", message={"id": "msg_1", "model": "claude-x", "usage": usage or {"input_tokens": 7}})
    body += sse_event("content_block_start", index=0, content_block={"type": "text", "text": ""})
    for part in parts:
        body += sse_event("content_block_delta", index=0, delta={"type": "text_delta", "text": part})
    if stop:
        body += sse_event("content_block_stop", index=0)
        end = {"stop_reason": "end_turn", "stop_sequence": None}
        body += sse_event("message_delta", delta=end, usage={"output_tokens": len(parts)})
        body += sse_event("message_stop")
    return body


def split_every(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeCredential:
    """Hands out tok1, tok2, … valid for an hour from the clock's now; or raises `error`."""

    def __init__(self, clock: Clock, *, error: Exception | None = None, delay: float = 0.0) -> None:
        self.clock = clock
        self.error = error
        self.delay = delay
        self.calls: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls.append((scopes, kwargs))
        time.sleep(self.delay)  # runs in a worker thread, like azure-identity's
        if self.error is not None:
            raise self.error
        return AccessToken(f"tok{len(self.calls)}", int(self.clock.now + LIFETIME))


def foundry(*args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 30):
    return subprocess.run(
        [sys.executable, "-m", "foundry_tui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


SIZE = (120, 40)


async def wait_until(pilot, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


async def send(pilot, text: str) -> TurnView:
    chat = pilot.app.screen
    before = len(chat.query(TurnView))
    prompt = chat.query_one(PromptInput)
    prompt.insert(text)
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(chat.query(TurnView)) > before)
    return chat.query(TurnView).last()


async def answered(pilot, text: str) -> TurnView:
    """Send a prompt and wait until its reply has finished streaming and been saved."""
    turn = await send(pilot, text)
    await wait_until(pilot, lambda: turn.state == "done")
    await pilot.app.workers.wait_for_complete()
    return turn


def damage_history() -> None:
    """What a disk error or a stray write leaves: the app starts with its history off."""
    database = default_path()
    database.parent.mkdir(parents=True, exist_ok=True)
    database.write_bytes(b"not a database " * 500)



def write_config(config: Config) -> None:
    """Put `config` in the config file, as a hand-written file would be (a test's starting point)."""
    write_toml(config_file(), config_to_toml(config))


def foundry_in_pty(*args: str, env: dict[str, str] | None = None, timeout: float = 30) -> bytes:
    """Run the CLI with stdout and stderr on a pseudo-terminal, as a user sees it; returns every byte it wrote."""
    import pty
    import select

    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "foundry_tui", *args],
        stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal, env={**os.environ, **(env or {})},
    )  # fmt: skip
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the child closed the terminal (EIO on Linux)
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    process.wait(timeout=5)
    os.close(controller)
    return output


def break_after_text(monkeypatch, deltas: int):
    """Every stream raises RecursionError (as a deeply nested data line did) after `deltas` `TextDelta`s
    (each is one read's run of text deltas).

    Returns the real `FoundryClient.stream_batches`, to put back mid-test.
    """
    real_stream = FoundryClient.stream_batches

    async def stream_batches(self, request):
        seen = 0
        async for batch in real_stream(self, request):
            for count, event in enumerate(batch, 1):
                seen += isinstance(event, TextDelta)
                if seen == deltas:
                    yield batch[:count]
                    raise RecursionError("maximum recursion depth exceeded")
            yield batch

    monkeypatch.setattr(FoundryClient, "stream_batches", stream_batches)
    return real_stream


def make_read_only(monkeypatch, path) -> None:
    """What a non-root user meets after `chmod a-w path`, for `path` alone.

    The tests run as root, and root ignores file modes, so `chmod` would not stop a write. Here
    `os.access(path, W_OK)` answers no and opening it for writing raises PermissionError; SQLite
    then opens the file with `mode=ro` and really refuses writes, so all past these checks is real.
    """
    access, os_open = os.access, os.open

    def no_write_access(target, mode, *args, **kwargs):
        if os.fspath(target) == os.fspath(path) and mode & os.W_OK:
            return False
        return access(target, mode, *args, **kwargs)

    def no_write_open(target, flags, *args, **kwargs):
        if os.fspath(target) == os.fspath(path) and flags & (os.O_WRONLY | os.O_RDWR):
            raise PermissionError(13, "Permission denied", os.fspath(target))
        return os_open(target, flags, *args, **kwargs)

    monkeypatch.setattr(os, "access", no_write_access)
    monkeypatch.setattr(os, "open", no_write_open)


def tiny_png() -> bytes:
    """A valid 1×1 red PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")


TINY_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)  # a valid 1×1 red GIF


def tiny_pdf(pages: int = 1) -> bytes:
    """A small PDF with `pages` blank pages (each a `/Type /Page` object)."""
    kids = " ".join(f"{3 + index} 0 R" for index in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode()]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"] * pages
    body = b"%PDF-1.4\n"
    for number, obj in enumerate(objects, start=1):
        body += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    return body + f"trailer\n<< /Root 1 0 R /Size {len(objects) + 1} >>\n%%EOF\n".encode()
