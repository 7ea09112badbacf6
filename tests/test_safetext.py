"""The one sanitizer between text from outside and a terminal."""

from __future__ import annotations

import pytest

from foundry_tui.safetext import terminal_line, terminal_text

HOSTILE = [
    ("clip\x1b]52;c;aGVsbG8=\x1b\\board", "clipboard"),  # OSC 52, ST-terminated
    ("ti\x1b]0;pwned\x07tle", "title"),  # window title, BEL-terminated
    ("cl\x1b[2Jear", "clear"),  # CSI
    ("c1\x9b31mcsi", "c1csi"),  # C1 CSI
    ("li\x1b]8;;http://evil\x1b\\nk\x1b]8;;\x1b\\", "link"),  # hyperlink
    ("dc\x1bP1$r\x1b\\s", "dcs"),
    ("ap\x9fapc payload\x9cc", "apc"),
    ("del\x7f\x00\x08\x0b\x0c\rete", "delete"),
    ("cut at the end \x1b]52;c;AAAA", "cut at the end "),
    ("esc\x1bc", "esc"),  # a two-character sequence (full reset)
    ("lone\ud800 \udfffsurrogates", "lone surrogates"),  # no terminal encoding takes them
]


@pytest.mark.parametrize(("raw", "shown"), HOSTILE)
def test_escape_sequences_and_controls_never_pass(raw: str, shown: str) -> None:
    assert terminal_text(raw) == shown


def test_ordinary_text_is_returned_as_is() -> None:
    text = "# Title\n\n\tcode → café 日本語 🙂 [b]not markup[/b]\n"
    assert terminal_text(text) is text


def test_a_line_has_no_breaks_and_shows_bidi_overrides() -> None:
    assert terminal_line("req_\u202eabc\nnext\tcol") == "req_<U+202E>abc next col"
    assert terminal_line("\u2066iso\u2069") == "<U+2066>iso<U+2069>"
