"""A Markdown reply that stays fast however long it grows.

Textual's Markdown widget mounts a widget per block, and every streamed batch re-lays out all of
them, so a long reply slows to a crawl. Here a whole reply is one Line-API widget: finished blocks
are rendered to strips once (with Rich's Markdown renderer) and cached; a batch re-renders only
the tail block. The cost of a batch follows what changed, not the reply's length.
"""

from __future__ import annotations

from rich.console import Console
from rich.markdown import Markdown
from rich.style import Style
from rich.theme import Theme
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from foundry_tui.ui.markdown_blocks import BlockSplitter

BLOCK_GAP = 1  # blank lines between top-level blocks


def render_block(source: str, console: Console, width: int, code_theme: str) -> list[Strip]:
    options = console.options.update(width=width, min_width=width, max_width=width, height=None)
    lines = console.render_lines(Markdown(source, code_theme=code_theme), options, pad=False, new_lines=False)
    return [Strip(line) for line in lines]


class MarkdownView(Widget):
    """Call `append` while streaming and `finish` at the end; `update` renders text in one go."""

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
        if markdown:
            self._splitter.append(markdown)
            self._splitter.finish()

    @property
    def source(self) -> str:
        return self._splitter.source

    def append(self, text: str) -> None:
        if text:
            self._splitter.append(text)
            self._refresh_content()

    def finish(self) -> None:
        self._splitter.finish()
        self._refresh_content()

    def update(self, markdown: str) -> None:
        self._splitter = BlockSplitter()
        self._splitter.append(markdown)
        self._splitter.finish()
        self._invalidate()
        self._refresh_content()

    def notify_style_update(self) -> None:
        """Theme or CSS changed: cached strips carry old colours."""
        super().notify_style_update()
        self._invalidate()

    def _invalidate(self) -> None:
        self._width = 0
        self._final_lines = []
        self._rendered_blocks = 0
        self._tail_lines = []

    def _refresh_content(self) -> None:
        if not self._width:
            self.refresh(layout=True)
            return
        before = len(self._final_lines) + len(self._tail_lines)
        self._render(self._width)
        after = len(self._final_lines) + len(self._tail_lines)
        self.refresh(layout=after != before)

    def _render(self, width: int) -> None:
        """Render new final blocks and the tail at `width`; finished blocks are never redone."""
        if width != self._width:
            self._invalidate()
            self._width = width
        console = self.app.console
        theme = markdown_theme(self)
        code_theme = "monokai" if self.app.current_theme.dark else "friendly"
        with console.use_theme(theme):
            final = self._splitter.final
            for source in final[self._rendered_blocks :]:
                if self._final_lines:
                    self._final_lines.extend([Strip.blank(0)] * BLOCK_GAP)
                self._final_lines.extend(render_block(source, console, width, code_theme))
            self._rendered_blocks = len(final)
            tail = self._splitter.tail
            self._tail_lines = []
            if tail.strip():
                if self._final_lines:
                    self._tail_lines.extend([Strip.blank(0)] * BLOCK_GAP)
                self._tail_lines.extend(render_block(tail, console, width, code_theme))

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if width != self._width and width > 0:
            self._render(width)
        return len(self._final_lines) + len(self._tail_lines)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        final = self._final_lines
        if y < len(final):
            strip = final[y]
        elif y - len(final) < len(self._tail_lines):
            strip = self._tail_lines[y - len(final)]
        else:
            strip = Strip.blank(0)
        base = self.rich_style
        return strip.crop_extend(0, width, base).apply_style(base)


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
