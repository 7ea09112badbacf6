"""The footer's key bar: the screen's keys on one line, clicks on them, and a cheap redraw when they change."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding

from foundry_tui.ui.widgets.key_bar import KeyBar


class KeysApp(App[None]):
    BINDINGS = [
        Binding("f5", "go", "Go", key_display="F5"),
        Binding("f6", "stop", "Stop", key_display="F6"),
        Binding("f7", "later", "Later", key_display="F7"),
        Binding("f8", "secret", "Secret", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.done: list[str] = []
        self.rang = 0
        self.stopping = False

    def compose(self) -> ComposeResult:
        yield KeyBar()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.stopping  # shown only while there is something to stop
        if action == "later":
            return None  # shown, but disabled
        return True

    def action_go(self) -> None:
        self.done.append("go")

    def action_later(self) -> None:
        self.done.append("later")

    def bell(self) -> None:
        self.rang += 1


def drawn(app: KeysApp) -> list[tuple[str, bool]]:
    return [(key.action, key.enabled) for key in app.screen.query_one(KeyBar).drawn]


async def test_the_bar_shows_the_shown_keys_in_binding_order_and_the_palette_at_the_right_edge() -> None:
    app = KeysApp()
    async with app.run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        bar = app.screen.query_one(KeyBar)
        line = bar.render().plain  # type: ignore[union-attr]
        assert line.startswith(" F5 Go  F7 Later ")
        assert line.endswith("▏^p palette ") and len(line) == 60
        assert drawn(app) == [("go", True), ("later", False), ("command_palette", True)]


async def test_a_key_that_becomes_available_is_drawn_without_mounting_anything() -> None:
    app = KeysApp()
    async with app.run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        bar = app.screen.query_one(KeyBar)
        app.stopping = True
        app.screen.refresh_bindings()
        await pilot.pause()
        assert [action for action, _ in drawn(app)] == ["go", "stop", "later", "command_palette"]
        assert not bar.children  # Textual's Footer mounted a widget per key, at every change
        app.stopping = False
        app.screen.refresh_bindings()
        await pilot.pause()
        assert "stop" not in [action for action, _ in drawn(app)]


async def test_a_click_runs_the_key_and_a_click_on_a_disabled_key_rings_the_bell() -> None:
    app = KeysApp()
    async with app.run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        go, later = app.screen.query_one(KeyBar).drawn[:2]
        await pilot.click(KeyBar, offset=(go.end - 1, 0))
        await pilot.click(KeyBar, offset=(later.start, 0))
        await pilot.click(KeyBar, offset=(45, 0))  # between the keys and the palette: nothing
        await pilot.pause()
        assert app.done == ["go"] and app.rang == 1


async def test_only_the_key_under_the_mouse_is_highlighted() -> None:
    app = KeysApp()
    async with app.run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        bar = app.screen.query_one(KeyBar)
        plain = bar.render()
        go = bar.drawn[0]
        await pilot.hover(KeyBar, offset=(go.start + 1, 0))
        await pilot.pause()
        hovered = bar.render()
        changed = {x for x in range(60) if hovered.get_style_at_offset(app.console, x) != plain.get_style_at_offset(app.console, x)}  # type: ignore[union-attr]
        assert changed == set(range(go.start, go.end))


async def test_a_narrow_bar_crops_the_keys_that_do_not_fit_before_the_palette() -> None:
    app = KeysApp()
    async with app.run_test(size=(22, 5)) as pilot:
        await pilot.pause()
        bar = app.screen.query_one(KeyBar)
        assert bar.render().plain == " F5 Go  F7▏^p palette "  # type: ignore[union-attr]
        assert drawn(app) == [("go", True), ("later", False), ("command_palette", True)]
        assert bar.key_at(9).action == "later" and bar.key_at(10) is None  # the separator
