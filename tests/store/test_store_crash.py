"""Crash safety: `ask` killed mid-stream loses at most about the last second of text; Ctrl-C loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from foundry_tui import exitcodes
from foundry_tui.emulator.server import EmulatorConfig, EmulatorThread
from foundry_tui.session.chat import ChatSession
from foundry_tui.store.store import Store

PROMPT = "Write a long report with code and a table"


@pytest.fixture(scope="module")
def slow_emulator():
    """Slow enough to stop a reply mid-stream (the session emulator streams as fast as it can)."""
    with EmulatorThread(EmulatorConfig(port=0, pace=80)) as server:
        yield server


class Transcript:
    """stdout as it arrives, with when each piece arrived."""

    def __init__(self, stream) -> None:
        self.pieces: list[tuple[float, bytes]] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        while chunk := os.read(stream.fileno(), 4096):
            self.pieces.append((time.monotonic(), chunk))

    def text(self, until: float = float("inf")) -> str:
        return b"".join(chunk for at, chunk in self.pieces if at <= until).decode(errors="ignore")

    def join(self) -> None:
        self._thread.join(5)


def start_ask(server: EmulatorThread) -> tuple[subprocess.Popen, Transcript]:
    env = {**os.environ, "ANTHROPIC_FOUNDRY_API_KEY": server.api_key, "ANTHROPIC_FOUNDRY_BASE_URL": server.base_url}
    ask = subprocess.Popen(
        [sys.executable, "-m", "foundry_tui", "ask", PROMPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    transcript = Transcript(ask.stdout)
    deadline = time.monotonic() + 20
    while not transcript.pieces and time.monotonic() < deadline:
        time.sleep(0.02)
    assert transcript.pieces, "no text streamed"
    return ask, transcript


def test_sigkill_mid_stream_keeps_the_prompt_the_ids_and_all_but_the_last_second(slow_emulator):
    ask, transcript = start_ask(slow_emulator)
    time.sleep(max(0.0, transcript.pieces[0][0] + 2.2 - time.monotonic()))
    killed_at = time.monotonic()
    ask.send_signal(signal.SIGKILL)
    ask.wait(5)
    transcript.join()
    shown = transcript.text()
    shown_a_second_before = transcript.text(until=killed_at - 1.3)  # a checkpoint a second, plus slack

    with Store.open() as store:
        conversation = store.conversations.latest()
        assert conversation is not None and conversation.title == PROMPT
        prompt, reply = conversation.messages
        assert (prompt.role, prompt.text) == ("user", PROMPT)
        assert reply.state == "streaming"  # its heartbeat is still fresh: it could be a live peer
        assert reply.details.request_id.startswith("req_") and reply.details.apim_request_id
        assert shown.startswith(reply.text) and len(reply.text) >= len(shown_a_second_before) > 0

    with Store.open(stale_after=0) as store:  # the next start, once the heartbeat window has passed
        assert store.conversations.latest().messages[1].state == "interrupted"
        assert store.conversations.mark_interrupted() == 1
    with Store.open() as store:
        conversation = store.conversations.latest()
        assert conversation.messages[1].state == "interrupted"  # for good
        assert ChatSession.resume(conversation).messages[1]["content"] == [{"type": "text", "text": reply.text}]


def test_ctrl_c_mid_stream_keeps_the_partial_reply_as_cancelled(slow_emulator):
    ask, transcript = start_ask(slow_emulator)
    ask.send_signal(signal.SIGINT)
    assert ask.wait(10) == exitcodes.INTERRUPTED
    transcript.join()
    with Store.open() as store:
        reply = store.conversations.latest().messages[1]
        assert reply.state == "cancelled" and reply.text and transcript.text().startswith(reply.text)
        [row] = store.usage.rows(0)
        assert (row.error_kind, row.status, row.request_id) == ("cancelled", 200, reply.details.request_id)
