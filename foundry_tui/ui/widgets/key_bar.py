"""The footer: the screen's keys on one line, drawn by one widget.

Textual's Footer rebuilds a widget per key whenever the bindings change: at the start and the end
of every turn (esc shows only while a reply streams), about 8 ms of mounting on the event loop
that is, at that moment, connecting and sending the request. This bar looks the same and takes
the same clicks, but a change of bindings is one re-render of one line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.binding import ActiveBinding, Binding
from textual.screen import Screen
from textual.widget import Widget

DIM = Style(dim=True)


@dataclass(frozen=True)
class KeySpan:
    """Where one key's hint is drawn, and what a click on it does."""

    start: int
    end: int
    key: str
    action: str
    enabled: bool


class KeyBar(Widget):
    """The keys the screen's bindings show (one per action, in binding order), and the command
    palette's key on the right. A disabled key is dim and a click on it rings the bell."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--hover", "key-bar--separator"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-bar--hover {
            background: $block-hover-background;
        }
        .key-bar--separator {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, *, palette: bool = True, id: str | None = None, classes: str | None = None) -> None:
        """
        Args:
            palette: Show the command palette's key on the right (when the app has a palette).
        """
        super().__init__(id=id, classes=classes)
        self.palette = palette
        self.drawn: list[KeySpan] = []  # the keys as last drawn, left to right
        self._hover: int | None = None  # the column under the mouse

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        self.refresh()

    @staticmethod
    def _shown(active: Mapping[str, ActiveBinding]) -> list[tuple[Binding, bool]]:
        """One (binding, enabled) per action shown on the left, in the order the bindings come."""
        by_action: dict[str, tuple[Binding, bool]] = {}
        for _node, binding, enabled, _tooltip in active.values():
            if binding.show:
                by_action.setdefault(binding.action, (binding, enabled))
        return list(by_action.values())

    def render(self) -> RenderResult:
        line = Text(no_wrap=True, overflow="crop", end="")
        drawn: list[KeySpan] = []
        active = self.screen.active_bindings  # asks every binding's check_action: once a render
        for binding, enabled in self._shown(active):
            self._add(line, drawn, binding, enabled, f" {self.app.get_key_display(binding)} ", f"{binding.description} ")
        palette = self._palette(active)
        if palette is not None:
            binding, enabled = palette
            key, description = self.app.get_key_display(binding), f" {binding.description}"
            start = max(0, self.size.width - cell_len(key + description) - 2)  # the separator, a space after
            line.truncate(start, pad=True)
            drawn = [dataclasses.replace(span, end=min(span.end, start)) for span in drawn if span.start < start]
            line.append("▏", style=self.get_component_rich_style("key-bar--separator"))
            self._add(line, drawn, binding, enabled, key, description)
            line.append(" ")
        self.drawn = drawn
        return line

    def _palette(self, active: Mapping[str, ActiveBinding]) -> tuple[Binding, bool] | None:
        if not (self.palette and self.app.ENABLE_COMMAND_PALETTE):
            return None
        found = active.get(self.app.COMMAND_PALETTE_BINDING)
        return None if found is None else (found.binding, found.enabled)

    def _add(self, line: Text, spans: list[KeySpan], binding: Binding, enabled: bool, key: str, description: str) -> None:
        start = line.cell_len
        hovered = self._hover is not None and start <= self._hover < start + cell_len(key + description)
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        if hovered:
            hover = Style(bgcolor=self.get_component_rich_style("key-bar--hover").bgcolor)
            key_style, description_style = key_style + hover, description_style + hover
        if not enabled:
            key_style, description_style = key_style + DIM, description_style + DIM
        line.append(key, style=key_style)
        line.append(description, style=description_style)
        spans.append(KeySpan(start, line.cell_len, binding.key, binding.action, enabled))

    def key_at(self, x: int) -> KeySpan | None:
        """The key drawn at column `x`, if any."""
        return next((span for span in self.drawn if span.start <= x < span.end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(event.x)

    def on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def _set_hover(self, x: int | None) -> None:
        before = self.key_at(self._hover) if self._hover is not None else None
        self._hover = x
        if (self.key_at(x) if x is not None else None) != before:
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        span = self.key_at(event.x)
        if span is None:
            return
        if span.enabled:
            self.app.simulate_key(span.key)
        else:
            self.app.bell()
