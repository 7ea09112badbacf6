"""Themes: Textual's built-ins, the project's theme files (themes/*.toml) and the user's own.

A theme file is TOML whose keys are the fields of `textual.theme.Theme` (name, primary, …, dark,
and an optional [variables] table). Everything is checked before the theme is registered, because
Textual only parses a theme's colours and variables when it is applied, and a bad value then stops
the app. A broken file is skipped and reported as one line, "<path>: <what>".
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from textual.app import App
from textual.color import Color, ColorParseError
from textual.css.errors import DeclarationError
from textual.css.parse import parse_declarations
from textual.css.tokenizer import TokenError
from textual.theme import Theme

import foundry_tui
from foundry_tui.config.file import read_toml
from foundry_tui.config.paths import config_dir
from foundry_tui.config.profile import ConfigError

DISTRIBUTION = "foundry-tui"
USER_THEMES_SUBDIR = "themes"


def register_themes(app: App[Any]) -> list[str]:
    """Register the project's themes, then the user's (a user theme may replace one); return the problems."""
    problems = []
    for path in theme_files():
        try:
            app.register_theme(load_theme(path))
        except ConfigError as error:
            problems.append(error.message)
    return problems


def theme_files() -> list[Path]:
    folders = [project_theme_dir(), config_dir() / USER_THEMES_SUBDIR]
    return [path for folder in folders if folder is not None and folder.is_dir() for path in sorted(folder.glob("*.toml"))]


def project_theme_dir() -> Path | None:
    """themes/ at the top of a source checkout (also an editable install), else where a wheel put it.

    A wheel ships the files as data files (share/foundry-tui/themes under the install prefix, see
    pyproject.toml); the installed RECORD says where that is for any install scheme.
    """
    checkout = Path(foundry_tui.__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "themes").is_dir():
        return checkout / "themes"
    from importlib import metadata  # ~10 ms, so only where it is needed

    try:
        installed = metadata.files(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return None
    for file in installed:
        if file.suffix == ".toml" and file.parent.name == "themes":
            return Path(str(file.locate())).resolve().parent
    return None


def load_theme(path: Path) -> Theme:
    """The theme in `path`, or ConfigError("<path>: <what>")."""
    data = read_toml(path)  # its errors already start with the path
    if data is None:
        raise ConfigError(f"{path}: the file disappeared while it was being read")
    try:
        return theme_from_toml(data)
    except ConfigError as error:
        raise error.within(str(path)) from None


def theme_from_toml(data: dict[str, Any]) -> Theme:
    for key, value in data.items():
        check = FIELD_CHECKS.get(key)
        if check is None:
            raise ConfigError(f"unknown key {key!r}{_did_you_mean(key, FIELD_CHECKS)}")
        check(key, value)
    for key in ("name", "primary"):
        if key not in data:
            raise ConfigError(f"missing {key!r}")
    return Theme(**data)


def _check_name(key: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key} must be a non-empty string")


def _check_colour(key: str, value: Any) -> None:
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a colour string such as \"#0078D4\"")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ConfigError(f"{key}: {value!r} is not a colour") from None


def _check_boolean(key: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false")


def _check_fraction(key: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ConfigError(f"{key} must be a number from 0 to 1")


def _check_variables(key: str, value: Any) -> None:
    """Each variable must be one Textual defines, holding what Textual's CSS expects there."""
    if not isinstance(value, dict):
        raise ConfigError(f"{key} must be a table")
    defaults = _variable_defaults()
    for name, setting in value.items():
        where = f"{key}.{name}"
        if name not in defaults:
            raise ConfigError(f"unknown variable {where!r}{_did_you_mean(name, defaults)}")
        css_property = "color" if _declaration_parses("color", defaults[name]) else "text-style"
        if not isinstance(setting, str) or not _declaration_parses(css_property, setting):
            kind = "a colour such as \"#0078D4 40%\"" if css_property == "color" else "a text style such as \"bold\""
            raise ConfigError(f"{where} must be {kind}")


_COLOUR_FIELDS = (
    "primary", "secondary", "accent", "warning", "error", "success",
    "foreground", "background", "surface", "panel", "boost",
)  # fmt: skip
FIELD_CHECKS: dict[str, Callable[[str, Any], None]] = {  # one per field of textual.theme.Theme
    "name": _check_name,
    **dict.fromkeys(_COLOUR_FIELDS, _check_colour),
    "dark": _check_boolean,
    "ansi": _check_boolean,
    "luminosity_spread": _check_fraction,
    "text_alpha": _check_fraction,
    "variables": _check_variables,
}


@cache
def _variable_defaults() -> dict[str, str]:
    """Every variable Textual's themes define, with a value of the kind it takes (a colour or a text style)."""
    return Theme(name="probe", primary="#0078D4").to_color_system().generate()


def _declaration_parses(css_property: str, value: str) -> bool:
    if any(char in value for char in ";{}\n"):
        return False
    try:
        parse_declarations(f"{css_property}: {value};", read_from=("theme", css_property))
    except (DeclarationError, TokenError):
        return False
    return True


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
