"""A Markdown reply that stays fast however long it grows.

Textual's Markdown widget mounts a widget per block, and every streamed batch re-lays out all of
them, so a long reply slows to a crawl. Here a whole reply is one Line-API widget: finished blocks
are rendered to strips once (with Rich's Markdown renderer) and cached; a batch re-renders only
the tail block. The cost of a batch follows what changed, not the reply's length.

Code fences are the exception to "one block is cheap": re-highlighting a 400-line fence every
frame costs ~80 ms. So fences render in chunks of lines cut at blank lines (where lexer state is
almost always neutral); a growing fence re-renders only its last chunk. Streaming and one-shot
renders cut identically, so they produce the same strips.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from rich.theme import Theme
from textual.geometry import Size
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget

from foundry_tui.safetext import terminal_text
from foundry_tui.ui.markdown_blocks import BlockSplitter, parser

if TYPE_CHECKING:  # Rich's Markdown and Syntax pull in markdown-it and Pygments: loaded on first render
    from rich.console import Console, RenderableType

BLOCK_GAP = 1  # blank lines between top-level blocks
STREAM_RESERVE = 8  # while streaming, the view grows this many lines at a time


FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})([^`]*)$")
CHUNK_MIN_LINES = 16  # a chunk ends at the first blank line after this many lines…
CHUNK_MAX_LINES = 48  # …or here at the latest, which bounds the cost of a growing fence



class ChunkCache:
    """Rendered fence chunks, kept only while the block being streamed still uses them."""

    def __init__(self) -> None:
        self._strips: dict[tuple[str, str], list[Strip]] = {}
        self._used: set[tuple[str, str]] = set()

    def get(self, key: tuple[str, str], render: Callable[[], list[Strip]]) -> list[Strip]:
        self._used.add(key)
        if key not in self._strips:
            self._strips[key] = render()
        return self._strips[key]

    def start_round(self) -> None:
        self._used = set()

    def drop_unused(self) -> None:
        self._strips = {key: self._strips[key] for key in self._used}


def render_block(source: str, console: Console, width: int, code_theme: str, chunks: ChunkCache) -> list[Strip]:
    """Strips for one top-level block; `chunks` carries rendered fence chunks between calls."""
    fence = fence_code(source)
    if fence is not None:
        return render_fence(*fence, console, width, code_theme, chunks)
    return _trim_blank_edges(_rich_lines(shared_parser_markdown(source, code_theme), console, width))


def shared_parser_markdown(source: str, code_theme: str) -> RenderableType:
    """Rich's Markdown, parsed with one shared parser.

    Rich builds a new MarkdownIt for every instance, and its reference cycles (about forty objects
    a block) made the garbage collector run a full collection every second or so of streaming,
    each one a 30-50 ms stall. A test checks this renders exactly as Rich's own constructor does.
    """
    from rich.markdown import Markdown

    markdown = Markdown.__new__(Markdown)  # Markdown.__init__ would build the parser we avoid
    markdown.markup = source
    markdown.parsed = parser().parse(source)
    markdown.code_theme = code_theme
    markdown.justify = None
    markdown.style = "none"
    markdown.hyperlinks = True
    markdown.inline_code_lexer = None
    markdown.inline_code_theme = code_theme
    return markdown


def _trim_blank_edges(lines: list[Strip]) -> list[Strip]:
    """Rich pads headings and tables with blank lines; the view puts exactly one between blocks."""

    def blank(line: Strip) -> bool:
        return not line.text.strip() and not any(segment.style and segment.style.bgcolor for segment in line)

    start, end = 0, len(lines)
    while start < end and blank(lines[start]):
        start += 1
    while end > start and blank(lines[end - 1]):
        end -= 1
    return lines[start:end]


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


def render_fence(lexer: str, lines: list[str], console: Console, width: int, code_theme: str, chunks: ChunkCache) -> list[Strip]:
    """Rich's CodeBlock look (Syntax, padding 1), built chunk by chunk from the cache."""
    from rich.syntax import Syntax

    background = Syntax.get_theme(code_theme).get_background_style()
    padding_line = Strip([Segment(" " * width, background)], width)
    strips = [padding_line]
    for start, end in chunk_bounds(len(lines), lines):
        code = "\n".join(lines[start:end])
        syntax = Syntax(code, lexer, theme=code_theme, word_wrap=True, padding=(0, 1))
        strips.extend(chunks.get((lexer, code), partial(_rich_lines, syntax, console, width)))
    strips.append(padding_line)
    return strips


