"""Where foundry-tui keeps its files.

FOUNDRY_TUI_HOME=DIR keeps everything under DIR (config/, data/, cache/, logs/): handy for tests,
portable installs and trying things out. Otherwise the platform's usual places (platformdirs).
Nothing here creates directories on its own; whoever writes a file creates what it needs with
make_private_dirs().
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "foundry-tui"
HOME_VAR = "FOUNDRY_TUI_HOME"


def home_override() -> Path | None:
    """The FOUNDRY_TUI_HOME directory, read on every call so a changed environment takes effect."""
    value = os.environ.get(HOME_VAR, "").strip()
    return Path(value).expanduser().absolute() if value else None


def config_dir() -> Path:
    return _app_dir("config", "user_config_dir")


def data_dir() -> Path:
    return _app_dir("data", "user_data_dir")


def cache_dir() -> Path:
    return _app_dir("cache", "user_cache_dir")


def log_dir() -> Path:
    return _app_dir("logs", "user_log_dir")


def config_file() -> Path:
    return config_dir() / "config.toml"


def _app_dir(home_subdir: str, platformdirs_function: str) -> Path:
    home = home_override()
    if home is not None:
        return home / home_subdir
    import platformdirs  # only when needed: it costs ~10 ms at startup

    return Path(getattr(platformdirs, platformdirs_function)(APP_NAME, appauthor=False))


def make_private_dirs(path: Path) -> None:
    """Create `path` and any missing parents owner-only (0700), whatever the umask; existing ones stay as they are."""
    missing = []
    while not path.exists():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made by another process meanwhile
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask; owner-only must not depend on it
