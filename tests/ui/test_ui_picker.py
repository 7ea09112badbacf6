"""The deployment picker, driven like a user would, against the emulator (start_demo)."""

import asyncio
from collections.abc import Iterator

import pytest
from helpers import SIZE, foundry, write_config
from textual.widgets import Input, Label, Static

from foundry_tui.config.env import env_profile
from foundry_tui.config.file import Config, load_config
from foundry_tui.config.paths import config_file
from foundry_tui.config.profile import GUIDE_DEPLOYMENTS, Profile
from foundry_tui.config.secrets import Secrets
from foundry_tui.demo import DEMO_DEPLOYMENTS, Demo, start_demo
from foundry_tui.service.check import CheckResult
from foundry_tui.service.errors import NotFoundError
from foundry_tui.ui.app import FoundryApp
from foundry_tui.ui.screens.chat import ChatScreen
from foundry_tui.ui.screens.deployments import GUESS_NOTE, DeploymentPicker, DeploymentRow


@pytest.fixture
def demo() -> Iterator[Demo]:
    demo = start_demo(pace=2000.0)
    yield demo
    demo.stop()


def demo_app(demo: Demo, deployments: list[str] | None = None) -> FoundryApp:
    if deployments is not None:
        demo.profile.deployments = deployments
        demo.profile.default_deployment = None
    return FoundryApp(config=demo.config, secrets=demo.secrets, profile=demo.profile, persist=False)


def offline_app(deployments: list[str], *, persist: bool = False, default: str | None = None) -> FoundryApp:
    """An app whose endpoint nothing listens on: for what needs no answer, and for snapshots."""
    profile = Profile(name="work", base_url="http://127.0.0.1:9/", deployments=deployments, default_deployment=default)
    config = Config(profiles={"work": profile}, default_profile="work")
    if persist:
        write_config(config)
    return FoundryApp(config=config, secrets=Secrets(environ={}), profile=profile, deployment=default, persist=persist)


async def open_picker(app: FoundryApp, pilot) -> DeploymentPicker:
    await pilot.press("ctrl+o")
    await pilot.pause()
    assert isinstance(app.screen, DeploymentPicker)
    return app.screen


def texts(row: DeploymentRow) -> tuple[str, str, str, str]:
    """(mark, name, tag, status) as shown."""
    mark, name, tag, status = (str(label.content) for label in row.query(Label))
    return mark, name, tag, status


def details(picker: DeploymentPicker) -> str:
    return str(picker.query_one("#details", Static).content)


async def submit_name(picker: DeploymentPicker, pilot, name: str) -> None:
    picker.query_one("#new-deployment", Input).value = name
    await pilot.press("enter")
    await pilot.pause()


async def wait_for_checks(picker: DeploymentPicker, pilot) -> None:
    for _ in range(200):
        await pilot.pause()
        if not any(row.checking for row in picker.rows):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("checks did not finish")


