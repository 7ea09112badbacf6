"""A Markdown reply that stays fast however long it grows.

Textual's Markdown widget mounts a widget per block, and every streamed batch re-lays out all of
them, so a long reply slows to a crawl. Here a whole reply is one Line-API widget: finished blocks
are rendered to strips once (with Rich's Markdown renderer) and cached; a batch re-renders only
the tail block. The cost of a batch follows what changed, not the reply's length.

Code fences are the exception to "one block is cheap": re-highlighting a 400-line fence every
frame costs ~80 ms. So fences render in chunks of lines cut at blank lines (where lexer state is
almost always neutral); a growing fence re-renders only its last chunk. Streaming and one-shot
renders cut identically, so they produce the same strips.

Nothing is rendered before it is drawn. A reply is a list of pieces (a block, or a chunk of a
fence), each laid out at an estimated height until the compositor first asks for one of its lines;
then it renders and its true height replaces the estimate. So a flood costs what the last
screenful costs, and the rest renders in idle time (`render_some`), newest first.

While text floods in (more than a screenful a frame, see `drafting`), even that is more than anyone
can read: a piece first drawn then shows its source as plain text, at its estimated height, and
renders for real when the flood ends. Rich's rendering was about a third of each such frame.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from rich.theme import Theme
from textual.geometry import Region, Size
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget

from foundry_tui.safetext import terminal_text
from foundry_tui.ui.markdown_blocks import BlockSplitter, block_parts, chunk_bounds, estimate_lines, fence_code, parser

if TYPE_CHECKING:  # Rich's Markdown and Syntax pull in markdown-it and Pygments: loaded on first render
    from rich.console import Console, RenderableType

BLOCK_GAP = 1  # blank lines between top-level blocks
STREAM_RESERVE = 8  # while streaming, the view grows this many lines at a time
FEED_CHARS = 8_000  # appended text is parsed this much at a time…
FEED_SECONDS = 0.02  # …for this long per loop step: a 4 MB delta is taken in over many frames
@dataclass(eq=False)
class Piece:
    """Some lines of a reply, rendered when first needed; until then laid out at `estimate` lines."""

    render: Callable[[], list[Strip]]
    estimate: int
    lines: list[Strip] | None = None
    source: str = ""  # what a draft shows
    draft: bool = False  # `lines` are the source as plain text, standing in until the flood ends

    @classmethod
    def ready(cls, lines: list[Strip]) -> Piece:
        """Lines known up front (gaps, fence padding): one such piece may stand in many places."""
        return cls(list, len(lines), lines)

    @property
    def height(self) -> int:
        return self.estimate if self.lines is None else len(self.lines)

    @property
    def pending(self) -> bool:
        """Not rendered for real yet."""
        return self.lines is None or self.draft

    def rendered(self) -> list[Strip]:
        if self.lines is None or self.draft:
            self.lines = self.render()
            self.draft = False
        return self.lines

    def draw_draft(self, width: int, style: Style) -> None:
        """Lines of the source as plain text, cut as `estimate_lines` counts them: the same height."""
        step = max(width - 2, 1)
        self.lines = [
            Strip(Segment.adjust_line_length([Segment(line[start : start + step].replace("\t", " "), style)], width, style), width)
            for line in self.source.split("\n")
            for start in range(0, max(len(line), 1), step)
        ]
        self.draft = True


class ChunkCache:
    """Pieces by (lexer, text), kept only while the block being streamed still uses them."""

    def __init__(self) -> None:
        self._pieces: dict[tuple[str, str], Piece] = {}
        self._used: set[tuple[str, str]] = set()

    def get(self, key: tuple[str, str], make: Callable[[], Piece]) -> Piece:
        if key in self._used:  # the same text twice in one round: a piece has one place in a reply
            return make()
        self._used.add(key)
        if key not in self._pieces:
            self._pieces[key] = make()
        return self._pieces[key]

    def start_round(self) -> None:
        self._used = set()

    def drop_unused(self) -> None:
        self._pieces = {key: self._pieces[key] for key in self._used}


def render_block(source: str, console: Console, width: int, code_theme: str) -> list[Strip]:
    """Strips for one top-level block other than a fence (fences render chunk by chunk)."""
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


def fence_padding(width: int, code_theme: str) -> Strip:
    """The blank line Rich's CodeBlock puts above and below the code, in the theme's background."""
    from rich.syntax import Syntax

    return Strip([Segment(" " * width, Syntax.get_theme(code_theme).get_background_style())], width)


def render_fence_chunk(lexer: str, code: str, console: Console, width: int, code_theme: str) -> list[Strip]:
    from rich.syntax import Syntax

    return _rich_lines(Syntax(code, lexer, theme=code_theme, word_wrap=True, padding=(0, 1)), console, width)


def render_fence(lexer: str, lines: list[str], console: Console, width: int, code_theme: str) -> list[Strip]:
    """Rich's CodeBlock look (Syntax, padding 1), built chunk by chunk as the view builds it."""
    padding = fence_padding(width, code_theme)
    strips = [padding]
    for start, end in chunk_bounds(len(lines), lines):
        strips.extend(render_fence_chunk(lexer, "\n".join(lines[start:end]), console, width, code_theme))
    strips.append(padding)
    return strips