def _rich_lines(renderable: RenderableType, console: Console, width: int) -> list[Strip]:
    options = console.options.update(width=width, min_width=width, max_width=width, height=None)
    return [Strip(line) for line in console.render_lines(renderable, options, pad=False, new_lines=False)]


def estimate_height(blocks: list[str], width: int) -> int:
    """Lines a reply will take, without rendering it: keeps a long history cheap to load."""
    width = max(width - 2, 1)
    lines = sum(max(1, -(-len(line) // width)) for block in blocks for line in block.split("\n"))
    fences = sum(1 for block in blocks if block.startswith(("```", "~~~")))
    return lines + 2 * fences + BLOCK_GAP * max(len(blocks) - 1, 0)


class MarkdownView(Widget):
    """Call `append` while streaming and `finish` at the end; text given at construction renders in one go.

    Text comes from the model: control characters and escape sequences are dropped as it enters
    (one scan per appended batch), so an OSC 52 or a title sequence never reaches the terminal.
    `source` is what was drawn; the turn keeps the exact text for copy and history.
    """

    DEFAULT_CSS = """
    MarkdownView {
        height: auto;
    }
    """

    def __init__(self, markdown: str = "", *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._splitter = BlockSplitter()
        self._width = 0
        self._final_lines: list[Strip] = []
        self._rendered_blocks = 0
        self._tail_lines: list[Strip] = []
        self._chunks = ChunkCache()
        self._rendered_with: tuple[str, Style] | None = None  # theme and base style of the cached strips
        self._lazy = bool(markdown)  # a reply from history renders when first shown
        if markdown:
            self._splitter.append(terminal_text(markdown))
            self._splitter.finish()

    @property
    def source(self) -> str:
        return self._splitter.source

    def append(self, text: str) -> None:
        if text:
            self._splitter.append(terminal_text(text))
            self._refresh_content()

    def finish(self) -> None:
        self._splitter.finish()
        self._refresh_content()
        self.refresh(layout=True)  # the streaming reserve goes

    def notify_style_update(self) -> None:
        """Cached strips carry the colours they were rendered with: redo them only if those changed
        (a class change on the turn around this view also lands here, and must not re-render a
        long reply). They are redone here and now: nothing else would ask for them again until
        the next layout, so dropping them alone left the reply blank (focus, theme switch)."""
        super().notify_style_update()
        if self._width and self._rendered_with != self._style_key():
            width = self._width
            self._invalidate()
            self._update_strips(width)
            self.refresh(layout=True)

    def _style_key(self) -> tuple[str, Style]:
        return self.app.theme, self.rich_style

    def _invalidate(self) -> None:
        self._width = 0
        self._final_lines = []
        self._rendered_blocks = 0
        self._tail_lines = []
        self._chunks = ChunkCache()

    def _refresh_content(self) -> None:
        if not self._width:
            self.refresh(layout=True)
            return
        before = self._height()
        self._update_strips(self._width)
        # A new height re-lays out and repaints the whole screen; the same height repaints this view.
        self.refresh(layout=self._height() != before)

    def _height(self) -> int:
        """Lines to lay out. While streaming, the height grows in steps of STREAM_RESERVE blank lines
        below the text, so most frames repaint this view alone instead of re-laying out the screen."""
        lines = len(self._final_lines) + len(self._tail_lines)
        if not self._splitter.streaming or lines < STREAM_RESERVE * 2:
            return lines
        return -(-lines // STREAM_RESERVE) * STREAM_RESERVE

    def _update_strips(self, width: int) -> None:
        """Render new final blocks and the tail at `width`; finished blocks are never redone."""
        if width != self._width:
            self._invalidate()
            self._width = width
            self._rendered_with = self._style_key()
        console = self.app.console
        theme = markdown_theme(self)
        code_theme = "monokai" if self.app.current_theme.dark else "friendly"
        with console.use_theme(theme):
            final = self._splitter.final
            for source in final[self._rendered_blocks :]:
                self._final_lines.extend(self._block_lines(source, bool(self._final_lines), width, code_theme))
            self._rendered_blocks = len(final)
            tail = self._splitter.tail
            self._chunks.start_round()
            self._tail_lines = self._block_lines(tail, bool(self._final_lines), width, code_theme) if tail.strip() else []
            self._chunks.drop_unused()

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    @property
    def is_rendered(self) -> bool:
        return not self._lazy

    def ensure_rendered(self) -> None:
        """Render a lazy view now (the chat screen does this in idle time, newest first)."""
        if self._lazy:
            self._lazy = False
            if self.size.width:
                before = self.size.height
                self._update_strips(self.size.width)
                if len(self._final_lines) != before:
                    self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self._lazy:
            return estimate_height(self._splitter.final, width)
        if width != self._width and width > 0:
            self._update_strips(width)
        return self._height()

    def render_line(self, y: int) -> Strip:
        if self._lazy:  # scrolled into view before the idle pass reached it
            self.ensure_rendered()
        elif self.size.width and self._width != self.size.width:
            self._update_strips(self.size.width)
        final = self._final_lines
        if y < len(final):
            line = final[y]
        elif y - len(final) < len(self._tail_lines):
            line = self._tail_lines[y - len(final)]
        else:
            return Strip.blank(self.size.width, self.rich_style)
        line = line.apply_offsets(0, y)  # where the mouse is in the text, for selection (cached on the strip)
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            line = self._highlight(line, *span)
        return line

    def _highlight(self, line: Strip, start: int, end: int) -> Strip:
        """The selected cells of `line` in the screen's selection style."""
        end = line.cell_length if end == -1 else min(end, line.cell_length)
        if start >= end:
            return line
        before, selected, after = line.divide([start, end, line.cell_length])
        style = self.screen.get_component_rich_style("screen--selection")
        return Strip.join([before, selected.apply_style(style), after])

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text as drawn (what the mouse went over, not the Markdown source)."""
        lines = self._final_lines + self._tail_lines
        return selection.extract("\n".join(line.text.rstrip() for line in lines)), "\n"

    def _block_lines(self, source: str, gap: bool, width: int, code_theme: str) -> list[Strip]:
        """A block's lines, cropped and styled for this widget once, so repaints cost nothing here."""
        base = self.rich_style
        lines = render_block(source, self.app.console, width, code_theme, self._chunks)
        blank = [Strip.blank(width, base)] * BLOCK_GAP if gap else []
        # Built from segments, not with Strip.crop_extend/apply_style: those cache their results on
        # the strip, often the strip itself, and every discarded tail line became cyclic garbage.
        return blank + [
            Strip(list(Segment.apply_style(Segment.adjust_line_length(list(line), width, base), base)), width)
            for line in lines
        ]


_THEMES: dict[tuple[str, str], Theme] = {}


def markdown_theme(widget: Widget) -> Theme:
    """Rich markdown styles drawn from the current Textual theme, so replies follow the theme."""
    app = widget.app
    key = (app.theme, widget.styles.color.hex)
    if key not in _THEMES:
        colors = app.current_theme
        primary = colors.primary
        accent = colors.accent or primary
        secondary = colors.secondary or primary
        _THEMES[key] = Theme(
            {
                "markdown.h1": Style(color=primary, bold=True),
                "markdown.h1.border": Style(color=primary),
                "markdown.h2": Style(color=primary, bold=True, underline=True),
                "markdown.h3": Style(color=primary, bold=True),
                "markdown.h4": Style(color=secondary, bold=True, italic=True),
                "markdown.h5": Style(color=secondary, italic=True),
                "markdown.h6": Style(dim=True, italic=True),
                "markdown.code": Style(color=accent, bold=True),
                "markdown.block_quote": Style(color=secondary, italic=True),
                "markdown.link": Style(color=accent, underline=True),
                "markdown.link_url": Style(color=accent, underline=True),
                "markdown.item.bullet": Style(color=primary, bold=True),
                "markdown.item.number": Style(color=primary, bold=True),
                "markdown.table.header": Style(color=primary, bold=True),
                "markdown.table.border": Style(color=secondary, dim=True),
                "markdown.hr": Style(color=secondary, dim=True),
            }
        )
    return _THEMES[key]