async def test_lists_the_deployments_with_the_current_one_marked_and_escape_closes(demo):
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_picker(app, pilot)
        rows = [texts(row) for row in picker.rows]
        assert [name for _, name, _, _ in rows] == DEMO_DEPLOYMENTS
        assert rows[0] == ("●", "claude-sonnet-4-5", "default", "not checked")
        assert all(mark == "" for mark, _, _, _ in rows[1:])
        assert picker.highlighted().deployment == app.deployment
        assert not picker.query_one("#guess-note").display
        await pilot.press("down", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        assert app.deployment == "claude-sonnet-4-5"


async def test_offers_the_guides_deployments_as_guesses_and_keeps_a_chosen_one():
    app = offline_app([])
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_picker(app, pilot)
        assert [texts(row)[1:3] for row in picker.rows] == [(name, "guess") for name in GUIDE_DEPLOYMENTS]
        note = picker.query_one("#guess-note", Static)
        assert note.display and GUESS_NOTE in str(note.content)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.deployment == GUIDE_DEPLOYMENTS[1]
        assert app.profile.deployments == [GUIDE_DEPLOYMENTS[1]]


async def test_add_and_remove_update_the_profile_its_default_and_the_config_file():
    app = offline_app(["a-one", "b-two"], persist=True, default="b-two")
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_picker(app, pilot)
        await pilot.press("n")
        await submit_name(picker, pilot, "my deployment")
        assert "no spaces" in str(picker.query_one("#message", Static).content)
        assert app.profile.deployments == ["a-one", "b-two"]
        await submit_name(picker, pilot, "my-sonnet")
        assert [row.deployment for row in picker.rows] == ["a-one", "b-two", "my-sonnet"]
        assert picker.highlighted().deployment == "my-sonnet"
        assert picker.focused is picker.query_one("#deployments")
        await pilot.press("up", "d")
        await pilot.pause()
        assert [row.deployment for row in picker.rows] == ["a-one", "my-sonnet"]
        assert (app.profile.deployments, app.profile.default_deployment) == (["a-one", "my-sonnet"], None)
    assert load_config().profiles["work"].deployments == ["a-one", "my-sonnet"]


async def test_removing_the_last_one_brings_back_the_guesses_and_adding_replaces_them():
    app = offline_app(["only"])
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_picker(app, pilot)
        await pilot.press("d")
        await pilot.pause()
        assert [texts(row)[2] for row in picker.rows] == ["guess"] * len(GUIDE_DEPLOYMENTS)
        assert picker.query_one("#guess-note").display
        await pilot.press("n")
        await submit_name(picker, pilot, "mine")
        assert [texts(row)[1:3] for row in picker.rows] == [("mine", "")]
        assert not picker.query_one("#guess-note").display


async def test_check_one_then_all_shows_status_latency_and_the_hint_of_a_failure(demo):
    app = demo_app(demo, ["claude-sonnet-4-5", "fault-unknown-deployment", "claude-haiku-4-5"])
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_picker(app, pilot)
        await pilot.press("c")
        await wait_for_checks(picker, pilot)
        statuses = [texts(row)[3] for row in picker.rows]
        assert statuses[0].startswith("✓ 200 · ") and " ms · ttft " in statuses[0]
        assert statuses[1:] == ["not checked", "not checked"]
        assert details(picker).startswith("Answered in ")
        assert "request-id: req_" in details(picker)
        await pilot.press("a")
        await wait_for_checks(picker, pilot)
        statuses = [texts(row)[3] for row in picker.rows]
        assert statuses[0].startswith("✓ 200") and statuses[2].startswith("✓ 200")
        assert statuses[1] == "✗ 404 not found"
        await pilot.press("down")
        assert details(picker).startswith("✗ 404 not found error: ")
        assert "hint: `model` is the deployment name" in details(picker)


async def test_check_all_runs_the_checks_concurrently_with_a_spinner_per_row():
    """The fake checks wait to be released: run one after another, only the first would have started."""
    app = offline_app(["one", "two", "three"])
    started: list[str] = []
    release = asyncio.Event()

    async def run_check(profile, deployments, timeout):
        started.extend(deployments)
        await release.wait()
        return [fake_result(deployments[0])]

    async with app.run_test(size=SIZE) as pilot:
        app.run_check = run_check
        picker = await open_picker(app, pilot)
        await pilot.press("a")
        await pilot.pause()
        assert sorted(started) == ["one", "three", "two"]
        assert all(texts(row)[3].endswith(" checking…") for row in picker.rows)
        release.set()
        await wait_for_checks(picker, pilot)
        assert [texts(row)[3] for row in picker.rows] == ["✓ 200 · 412 ms · ttft 380 ms"] * 3


async def test_a_setup_problem_is_shown_inline_with_its_hint():
    app = offline_app(["claude-sonnet-4-5"])  # no API key anywhere
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_picker(app, pilot)
        await pilot.press("c")
        await wait_for_checks(picker, pilot)
        assert texts(picker.rows[0])[3] == "✗ cannot check"
        assert "API key" in details(picker) and "\nhint: " in details(picker)
        assert app.is_running


async def test_check_all_on_open():
    app = offline_app(["one", "two"])

    async def run_check(profile, deployments, timeout):
        return [fake_result(deployments[0])]

    async with app.run_test(size=SIZE) as pilot:
        app.run_check = run_check
        app.push_screen(DeploymentPicker(app.profile, check_all_on_open=True))
        await pilot.pause()
        await wait_for_checks(app.screen, pilot)
        assert [texts(row)[3][0] for row in app.screen.rows] == ["✓", "✓"]


async def test_enter_chooses_and_the_app_switches_deployment(demo):
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await open_picker(app, pilot)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        assert app.deployment == "claude-haiku-4-5"
        assert "claude-haiku-4-5" in str(app.screen.query_one("#status-bar", Static).content)


def fake_result(deployment: str) -> CheckResult:
    """A check result with fixed numbers, so what the screen shows never varies."""
    error = None
    if deployment.startswith("fault-"):
        error = NotFoundError("The API deployment for this resource does not exist.", status=404, request_id="req_0002")
    return CheckResult(
        profile="work",
        endpoint="http://127.0.0.1:9/anthropic/",
        auth="api-key",
        deployment=deployment,
        status=404 if error else 200,
        latency=0.412,
        ttft=None if error else 0.38,
        usage=None,
        request_id="req_0002" if error else "req_0001",
        apim_request_id=None,
        error=error,
    )


def test_snapshot_picker(snap_compare):
    app = offline_app(["claude-sonnet-4-5", "claude-haiku-4-5", "my-opus"])
    assert snap_compare(app, press=["ctrl+o"], terminal_size=SIZE)


def test_snapshot_picker_with_guesses(snap_compare):
    assert snap_compare(offline_app([]), press=["ctrl+o"], terminal_size=SIZE)


def test_snapshot_picker_after_checking_all(snap_compare):
    app = offline_app(["claude-sonnet-4-5", "fault-unknown-deployment", "claude-haiku-4-5"])

    async def fixed_checks(pilot):
        async def run_check(profile, deployments, timeout):
            return [fake_result(deployments[0])]

        pilot.app.run_check = run_check

    assert snap_compare(app, press=["ctrl+o", "a", "wait:200", "down"], terminal_size=SIZE, run_before=fixed_checks)


async def test_a_deployment_added_in_the_app_keeps_a_profile_added_from_the_shell_and_comments():
    """Issue #8's acceptance: `profile add p2` while the app is open, then add a deployment in the picker."""
    app = offline_app(["a-one"], persist=True)
    path = config_file()
    path.write_text("# written by hand, keep me\n" + path.read_text())
    async with app.run_test(size=SIZE) as pilot:
        added = foundry("profile", "add", "p2", "--resource", "p2-resource")
        assert added.returncode == 0, added.stderr
        picker = await open_picker(app, pilot)
        await pilot.press("n")
        await submit_name(picker, pilot, "my-sonnet")
        assert str(picker.query_one("#message", Static).content) == "Added my-sonnet to profile work."
        assert app.profile.deployments == ["a-one", "my-sonnet"] and "p2" in app.config.profiles
    config = load_config()
    assert set(config.profiles) == {"work", "p2"}
    assert config.profiles["work"].deployments == ["a-one", "my-sonnet"]
    assert "# written by hand, keep me" in path.read_text()


async def test_a_failed_save_leaves_the_profile_as_it_was():
    app = offline_app(["a-one"], persist=True)
    async with app.run_test(size=SIZE) as pilot:
        config_file().unlink()  # the profile is gone from the file (removed from another shell)
        picker = await open_picker(app, pilot)
        await pilot.press("n")
        await submit_name(picker, pilot, "my-sonnet")
        message = str(picker.query_one("#message", Static).content)
        assert message.startswith("Not saved: no profile named 'work'")
        assert app.profile.deployments == ["a-one"] and [row.deployment for row in picker.rows] == ["a-one"]


async def test_deployments_added_to_the_env_profile_are_said_to_last_this_session_only(monkeypatch, env_for, emulator):
    for name, value in env_for.items():
        monkeypatch.setenv(name, value)
    profile = env_profile()
    app = FoundryApp(config=Config(), secrets=Secrets(), profile=profile)
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_picker(app, pilot)
        await pilot.press("n")
        await submit_name(picker, pilot, "my-sonnet")
        message = str(picker.query_one("#message", Static).content)
        assert message.startswith("Added my-sonnet to profile env. For this session only")
        assert "FOUNDRY_TUI_DEPLOYMENT" in message
        assert "my-sonnet" in app.profile.deployments
    assert not config_file().exists()
