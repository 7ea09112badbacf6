"""Text from a hostile server never reaches the user's terminal raw (#9): `check`, `history` and `export`
on a pseudo-terminal print none of its escape sequences, while `export` to a file keeps the exact bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers import foundry, foundry_in_pty, text_turn

CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x1b\\"  # OSC 52: writes the user's clipboard
WINDOW_TITLE = "\x1b]0;owned\x07"  # OSC 0: sets the window title
CLEAR = "\x1b[2J"  # CSI 2J: clears the screen
C1_CSI = "\x9b1;31m"  # the 8-bit CSI
LINK = "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"  # OSC 8 hyperlink
BIDI = "\u202e"  # right-to-left override: "req_\u202etxt.exe" reads as "req_exe.txt"
HOSTILE = f"{CLIPBOARD}{WINDOW_TITLE}{CLEAR}{C1_CSI}{LINK}"
REQUEST_ID = f"req_{BIDI}txt.exe"
APIM_REQUEST_ID = f"apim-{C1_CSI}42"
FORBIDDEN = [b"\x1b]52", b"\x1b]0;", b"\x1b[2J", "\x9b".encode(), b"\x1b]8;", BIDI.encode()]


class HostileFoundry(BaseHTTPRequestHandler):
    """The deployment names the answer: `good` streams a hostile reply, `json` and `html` fail with hostile text."""

    def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        deployment = body.get("model")
        if deployment == "json":
            error = {"type": "error", "error": {"type": "api_error", "message": f"boom {HOSTILE} boom"}}
            self.answer(500, "application/json", json.dumps(error).encode())
        elif deployment == "html":
            page = f"<html><head><title>Gateway {HOSTILE} down</title></head><body>x</body></html>"
            self.answer(502, "text/html", page.encode())
        else:
            self.answer(200, "text/event-stream", text_turn(f"Here {HOSTILE} it is.", usage={"input_tokens": 3}))

    def answer(self, status: int, content_type: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        for name, value in (("request-id", REQUEST_ID), ("apim-request-id", APIM_REQUEST_ID)):
            self.send_header(name, value.encode().decode("latin-1"))  # UTF-8 on the wire
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's signature)
        pass


@pytest.fixture
def hostile_env() -> Iterator[dict[str, str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileFoundry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {
        "ANTHROPIC_FOUNDRY_API_KEY": "test-key",
        "ANTHROPIC_FOUNDRY_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}/anthropic/",
    }
    server.shutdown()
    server.server_close()


def assert_clean(output: bytes) -> None:
    found = [sequence for sequence in FORBIDDEN if sequence in output]
    assert not found, f"raw hostile bytes on the terminal: {found!r}\n{output!r}"


@pytest.mark.parametrize("deployment", ["good", "json", "html"])
def test_check_on_a_terminal_prints_no_hostile_text(hostile_env, deployment):
    output = foundry_in_pty("check", "--deployment", deployment, env=hostile_env)
    assert_clean(output)
    text = output.decode()
    assert "request-id: req_<U+202E>txt.exe" in text and "apim-request-id: apim-42" in text
    if deployment == "json":
        assert "boom" in text and "hint:" in text
    if deployment == "html":
        assert "Gateway" in text and "down" in text


def test_history_and_export_on_a_terminal_print_no_hostile_text_but_a_file_keeps_the_bytes(hostile_env, tmp_path):
    asked = foundry("ask", "--deployment", "good", f"Plan {WINDOW_TITLE}{CLEAR} the trip", env=hostile_env)
    assert asked.returncode == 0, asked.stderr
    assert HOSTILE in asked.stdout  # a pipe gets what the model sent
    conversation_id = json.loads(foundry("history", "--json").stdout)[0]["id"]

    listed = foundry_in_pty("history")
    assert_clean(listed)
    assert "Plan  the trip" in listed.decode()
    found = foundry_in_pty("history", "--search", "trip")
    assert_clean(found)
    for export_format in ("md", "json"):
        exported = foundry_in_pty("export", conversation_id, "--format", export_format)
        assert_clean(exported)
        assert "Here" in exported.decode() and "it is." in exported.decode()

    saved = tmp_path / "chat.md"
    with saved.open("wb") as file:
        subprocess.run([sys.executable, "-m", "foundry_tui", "export", conversation_id], stdout=file, env=os.environ, check=True)
    assert f"Here {HOSTILE} it is." in saved.read_text()
