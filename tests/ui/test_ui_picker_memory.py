"""The picker's memory of checks, its copy key and Home/End (issue #13), on fixed check results."""

from __future__ import annotations

import time
from dataclasses import replace

from helpers import SIZE
from textual.widgets import Label, Static

from foundry_tui.config.file import Config
from foundry_tui.config.profile import Profile
from foundry_tui.config.secrets import Secrets
from foundry_tui.service.check import CheckResult
from foundry_tui.ui.app import FoundryApp
from foundry_tui.ui.screens.deployments import DeploymentPicker, DeploymentRow

NAMES = ["claude-sonnet-4-5", "claude-haiku-4-5", "my-opus"]


def offline_app() -> FoundryApp:
    profile = Profile(name="work", base_url="http://127.0.0.1:9/", deployments=list(NAMES))
    config = Config(profiles={"work": profile}, default_profile="work")
    app = FoundryApp(config=config, secrets=Secrets(environ={}), profile=profile, persist=False)

    async def run_check(profile, deployments, timeout):
        [name] = deployments
        return [CheckResult("work", "http://127.0.0.1:9/", "api-key", name, 200, 0.412, 0.38, None, f"req_{name}", "apim_1", None)]

    app.run_check = run_check
    return app


async def open_picker(pilot) -> DeploymentPicker:
    await pilot.press("ctrl+o")
    await pilot.pause()
    picker = pilot.app.screen
    assert isinstance(picker, DeploymentPicker)
    return picker


def statuses(picker: DeploymentPicker) -> list[str]:
    return [str(row.query(Label).last().content) for row in picker.query(DeploymentRow)]


async def checked_first_row(pilot) -> DeploymentPicker:
    picker = await open_picker(pilot)
    await pilot.press("c")
    await pilot.pause(0.2)
    assert statuses(picker)[0].startswith("✓ 200")
    return picker


async def test_check_results_are_kept_with_their_age_when_the_picker_reopens():
    app = offline_app()
    async with app.run_test(size=SIZE) as pilot:
        await checked_first_row(pilot)
        await pilot.press("escape")
        memory = app.check_memory.recall(app.profile, NAMES[0])
        memory.at = time.time() - 180  # three minutes later
        picker = await open_picker(pilot)
        assert statuses(picker) == ["✓ 200 · 412 ms · 3 min ago", "not checked", "not checked"]
        assert "(checked 3 min ago)" in str(picker.query_one("#details", Static).content)


async def test_check_results_are_forgotten_when_the_profile_changes():
    app = offline_app()
    async with app.run_test(size=SIZE) as pilot:
        await checked_first_row(pilot)
        await pilot.press("escape")
        app.use_profile(replace(app.profile, base_url="http://127.0.0.1:10/"))
        picker = await open_picker(pilot)
        assert statuses(picker) == ["not checked"] * 3


async def test_i_copies_the_highlighted_rows_request_ids():
    app = offline_app()
    async with app.run_test(size=SIZE) as pilot:
        picker = await checked_first_row(pilot)
        await pilot.press("i")
        assert app.clipboard == f"request-id: req_{NAMES[0]} · apim-request-id: apim_1"
        await pilot.press("down", "i")
        assert app.clipboard == f"request-id: req_{NAMES[0]} · apim-request-id: apim_1"  # unchanged
        assert "No request ids" in str(picker.query_one("#message", Static).content)


async def test_home_and_end_jump_to_the_first_and_last_rows():
    app = offline_app()
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_picker(pilot)
        deployments = picker.query_one("#deployments")
        await pilot.press("end")
        assert deployments.index == len(NAMES) - 1
        await pilot.press("home")
        assert deployments.index == 0
