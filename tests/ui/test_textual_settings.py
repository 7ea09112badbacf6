"""Textual's settings the app runs with: read from the environment when Textual is first imported."""

import os
import subprocess
import sys

import pytest

MAX_FPS = "import foundry_tui.ui.app; from textual import constants; print(constants.MAX_FPS)"


def max_fps_of_a_fresh_app(**environ: str) -> int:
    env = {name: value for name, value in os.environ.items() if name != "TEXTUAL_FPS"} | environ
    return int(subprocess.run([sys.executable, "-c", MAX_FPS], env=env, capture_output=True, text=True, check=True).stdout)


def test_the_app_draws_up_to_120_frames_a_second_so_a_key_after_a_long_frame_waits_half_as_long() -> None:
    assert max_fps_of_a_fresh_app() == 120


@pytest.mark.parametrize("setting", ["30", "240"])
def test_a_users_own_frame_rate_wins(setting: str) -> None:
    assert max_fps_of_a_fresh_app(TEXTUAL_FPS=setting) == int(setting)


def test_the_tests_run_the_app_at_its_own_frame_rate() -> None:
    """pytest loads `foundry_tui.ui` before the snapshot plugin imports Textual (pyproject's addopts)."""
    from textual import constants

    assert constants.MAX_FPS == int(os.environ.get("TEXTUAL_FPS", "120"))
