"""Incremental split of streaming Markdown into top-level blocks.

Only the last top-level block of a growing document can still change (a paragraph may become a
table, a fence grows), so everything before it is final and never parsed again. Each append
re-parses just the tail, from the start of its first block, with markdown-it, the parser Rich's
Markdown uses. A one-shot split of the whole text is the same operation done once, which is what
makes a streamed reply render exactly like the finished one.

Here too are the cuts the reply view renders by, all made on the source text: code fences in
chunks of lines, huge blocks in parts, and the estimated height of what is not rendered yet.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

HUGE_BLOCK = 32_000  # a longer block renders in parts of about this size
FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})([^`]*)$")
CHUNK_MIN_LINES = 16  # a chunk ends at the first blank line after this many lines…
CHUNK_MAX_LINES = 48  # …or here at the latest, which bounds the cost of a growing fence


def fence_code(source: str) -> tuple[str, list[str]] | None:
    """(lexer name, code lines) of a fenced code block, open or closed; None for other blocks."""
    first, _, rest = source.partition("\n")
    opener = FENCE_OPEN.match(first)
    if opener is None:
        return None
    marker = opener.group(1)
    lines = rest.split("\n")
    if len(lines) > 1 or lines[0]:
        closing = lines[-1].strip()
        if closing.startswith(marker[0] * len(marker)) and not closing.strip(marker[0]):
            lines.pop()
    code = "\n".join(lines).rstrip()  # as Rich's CodeBlock does
    if not code:
        return None
    return (opener.group(2).strip().partition(" ")[0] or "text"), code.split("\n")


def chunk_bounds(line_count: int, lines: list[str]) -> list[tuple[int, int]]:
    """Cut points depend only on the lines before them, so they never move as a fence grows."""
    bounds = []
    start = 0
    for index in range(1, line_count):
        size = index - start
        if size >= CHUNK_MAX_LINES or (size >= CHUNK_MIN_LINES and not lines[index].strip()):
            bounds.append((start, index))
            start = index
    bounds.append((start, line_count))
    return bounds


def block_parts(source: str) -> list[str]:
    """A huge block (a megabyte-long paragraph) in parts of at most HUGE_BLOCK characters, cut at a
    line break, else a space, so no one render wraps megabytes on the event loop. Each part renders
    as Markdown of its own, which can differ from one render of the whole only at the cuts. A cut
    depends only on the text before it, so cuts hold while the block grows."""
    parts, start = [], 0
    while len(source) - start > HUGE_BLOCK:
        window = (start + HUGE_BLOCK // 2, start + HUGE_BLOCK)
        cut = max(source.rfind("\n", *window), source.rfind(" ", *window))
        cut = cut if cut > 0 else start + HUGE_BLOCK
        parts.append(source[start:cut])
        start = cut
    parts.append(source[start:])
    return parts


def estimate_lines(text: str, width: int) -> int:
    """Lines `text` will take once wrapped, without rendering it: keeps what is out of view cheap."""
    width = max(width - 2, 1)
    return sum(max(1, -(-len(line) // width)) for line in text.split("\n"))


def _commonmark() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").enable("strikethrough")


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """Loaded with the first reply, not at start-up."""
    return _commonmark()


@lru_cache(maxsize=1)
def block_parser() -> MarkdownIt:
    """The same parser without its inline pass: where blocks start and end is all a split needs,
    and skipping inline parsing makes it about a third cheaper."""
    blocks = _commonmark()
    blocks.core.ruler.disable(["inline", "text_join"])
    return blocks


def top_level_blocks(text: str) -> list[tuple[int, int]]:
    """(first line, end line) of each top-level block, in the order they appear."""
    return [token.map for token in block_parser().parse(text) if token.level == 0 and token.nesting >= 0 and token.map]  # type: ignore[misc]


class BlockSplitter:
    """Source text in, finished block sources out; `tail` is the block still being written."""

    def __init__(self) -> None:
        self.final: list[str] = []
        self.tail = ""
        self.streaming = False  # text has been appended and `finish` has not been called
        self._finished_source: list[str] = []  # exact text before `tail`, separators included

    @property
    def source(self) -> str:
        return "".join(self._finished_source) + self.tail

    def append(self, text: str) -> int:
        """Add text; returns how many blocks became final."""
        self.streaming = True
        self.tail += text
        blocks = top_level_blocks(self.tail)
        if len(blocks) < 2:
            return 0
        lines = self.tail.split("\n")
        for first, end in blocks[:-1]:
            self.final.append("\n".join(lines[first:end]).rstrip("\n"))
        keep_from = blocks[-1][0]
        self._finished_source.append("\n".join(lines[:keep_from]) + "\n")
        self.tail = "\n".join(lines[keep_from:])
        return len(blocks) - 1

    def finish(self) -> int:
        """The stream ended: whatever the tail holds becomes final too."""
        self.streaming = False
        blocks = top_level_blocks(self.tail)
        lines = self.tail.split("\n")
        self.final.extend("\n".join(lines[first:end]).rstrip("\n") for first, end in blocks)
        self._finished_source.append(self.tail)
        self.tail = ""
        return len(blocks)
