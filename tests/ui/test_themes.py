"""Themes: project files load, broken user files are reported (never fatal), the choice persists."""

from dataclasses import fields
from importlib import metadata
from pathlib import Path

import pytest
from helpers import foundry, write_config
from textual.theme import Theme

import foundry_tui
from foundry_tui.config.file import Config, load_config
from foundry_tui.config.profile import ConfigError, Profile
from foundry_tui.config.secrets import Secrets
from foundry_tui.ui.app import FoundryApp
from foundry_tui.ui.themes import FIELD_CHECKS, load_theme, project_theme_dir

PROJECT_THEMES = {"foundry-azure", "foundry-claude", "foundry-paper"}
GOOD_THEME = 'name = "mine"\nprimary = "#123456"\n'


def make_app(config: Config | None = None, *, persist: bool = False) -> FoundryApp:
    """A real app on an endpoint nothing listens on: these tests never send a request."""
    profile = Profile(name="work", base_url="http://127.0.0.1:9/", deployments=["claude-sonnet-4-5"])
    config = config or Config(profiles={"work": profile}, default_profile="work")
    if persist:
        write_config(config)
    return FoundryApp(config=config, secrets=Secrets(environ={}), profile=config.profiles["work"], persist=persist)


def user_theme(home: Path, name: str, text: str) -> Path:
    folder = home / "config" / "themes"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_project_theme_files_load_and_live_in_the_checkout():
    folder = project_theme_dir()
    assert folder == Path(foundry_tui.__file__).resolve().parent.parent / "themes"
    assert {load_theme(path).name for path in folder.glob("*.toml")} == PROJECT_THEMES


def test_an_installed_package_finds_the_themes_its_record_lists(tmp_path, monkeypatch):
    """A wheel installs themes/*.toml as data files; the dist-info RECORD says where they went."""
    site = tmp_path / "lib" / "site-packages"
    (site / "foundry_tui").mkdir(parents=True)
    dist_info = site / "foundry_tui-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Name: foundry-tui\nVersion: 1.0\n")
    (dist_info / "RECORD").write_text("../../share/foundry-tui/themes/foundry-azure.toml,,\nfoundry_tui/__init__.py,,\n")
    shared = tmp_path / "share" / "foundry-tui" / "themes"
    shared.mkdir(parents=True)
    monkeypatch.setattr(foundry_tui, "__file__", str(site / "foundry_tui" / "__init__.py"))
    monkeypatch.setattr(metadata, "files", lambda name: metadata.PathDistribution(dist_info).files)
    assert project_theme_dir() == shared.resolve()


def test_every_theme_field_is_checked():
    assert set(FIELD_CHECKS) == {spec.name for spec in fields(Theme)}


def test_a_theme_file_with_variables_loads(tmp_path):
    path = tmp_path / "ok.toml"
    path.write_text(GOOD_THEME + 'dark = false\n[variables]\nfooter-key-foreground = "#ff0000"\nblock-cursor-text-style = "bold"\n')
    theme = load_theme(path)
    assert (theme.name, theme.dark, theme.variables["block-cursor-text-style"]) == ("mine", False, "bold")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('name = "x"\nprimary = \n[variables]\n', ":2: Invalid value"),
        ('primary = "#123456"\n', "missing 'name'"),
        ('name = "x"\n', "missing 'primary'"),
        ('name = "x"\nprimary = "blu"\n', "primary: 'blu' is not a colour"),
        ('name = "x"\nprimary = "#123456"\nprimray = "#123456"\n', "unknown key 'primray' (did you mean 'primary'?)"),
        ('name = "x"\nprimary = "#123456"\ndark = "yes"\n', "dark must be true or false"),
        ('name = "x"\nprimary = "#123456"\n[variables]\nfooter-key-foreground = "zz"\n', "variables.footer-key-foreground must be a colour"),
        ('name = "x"\nprimary = "#123456"\n[variables]\nblock-cursor-text-style = "wat"\n', "must be a text style"),
        ('name = "x"\nprimary = "#123456"\n[variables]\nfooter-key-fg = "#fff"\n', "unknown variable 'variables.footer-key-fg'"),
    ],
)
def test_a_broken_theme_file_is_one_line_naming_the_file(tmp_path, text, problem):
    path = tmp_path / "broken.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_theme(path)
    assert caught.value.message.startswith(str(path))
    assert problem in caught.value.message
    assert "\n" not in caught.value.message


async def test_the_app_registers_project_and_user_themes_and_reports_broken_ones(foundry_home):
    user_theme(foundry_home, "mine.toml", GOOD_THEME)
    broken = user_theme(foundry_home, "broken.toml", 'name = "broken"\nprimary = "not-a-colour"\n')
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert PROJECT_THEMES | {"mine"} <= set(app.available_themes)
        assert "broken" not in app.available_themes
        assert app.theme_errors == [f"{broken}: primary: 'not-a-colour' is not a colour"]
        app.theme = "foundry-claude"  # still running, and every project theme applies cleanly
        await pilot.pause()
        assert app.is_running


async def test_the_chosen_theme_persists_to_the_config_file():
    app = make_app(persist=True)
    async with app.run_test(size=(100, 30)) as pilot:
        app.theme = "foundry-azure"
        await pilot.pause()
    config = load_config()
    assert config.theme == "foundry-azure"
    again = make_app(config)
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert again.theme == "foundry-azure"


def test_chat_screen_in_the_foundry_claude_theme(snap_compare):
    app = make_app()

    async def claude_theme(pilot):
        pilot.app.theme = "foundry-claude"
        prompt = pilot.app.screen.query_one("#prompt")
        prompt.cursor_blink = False
        prompt.insert("Explain OSC 52 in one line")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=claude_theme)



def test_a_theme_symlinked_to_dev_zero_is_refused_without_reading_it_all(foundry_home):
    theme = foundry_home / "config" / "themes" / "zero.toml"
    theme.parent.mkdir(parents=True)
    theme.symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match="larger than 1 MiB") as caught:
        load_theme(theme)
    assert str(theme) in caught.value.message and caught.value.hint


async def test_a_theme_switch_keeps_a_profile_added_from_another_shell(foundry_home):
    app = make_app(persist=True)
    async with app.run_test(size=(100, 30)) as pilot:
        added = foundry("profile", "add", "p2", "--resource", "p2-resource")
        assert added.returncode == 0, added.stderr
        app.theme = "foundry-paper"
        await pilot.pause()
    config = load_config()
    assert config.theme == "foundry-paper" and set(config.profiles) == {"work", "p2"}
