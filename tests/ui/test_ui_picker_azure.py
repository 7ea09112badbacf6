"""The picker with deployment discovery: rows found in Azure, and the fallback when Azure says no."""

from collections.abc import Iterator

import pytest
from helpers import SIZE, wait_until
from textual.widgets import Label, Static

from foundry_tui.demo import Demo, start_demo
from foundry_tui.ui.app import FoundryApp
from foundry_tui.ui.screens.deployments import DeploymentPicker, DeploymentRow


@pytest.fixture
def azure_demo() -> Iterator[Demo]:
    demo = start_demo(pace=2000.0, azure=True)
    demo.profile.deployments = []  # nothing configured: Azure's answer replaces the guesses
    demo.profile.default_deployment = None
    yield demo
    demo.stop()


def app_for(demo: Demo) -> FoundryApp:
    return FoundryApp(config=demo.config, secrets=demo.secrets, profile=demo.profile, persist=False)


def rows(picker: DeploymentPicker) -> list[tuple[str, str]]:
    return [tuple(str(label.content) for label in row.query(Label))[1:3] for row in picker.query(DeploymentRow)]


async def open_picker(app: FoundryApp, pilot) -> DeploymentPicker:
    await pilot.press("ctrl+o")
    await pilot.pause()
    assert isinstance(app.screen, DeploymentPicker)
    return app.screen


async def test_discovered_deployments_replace_the_guesses(azure_demo):
    app = app_for(azure_demo)
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_picker(app, pilot)
        await wait_until(pilot, lambda: bool(picker.discovered))
        await pilot.pause()
        assert rows(picker) == [
            ("claude-opus-4-5", "azure"),
            ("claude-sonnet-4-5", "azure"),
            ("claude-haiku-4-5", "azure"),
            ("claude-opus-4-1", "azure"),
        ]  # the OpenAI-format deployment is left out
        assert not picker.query_one("#guess-note").display
        assert "found in Azure" in str(picker.query_one("#azure", Static).content)
        details = str(picker.query_one("#details", Static).content)
        assert "Found in Azure: model claude-opus-4-5 version 1" in details and "capacity 50" in details
        await pilot.press("down", "enter")  # a discovered deployment is used, and kept in the profile
        await pilot.pause()
        assert app.deployment == "claude-sonnet-4-5"
        assert app.profile is not None and app.profile.deployments == ["claude-sonnet-4-5"]  # saved, not mutated


async def test_a_failure_shows_inline_with_hint_and_request_id_and_keeps_the_guesses(azure_demo):
    azure_demo.profile.azure.endpoint = azure_demo.emulator.arm_url + "/fault-403"
    app = app_for(azure_demo)
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_picker(app, pilot)
        line = picker.query_one("#azure", Static)
        await wait_until(pilot, lambda: line.has_class("-failed"))
        text = str(line.content)
        assert "AuthorizationFailed" in text and "Reader role" in text and "x-ms-request-id: " in text
        assert [tag for _, tag in rows(picker)] == ["guess"] * 4
        assert picker.query_one("#guess-note").display
        # the refresh key tries again, now against a Resource Manager that answers
        azure_demo.profile.azure.endpoint = azure_demo.emulator.arm_url
        await pilot.press("r")
        await wait_until(pilot, lambda: bool(picker.discovered))
        await pilot.pause()
        assert [tag for _, tag in rows(picker)] == ["azure"] * 4
