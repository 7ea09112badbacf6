"""Incremental split of streaming Markdown into top-level blocks.

Only the last top-level block of a growing document can still change (a paragraph may become a
table, a fence grows), so everything before it is final and never parsed again. Each append
re-parses just the tail, from the start of its first block, with markdown-it, the parser Rich's
Markdown uses. A one-shot split of the whole text is the same operation done once, which is what
makes a streamed reply render exactly like the finished one.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


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