WARM_UP_SAMPLE = "## A *sample*\n\nWith `code`, a [link](https://example.com) and:\n\n- a list\n\n| a | table |\n|---|---|\n| 1 | 2 |"
WARM_UP_CODE = "def sample(value: int) -> str:\n    return f'{value!r}'  # Python: the most common fence in replies\n"


def code_theme_for(dark: bool) -> str:
    """The Pygments style of code fences on a dark or a light theme."""
    return "monokai" if dark else "friendly"


def warm_up_rendering(dark: bool) -> None:
    """Render a small sample on a console of its own (a thread may call this): what a first render
    costs once per process, such as compiling the Python lexer's patterns (~35 ms), is then not
    paid in the middle of the first reply."""
    from rich.console import Console

    console = Console(width=80, force_terminal=True, color_system="truecolor")
    code_theme = code_theme_for(dark)
    render_block(WARM_UP_SAMPLE, console, 80, code_theme)
    render_fence("python", WARM_UP_CODE.splitlines(), console, 80, code_theme)


def _rich_lines(renderable: RenderableType, console: Console, width: int) -> list[Strip]:
    options = console.options.update(width=width, min_width=width, max_width=width, height=None)
    return [Strip(line) for line in console.render_lines(renderable, options, pad=False, new_lines=False)]


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
        self._pieces: list[Piece] = []  # those of the final blocks, then those of the tail
        self._tail_from = 0  # where the tail's pieces start
        self._laid_out_blocks = 0
        self._tail_source = ""
        self._starts: list[int] = []  # first line of each piece, valid for the first `_valid` pieces
        self._valid = 0
        self._chunks = ChunkCache()
        self._fixed_pieces: dict[str, Piece] = {}
        self._rendered_with: tuple[str, Style] | None = None  # theme and base style of the pieces
        self._backlog = ""  # appended text not parsed yet
        self._finishing = False  # `finish` was called while a backlog was left
        self._drafting = False
        self._drafts: list[Piece] = []
        self._end_on_screen = True  # a paint since the last flush drew the reply's last lines
        if markdown:
            self._splitter.append(terminal_text(markdown))
            self._splitter.finish()

    @property
    def source(self) -> str:
        return self._splitter.source + self._backlog

    def append(self, text: str) -> None:
        if text:
            feeding = bool(self._backlog)
            self._backlog += terminal_text(text)
            if not feeding:
                self._feed()

    @property
    def drafting(self) -> bool:
        """Pieces first drawn now show plain text: the turn says so while text floods in."""
        return self._drafting

    @drafting.setter
    def drafting(self, drafting: bool) -> None:
        if drafting == self._drafting:
            return
        self._drafting = drafting
        if not drafting and self._drafts:
            for piece in self._drafts:  # back to unrendered at the same height: no layout
                if piece.draft:
                    piece.lines = None
                    piece.draft = False
            self._drafts.clear()
            self.refresh()  # the visible ones render for real in this repaint, the rest in idle time

    def finish(self) -> None:
        self.drafting = False
        if self._backlog:
            self._finishing = True
            return
        self._splitter.finish()
        self._refresh_content()
        self.call_later(self._show_final)  # in a loop step of its own: the turn's last one is long enough

    def _show_final(self) -> None:
        """The last screenful rendered, then the layout without the streaming reserve."""
        self._render_last_screenful()
        self.refresh(layout=True)

    def _render_last_screenful(self) -> None:
        """Render the pieces that fill the reply's last screenful: a log that follows the reply shows
        them next. With their true heights known before the layout, the next frame is right at once;
        rendered in the paint instead, they would move the layout and take a second frame."""
        covered = 0
        for index in range(len(self._pieces) - 1, -1, -1):
            if covered >= self.app.size.height:
                return
            self._render_piece(index)
            covered += self._pieces[index].height

    def _feed(self) -> None:
        """Parse the backlog FEED_CHARS at a time for up to FEED_SECONDS, and the rest on later loop
        steps, so one huge delta never holds the loop (keys and frames go between the steps)."""
        deadline = time.perf_counter() + FEED_SECONDS
        while self._backlog and time.perf_counter() < deadline:
            text, self._backlog = self._backlog[:FEED_CHARS], self._backlog[FEED_CHARS:]
            self._splitter.append(text)
        self._refresh_content()
        if self._backlog:
            self.set_timer(0.001, self._feed)
        elif self._finishing:
            self._finishing = False
            self.finish()

    def notify_style_update(self) -> None:
        """Pieces carry the colours they were rendered with: drop them only if those changed (a
        class change on the turn around this view also lands here, and must not re-render a long
        reply). The visible ones render again when next drawn."""
        super().notify_style_update()
        if self._width and self._rendered_with != self._style_key():
            width = self._width
            self._invalidate()
            self._update_pieces(width)
            self.refresh(layout=True)

    def _style_key(self) -> tuple[str, Style]:
        return self.app.theme, self.rich_style

    def _invalidate(self) -> None:
        self._width = 0
        self._pieces = []
        self._tail_from = 0
        self._laid_out_blocks = 0
        self._tail_source = ""
        self._starts = []
        self._valid = 0
        self._chunks = ChunkCache()
        self._fixed_pieces = {}

    def _refresh_content(self) -> None:
        if not self._width:
            self.refresh(layout=True)
            return
        before = self._height()
        changed_from = self._tail_from  # pieces from here on are replaced
        self._update_pieces(self._width)
        if self._splitter.streaming and not self._drafting and self._end_on_screen:
            self._render_last_screenful()  # in practice the tail block: the others are rendered already
        self._end_on_screen = False  # scrolled up, the tail renders when drawn, as the rest does
        if self._height() != before:
            self.refresh(layout=True)  # a new height re-lays out and repaints the whole screen
            return
        # The same height repaints the lines from the first piece that changed (replaced, or rendered
        # at a new height) down: each line repainted is a new strip for Textual to compose, and cyclic
        # garbage once replaced (strips cache themselves).
        first = max(min(changed_from, self._valid - 1), 0)
        top = self._line_starts()[first] if first < len(self._pieces) else 0
        self.refresh(Region(0, top, self.size.width, max(self.size.height - top, 0)))

    def _line_starts(self) -> list[int]:
        """Brought up to date from the first piece that changed: a growing reply costs its tail."""
        starts, pieces = self._starts, self._pieces
        del starts[self._valid :]
        line = starts[-1] + pieces[len(starts) - 1].height if starts else 0
        for piece in pieces[len(starts) :]:
            starts.append(line)
            line += piece.height
        self._valid = len(starts)
        return starts

    def _lines(self) -> int:
        return self._line_starts()[-1] + self._pieces[-1].height if self._pieces else 0

    def _height(self) -> int:
        """Lines to lay out. While streaming, the height grows in steps of STREAM_RESERVE blank lines
        below the text, so most frames repaint this view alone instead of re-laying out the screen."""
        lines = self._lines()
        if not self._splitter.streaming or lines < STREAM_RESERVE * 2:
            return lines
        return -(-lines // STREAM_RESERVE) * STREAM_RESERVE

    def _update_pieces(self, width: int) -> None:
        """Pieces for new final blocks and the tail at `width`: laid out, not rendered."""
        if width != self._width:
            self._invalidate()
            self._width = width
            self._rendered_with = self._style_key()
        code_theme = code_theme_for(self.app.current_theme.dark)
        final = self._splitter.final
        tail = self._splitter.tail
        if len(final) == self._laid_out_blocks and tail == self._tail_source:
            return
        del self._pieces[self._tail_from :]
        self._valid = min(self._valid, self._tail_from)
        self._chunks.start_round()
        for source in final[self._laid_out_blocks :]:
            self._pieces.extend(self._block_pieces(source, bool(self._pieces), code_theme))
        self._laid_out_blocks = len(final)
        self._tail_from = len(self._pieces)
        if tail.strip():
            self._pieces.extend(self._block_pieces(tail, bool(self._pieces), code_theme))
        self._chunks.drop_unused()
        self._tail_source = tail

    def _block_pieces(self, source: str, gap: bool, code_theme: str) -> list[Piece]:
        width = self._width
        pieces = [self._fixed("gap", lambda: [Strip.blank(width, self.rich_style)] * BLOCK_GAP)] if gap else []
        fence = fence_code(source)
        if fence is None:
            for part in block_parts(source):
                render = partial(render_block, part, self.app.console, width, code_theme)
                pieces.append(self._chunks.get(("", part), partial(self._lazy_piece, render, part)))
            return pieces
        lexer, lines = fence
        padding = self._fixed(code_theme, lambda: self._fit([fence_padding(width, code_theme)]))
        pieces.append(padding)
        for start, end in chunk_bounds(len(lines), lines):
            code = "\n".join(lines[start:end])
            render = partial(render_fence_chunk, lexer, code, self.app.console, width, code_theme)
            pieces.append(self._chunks.get((lexer, code), partial(self._lazy_piece, render, code)))
        pieces.append(padding)
        return pieces

    def _fixed(self, name: str, lines: Callable[[], list[Strip]]) -> Piece:
        """The shared gap or fence padding piece: thousands of blocks, a handful of objects."""
        if name not in self._fixed_pieces:
            self._fixed_pieces[name] = Piece.ready(lines())
        return self._fixed_pieces[name]

    def _lazy_piece(self, render: Callable[[], list[Strip]], text: str) -> Piece:
        return Piece(partial(self._styled, render), estimate_lines(text, self._width), source=text)

    def _styled(self, render: Callable[[], list[Strip]]) -> list[Strip]:
        with self.app.console.use_theme(markdown_theme(self)):
            return self._fit(render())

    def _fit(self, lines: list[Strip]) -> list[Strip]:
        """Lines cropped and styled for this widget once, so repaints cost nothing here."""
        base, width = self.rich_style, self._width
        # Built from segments, not with Strip.crop_extend/apply_style: those cache their results on
        # the strip, often the strip itself, and every discarded tail line became cyclic garbage.
        return [Strip(list(Segment.apply_style(Segment.adjust_line_length(list(line), width, base), base)), width) for line in lines]

    def _render_piece(self, index: int) -> bool:
        """Render one piece; True if that changed the view's height (the layout must follow)."""
        piece = self._pieces[index]
        estimate = piece.height
        piece.rendered()
        if piece.height == estimate:
            return False
        self._valid = min(self._valid, index + 1)
        return True

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    @property
    def is_rendered(self) -> bool:
        return not any(piece.pending for piece in self._pieces)

    def render_some(self, budget: float) -> bool:
        """Render pieces not drawn yet, newest first, for about `budget` seconds and at least one
        (the chat screen calls this in idle time); True when none is left."""
        pieces = self._pieces if self._width else []
        pending = [index for index in range(len(pieces) - 1, -1, -1) if pieces[index].pending]
        deadline = time.perf_counter() + budget
        moved = rendered = 0
        for index in pending:
            moved += self._render_piece(index)
            rendered += 1
            if time.perf_counter() > deadline:
                break
        if moved:
            self.refresh(layout=True)
        return rendered == len(pending)

    def ensure_rendered(self) -> None:
        """Render every piece now (selection, tests)."""
        if not self._width and self.size.width:
            self._update_pieces(self.size.width)
        if self._width:
            self.render_some(float("inf"))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if width != self._width and width > 0:
            self._update_pieces(width)
        return self._height()

    def render_line(self, y: int) -> Strip:
        if self.size.width and self._width != self.size.width:
            self._update_pieces(self.size.width)
        if y >= self.size.height - STREAM_RESERVE:
            self._end_on_screen = True
        line = self._line_at(y)
        if line is None:
            return Strip.blank(self.size.width, self.rich_style)
        line = line.apply_offsets(0, y)  # where the mouse is in the text, for selection (cached on the strip)
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            line = self._highlight(line, *span)
        return line

    def _line_at(self, y: int) -> Strip | None:
        """Line `y`, rendering the piece it falls in if it was only estimated so far."""
        while y < self._lines():
            starts = self._line_starts()
            index = bisect_right(starts, y) - 1
            piece = self._pieces[index]
            if piece.lines is not None:
                return piece.lines[y - starts[index]]
            if self._drafting:
                piece.draw_draft(self._width, self.rich_style)
                self._drafts.append(piece)
                continue
            if self._render_piece(index):  # asked from inside a paint, which would drop a refresh now
                self.call_later(self.refresh, layout=True)
        return None

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
        self.ensure_rendered()
        lines = [line for piece in self._pieces for line in piece.rendered()]
        return selection.extract("\n".join(line.text.rstrip() for line in lines)), "\n"


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
