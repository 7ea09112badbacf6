"""Text from outside (model replies, server headers and bodies, files, titles) made safe for a terminal.

A terminal obeys control characters: a reply holding `ESC ] 52 ; c ; …` would write the user's
clipboard, `ESC ] 0 ; …` set the window title, `ESC [ 2 J` clear the screen. Everything that reaches
a terminal from outside goes through `terminal_text` (multi-line text) or `terminal_line` (a header,
an id, a title, a name: one line, bidi overrides shown). Pipes and files keep the exact bytes.
"""

from __future__ import annotations

import re

# An escape sequence, 7-bit or C1, whole: CSI (ESC [ or 0x9b) parameters and final byte; OSC, DCS,
# SOS, PM, APC (ESC ] P X ^ _ or 0x9d 0x90 0x98 0x9e 0x9f) up to BEL or ST (ESC \ or 0x9c) or the
# end of the text; any other ESC with its one following character.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[\x20-\x3f]*[\x40-\x7e]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[\x20-\x7e]?"
)
# What is left after the sequences: C0 controls but tab and newline, DEL, C1 controls, and lone
# UTF-16 surrogates (JSON can escape them; no terminal encoding takes them: writing one would fail).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")  # cheap test: most text has none
# Bidi embeddings, overrides and isolates: they reorder what follows them, so an id or a title
# could read as something else. Shown as a visible code in one-line text.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\n\t\u2028\u2029]+")


def terminal_text(text: str) -> str:
    """`text` without control characters or the escape sequences they start; keeps tabs and newlines.

    Args:
        text: Text from outside, of any size.

    Returns:
        The same text when it holds nothing unsafe (the common case, at the cost of one scan).
    """
    if _UNSAFE.search(text) is None:
        return text
    return _CONTROL.sub("", _SEQUENCE.sub("", text))


def terminal_line(text: str) -> str:
    """`terminal_text` on one line, with bidi controls shown as `<U+202E>`: for headers, ids, names, titles."""
    return visible_bidi(_LINE_BREAKS.sub(" ", terminal_text(text)))


def visible_bidi(text: str) -> str:
    """Bidi embeddings, overrides and isolates shown as `<U+202E>`, so nothing reads as something else."""
    return _BIDI.sub(lambda match: f"<U+{ord(match.group()):04X}>", text)
