"""The help screen (F1) and the chat settings screen (F4)."""

import pytest
from helpers import SIZE
from textual.widgets import Input, Static, TextArea

from foundry_tui.config.file import Config
from foundry_tui.config.profile import Profile, RequestDefaults
from foundry_tui.config.secrets import Secrets
from foundry_tui.session.chat import ChatSettings
from foundry_tui.ui.app import FoundryApp
from foundry_tui.ui.screens.chat import ChatScreen
from foundry_tui.ui.screens.chat_settings import ChatSettingsScreen, parse_max_tokens, parse_temperature, parse_thinking
from foundry_tui.ui.screens.help import HelpScreen, declared_bindings, key_label
from foundry_tui.ui.widgets.prompt import PromptInput


def make_app(defaults: RequestDefaults | None = None) -> FoundryApp:
    """A real app on an endpoint nothing listens on: nothing here sends a request."""
    profile = Profile(name="work", base_url="http://127.0.0.1:9/", deployments=["claude-sonnet-4-5"])
    profile.defaults = defaults or RequestDefaults()
    config = Config(profiles={"work": profile}, default_profile="work")
    return FoundryApp(config=config, secrets=Secrets(environ={}), profile=profile, persist=False)


def help_text(screen: HelpScreen) -> str:
    return "\n".join(str(static.content) for static in screen.query(Static))


# -- help ----------------------------------------------------------------------------------------


async def test_help_lists_every_binding_grouped_and_closes_with_escape_f1_or_q():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = help_text(app.screen)
        for group in ("Chat", "Turn", "Navigation", "App"):
            assert group in text
        assert "ctrl+r" in text and "Copy ids" in text
        assert "ctrl+o / F2" in text and "alt+enter" in text and "ctrl+p" in text
        for binding in declared_bindings(ChatScreen, PromptInput, FoundryApp):
            assert f"{key_label(binding.key)}" in text, binding
            assert binding.description in text, binding
        assert "tmux" in text and "set -s set-clipboard on" in text and "OSC 52" in text
        for close_key in ("escape", "f1", "q"):
            if not isinstance(app.screen, HelpScreen):
                await pilot.press("f1")
            await pilot.press(close_key)
            await pilot.pause()
            assert isinstance(app.screen, ChatScreen), close_key


def test_key_labels_read_like_keys():
    assert key_label("ctrl+o,f2") == "ctrl+o / F2"
    assert key_label("escape") == "esc"
    assert key_label("pageup") == "PgUp"


# -- chat settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"), [("1", 1), (" 512 ", 512), ("0", "At least 1."), ("1.5", "A whole number"), ("", "A whole number")]
)
def test_parse_max_tokens(text, expected):
    if isinstance(expected, int):
        assert parse_max_tokens(text) == expected
    else:
        with pytest.raises(ValueError, match=expected):
            parse_max_tokens(text)


@pytest.mark.parametrize(
    ("text", "expected"), [("", None), ("0", 0.0), ("0.7", 0.7), ("1", 1.0), ("1.01", "From 0 to 1."), ("warm", "A number")]
)
def test_parse_temperature(text, expected):
    if expected is None or isinstance(expected, float):
        assert parse_temperature(text) == expected
    else:
        with pytest.raises(ValueError, match=expected):
            parse_temperature(text)


async def open_settings(app: FoundryApp, pilot) -> ChatSettingsScreen:
    await pilot.press("f4")
    await pilot.pause()
    assert isinstance(app.screen, ChatSettingsScreen)
    return app.screen


async def test_settings_start_from_the_profile_defaults_validate_inline_and_apply():
    app = make_app(RequestDefaults(max_tokens=2048, temperature=0.5, system="Be brief."))
    async with app.run_test(size=SIZE) as pilot:
        chat = app.screen
        settings = await open_settings(app, pilot)
        assert settings.query_one("#system", TextArea).text == "Be brief."
        max_tokens = settings.query_one("#max-tokens", Input)
        temperature = settings.query_one("#temperature", Input)
        assert (max_tokens.value, temperature.value) == ("2048", "0.5")

        max_tokens.value = "0"
        temperature.value = "2"
        await pilot.pause()
        assert str(settings.query_one("#max-tokens-problem", Static).content) == "At least 1."
        assert settings.query_one("#temperature-problem", Static).display
        await pilot.press("ctrl+s")
        assert app.screen is settings and chat.session.settings.max_tokens is None  # nothing applied

        settings.query_one("#system", TextArea).text = "Answer in French."
        max_tokens.value = "512"
        temperature.value = ""
        await pilot.pause()
        assert not settings.query_one("#temperature-problem", Static).display
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is chat
        assert (chat.session.settings.system, chat.session.settings.max_tokens, chat.session.settings.temperature) == ("Answer in French.", 512, None)
        request = chat.session.request("hi", "claude-sonnet-4-5", app.profile.defaults)
        assert (request.system, request.max_tokens, request.temperature) == ("Answer in French.", 512, 0.5)


async def test_settings_show_the_conversations_own_values_and_escape_cancels():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        chat = app.screen
        chat.session.settings = ChatSettings(system="Mine.", max_tokens=100, temperature=0.25)
        settings = await open_settings(app, pilot)
        assert settings.query_one("#system", TextArea).text == "Mine."
        assert (settings.query_one("#max-tokens", Input).value, settings.query_one("#temperature", Input).value) == (
            "100",
            "0.25",
        )
        settings.query_one("#max-tokens", Input).value = "7"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is chat and chat.session.settings.max_tokens == 100


# -- snapshots -------------------------------------------------------------------------------------


def test_snapshot_help(snap_compare):
    assert snap_compare(make_app(), press=["f1"], terminal_size=SIZE)


def test_snapshot_chat_settings_with_a_problem(snap_compare):
    async def type_a_bad_temperature(pilot):
        await pilot.press("f4")
        await pilot.pause()
        for field in pilot.app.screen.query("Input, TextArea"):
            field.cursor_blink = False
        pilot.app.screen.query_one("#system", TextArea).text = "You are a careful reviewer. Answer briefly."
        pilot.app.screen.query_one("#temperature", Input).value = "1.5"
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=type_a_bad_temperature)


@pytest.mark.parametrize(
    ("text", "expected"), [("", None), (" 2048 ", 2048), ("1000", ValueError), ("lots", ValueError)]
)
def test_parse_thinking(text, expected):
    if expected is ValueError:
        with pytest.raises(ValueError):
            parse_thinking(text)
    else:
        assert parse_thinking(text) == expected


async def test_thinking_budget_must_leave_room_for_the_answer():
    app = make_app(RequestDefaults(max_tokens=2048))
    async with app.run_test(size=SIZE) as pilot:
        chat = app.screen
        settings = await open_settings(app, pilot)
        settings.query_one("#thinking", Input).value = "4096"
        await pilot.press("ctrl+s")
        assert app.screen is settings and "below max tokens" in str(settings.query_one("#thinking-problem").render())
        settings.query_one("#thinking", Input).value = "1024"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is chat and chat.session.settings.thinking_budget == 1024
        request = chat.session.request("hi", "claude-sonnet-4-5", app.profile.defaults)
        assert request.to_body()["thinking"] == {"type": "enabled", "budget_tokens": 1024}
        assert "temperature" not in request.to_body()
