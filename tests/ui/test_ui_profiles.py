"""The profile screens and the device-code screen, driven through a real FoundryApp with Pilot.

Keys go to the in-memory keyring of conftest (or to no keyring at all); the Test action talks to
the built-in emulator over loopback.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import memory_keyring
import pytest
from helpers import SIZE, wait_until, write_config
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, RadioButton, Static

from foundry_tui.config.env import API_KEY_VAR
from foundry_tui.config.file import Config, load_config
from foundry_tui.config.paths import config_file
from foundry_tui.config.profile import DEFAULT_SCOPE, EntraOptions, Profile
from foundry_tui.config.secrets import SERVICE, Secrets, plaintext_key_file, reset_keyring_probe
from foundry_tui.emulator.arm import EMULATOR_RESOURCE, EMULATOR_RESOURCE_GROUP
from foundry_tui.emulator.server import DEFAULT_DEPLOYMENTS, EmulatorConfig, EmulatorThread
from foundry_tui.service.auth import DeviceCodePrompt
from foundry_tui.ui.app import FoundryApp
from foundry_tui.ui.screens.azure_resources import ResourcePicker
from foundry_tui.ui.screens.device_code import DeviceCodeScreen
from foundry_tui.ui.screens.profile_form import ProfileForm
from foundry_tui.ui.screens.profiles import ProfilesScreen
from foundry_tui.ui.widgets.dialog import ConfirmationModal
from foundry_tui.ui.widgets.report import Report

KEY = "sk-test-0123456789abcdefghijklmnop"  # a fake key: it must never show up on screen or on disk
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorThread]:
    server = EmulatorThread(EmulatorConfig(port=0, pace=0))
    server.start()
    yield server
    server.stop()


def first_run_app() -> FoundryApp:
    return FoundryApp(config=Config(), secrets=Secrets(environ={}), profile=None)


def app_with(*profiles: Profile, active: int = 0, keys: dict[str, str] | None = None) -> FoundryApp:
    """An app with these profiles saved (the first is the default), keys in the keyring."""
    for name, key in (keys or {}).items():
        memory_keyring.MemoryKeyring.store[(SERVICE, name)] = key
    config = Config(profiles={profile.name: profile for profile in profiles}, default_profile=profiles[0].name)
    write_config(config)
    return FoundryApp(config=config, secrets=Secrets(environ={}), profile=profiles[active])


def work_profile(name: str = "work", **fields: object) -> Profile:
    fields = {"resource": "contoso-ai", "deployments": ["claude-sonnet-4-5", "claude-haiku-4-5"], **fields}
    return Profile(name=name, default_deployment=fields["deployments"][0], **fields)


def on_screen(pilot: Pilot, screen_type: type) -> bool:
    """The screen is on top and composed (push_screen puts it on the stack before it is mounted)."""
    return isinstance(pilot.app.screen, screen_type) and pilot.app.screen.is_mounted


def text(app: FoundryApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


def report(app: FoundryApp) -> str:
    return str(app.screen.query_one(Report).content)


async def open_form(pilot: Pilot) -> ProfileForm:
    await wait_until(pilot, lambda: on_screen(pilot, ProfileForm))
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return pilot.app.screen


async def fill(pilot: Pilot, **values: str) -> None:
    """Set fields by id (api_key → #api-key), as if typed."""
    for field_id, value in values.items():
        pilot.app.screen.query_one(f"#{field_id.replace('_', '-')}", Input).value = value
    await pilot.pause()


async def choose(pilot: Pilot, button_id: str) -> None:
    """Turn a radio button on, as a click would (without a click's cost in time)."""
    pilot.app.screen.query_one(f"#{button_id}", RadioButton).value = True
    await pilot.pause()


async def open_profiles(pilot: Pilot) -> ProfilesScreen:
    pilot.app.action_profiles()
    await wait_until(pilot, lambda: on_screen(pilot, ProfilesScreen))
    return pilot.app.screen


def save_disabled(app: FoundryApp) -> bool:
    return app.screen.query_one("#save").disabled


# -- first run and validation ------------------------------------------------------------------


async def test_first_run_opens_the_form_which_validates_as_you_type() -> None:
    app = first_run_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        assert form.original is None and app.focused is form.query_one("#name")
        assert "Welcome to foundry-tui" in text(app, "#intro")
        assert "required" in text(app, "#name-message")
        assert "memory keyring" in text(app, "#keyring-status")  # said before any key is typed
        assert save_disabled(app)

        await pilot.press(*"my w")
        assert "invalid profile name 'my w'" in text(app, "#name-message")
        await pilot.press("backspace", "backspace", "-", "w")
        assert text(app, "#name-message") == ""

        await fill(pilot, endpoint="https://contoso-ai.services.ai.azure.com")  # pasted as the resource name
        assert "looks like a URL: use it as the base URL instead" in text(app, "#endpoint-message")
        assert form.query_one("#endpoint").has_class("-mistake")
        assert save_disabled(app)

        await choose(pilot, "endpoint-kind-base-url")  # the URL is carried over, and normalised
        assert text(app, "#endpoint-message") == "→ https://contoso-ai.services.ai.azure.com/anthropic/"
        assert not save_disabled(app)

        await choose(pilot, "endpoint-kind-resource")  # and back: the resource name comes from the URL
        assert form.query_one("#endpoint", Input).value == "contoso-ai"
        form.query_one("#endpoint").focus()
        await pilot.press("end", "-")
        assert "cannot start or end with a hyphen" in text(app, "#endpoint-message")
        assert save_disabled(app)

        await fill(pilot, endpoint="contoso-ai", deployments="claude sonnet")
        assert "contains a space" in text(app, "#deployments-message")
        await fill(pilot, deployments="")
        assert "only guesses" in text(app, "#deployments-message")
        assert not save_disabled(app)

        await pilot.press("ctrl+t")  # no key typed, none stored
        await wait_until(pilot, lambda: report(app).startswith("✗"))
        assert "no API key to test with" in report(app)
        assert "type the key in the API key field" in report(app)

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ProfilesScreen))
        assert "Saved 'my-w', now in use and the default." in report(app)
        assert "No API key stored yet" in report(app)
        assert app.profile.deployment() == "claude-sonnet-4-5"  # the guessed default


async def test_entra_shows_its_own_fields_instead_of_the_key() -> None:
    app = first_run_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        assert form.query_one("#api-key-fields").display and not form.query_one("#entra-fields").display
        await pilot.click("#auth-entra")  # a real click, once
        assert form.query_one("#entra-fields").display and not form.query_one("#api-key-fields").display
        assert form.query_one("#scope", Input).value == DEFAULT_SCOPE
        await choose(pilot, "credential-device-code")
        assert "sign in on any device with a code" in text(app, "#credential-help").lower()

        await fill(pilot, name="corp", endpoint="contoso-ai", tenant="contoso.onmicrosoft.com", scope="")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ProfilesScreen))
        saved = load_config().profiles["corp"]
        assert saved.auth == "entra"
        assert saved.entra == EntraOptions("device-code", "contoso.onmicrosoft.com", DEFAULT_SCOPE)
        assert "Entra ID · Device code" in report(app)


# -- saving and where the key goes -------------------------------------------------------------


def assert_key_on_no_disk(home: Path) -> None:
    for path in home.rglob("*"):
        assert not path.is_file() or KEY.encode() not in path.read_bytes(), path


async def test_saving_puts_the_key_in_the_keyring_and_nowhere_else(
    foundry_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = first_run_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        await fill(pilot, name="work", endpoint="contoso-ai", deployments="my-sonnet, my-haiku", api_key=KEY)
        assert KEY not in app.export_screenshot()

        blocker = config_file().parent
        blocker.parent.mkdir(parents=True, exist_ok=True)
        blocker.write_text("")  # a file where the config folder should be: the config cannot be written
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: report(app).startswith("✗"))
        assert "cannot write" in report(app) and isinstance(app.screen, ProfileForm)
        assert app.config.profiles == {} and memory_keyring.MemoryKeyring.store == {}  # the key was rolled back

        blocker.unlink()
        app.screen.query_one("#api-key").focus()
        await pilot.press("enter")  # Enter in the last field saves
        await wait_until(pilot, lambda: isinstance(app.screen, ProfilesScreen))

        assert memory_keyring.MemoryKeyring.store == {(SERVICE, "work"): KEY}
        assert "Saved 'work', now in use and the default." in report(app)
        assert "API key: saved in the system keyring (memory keyring MemoryKeyring)" in report(app)
        assert KEY not in app.export_screenshot()
        assert app.profile.name == "work" and app.deployment == "my-sonnet"

    config = load_config()
    assert config.default_profile == "work"
    assert config.profiles["work"].deployments == ["my-sonnet", "my-haiku"]
    assert KEY not in config_file().read_text()
    assert_key_on_no_disk(foundry_home)


async def test_without_a_keyring_the_form_warns_first_and_the_key_stays_in_memory(no_keyring: None, foundry_home: Path) -> None:
    app = first_run_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        status = form.query_one("#keyring-status")
        assert status.has_class("-warning")
        assert "No keyring backend (common over SSH): keep a key saved here for this session only" in str(
            status.content
        )
        assert form.query_one("#key-storage").display and form.choice("key-storage") == "session"
        await fill(pilot, name="work", endpoint="contoso-ai", api_key=KEY)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ProfilesScreen))
        assert "the key is held in memory for this session only" in report(app)
        key, source = app.secrets.get_api_key("work")
        assert key == KEY and source.where == "memory"
    assert_key_on_no_disk(foundry_home)


async def test_without_a_keyring_the_user_can_keep_the_key_in_an_owner_only_file(no_keyring: None, foundry_home: Path) -> None:
    app = first_run_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        await fill(pilot, name="work", endpoint="contoso-ai", api_key=KEY)
        await choose(pilot, "key-storage-file")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ProfilesScreen))
        assert "UNENCRYPTED" in report(app) and str(plaintext_key_file()) in report(app)
    assert stat.S_IMODE(plaintext_key_file().stat().st_mode) == 0o600
    assert KEY in plaintext_key_file().read_text() and KEY not in config_file().read_text()

    reset_keyring_probe()  # the next start
    config = load_config()
    again = FoundryApp(config=config, secrets=Secrets(environ={}), profile=config.profiles["work"])
    async with again.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(again._notifications))
        notices = [notice.message for notice in again._notifications]
        assert len(notices) == 1 and "UNENCRYPTED" in notices[0] and str(plaintext_key_file()) in notices[0]


async def test_a_missing_key_is_said_once_at_start() -> None:
    app = app_with(work_profile())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app._notifications))
        await app.workers.wait_for_complete()
        await pilot.pause()
        notices = [notice.message for notice in app._notifications]
        assert notices == [f"No API key for profile 'work': press F3 to add one, or export {API_KEY_VAR}."]


async def test_a_key_in_the_keyring_is_not_announced() -> None:
    app = app_with(work_profile(), keys={"work": KEY})
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app._notifications


# -- the list: edit, rename, delete, switch ----------------------------------------------------


async def test_edit_keeps_the_key_rename_moves_it_then_switch_and_make_default() -> None:
    app = app_with(work_profile(), work_profile("lab", resource="lab-ai"), keys={"work": KEY})
    async with app.run_test(size=SIZE) as pilot:
        await open_profiles(pilot)
        await pilot.press("e")
        form = await open_form(pilot)
        assert form.query_one("#api-key", Input).placeholder == "stored in the keyring — leave empty to keep"
        assert form.query_one("#endpoint", Input).value == "contoso-ai"
        await fill(pilot, name="lab")
        assert "a profile named 'lab' already exists" in text(app, "#name-message")
        assert save_disabled(app)
        await fill(pilot, name="prod")
        assert "its API key moves with it" in text(app, "#name-message")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ProfilesScreen))

        assert list(app.config.profiles) == ["prod", "lab"] and app.config.default_profile == "prod"
        assert list(load_config().profiles) == ["prod", "lab"]
        assert memory_keyring.MemoryKeyring.store == {(SERVICE, "prod"): KEY}
        assert app.profile.name == "prod"
        table = app.screen.query_one(DataTable)
        assert table.get_row("prod")[0].plain == "●★"

        await pilot.press("down", "s")
        assert app.profile.name == "lab" and app.deployment == "claude-sonnet-4-5"
        assert "Now using 'lab' › claude-sonnet-4-5." in report(app)
        assert table.get_row("lab")[0].plain == "● " and table.get_row("prod")[0].plain == " ★"
        await pilot.press("m")
        assert load_config().default_profile == "lab"
        await pilot.press("escape")
        assert not isinstance(app.screen, ProfilesScreen)


async def test_delete_asks_first_removes_the_key_and_hands_over_use_and_default() -> None:
    profiles = (work_profile(), work_profile("lab", resource="lab-ai"), work_profile("spare", resource="spare-ai"))
    app = app_with(*profiles, keys={"work": KEY, "lab": KEY})
    async with app.run_test(size=SIZE) as pilot:
        await open_profiles(pilot)
        table = app.screen.query_one(DataTable)
        await pilot.press("down", "d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        assert "Delete the profile 'lab'?" in text(app, "#confirm-question")
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, ProfilesScreen))
        assert "lab" in app.config.profiles

        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        await pilot.press("y")
        await wait_until(pilot, lambda: "Deleted 'lab'." in report(app))
        assert list(load_config().profiles) == ["work", "spare"]
        assert memory_keyring.MemoryKeyring.store == {(SERVICE, "work"): KEY}

        table.move_cursor(row=0)  # work: in use and the default
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmationModal))
        await pilot.press("y")
        await wait_until(pilot, lambda: "Deleted 'work'." in report(app))
        assert "Now using 'spare'. 'spare' is now the default." in report(app)
        assert app.profile.name == "spare" and load_config().default_profile == "spare"
        assert memory_keyring.MemoryKeyring.store == {}

        await pilot.press("d")
        assert "'spare' is the only profile and it is in use: create another (n)" in report(app)
        assert isinstance(app.screen, ProfilesScreen)


# -- Test, against the emulator ----------------------------------------------------------------


async def test_the_form_tests_what_it_says_before_saving_and_the_list_tests_what_is_saved(
    emulator: EmulatorThread,
) -> None:
    app = first_run_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        await choose(pilot, "endpoint-kind-base-url")
        await fill(pilot, name="emu", endpoint=emulator.base_url, api_key="not-the-key")
        await pilot.click("#test")
        await wait_until(pilot, lambda: report(app).startswith("✗"))
        assert "401 auth error: Access denied due to invalid subscription key" in report(app)
        assert "Check the API key" in report(app)
        assert "not-the-key" not in app.export_screenshot()

        await fill(pilot, api_key=emulator.api_key)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: "answered" in report(app))
        assert report(app).startswith("✓ claude-sonnet-4-5 answered · 200 · ")
        assert "request-id: req_" in report(app) and "apim-request-id: " in report(app)
        assert app.config.profiles == {} and memory_keyring.MemoryKeyring.store == {}  # testing saved nothing

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: on_screen(pilot, ProfilesScreen))
        await pilot.press("t")  # now with the key from the keyring
        await wait_until(pilot, lambda: "answered" in report(app))
        assert report(app).startswith("✓ claude-sonnet-4-5 answered · 200 · ")


async def test_find_in_azure_lists_the_foundry_resources_and_fills_the_picked_ones_deployments(
    emulator: EmulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOUNDRY_TUI_ARM_ENDPOINT", emulator.arm_url)
    app = first_run_app()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot)
        await fill(pilot, name="emu", api_key=emulator.api_key)
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: on_screen(pilot, ResourcePicker))
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert len(labels) == 2 and labels[0].startswith(f"{EMULATOR_RESOURCE}  (")  # the OpenAI account is left out
        await pilot.press("enter")
        await wait_until(pilot, lambda: on_screen(pilot, ProfileForm) and form.value("deployments") != "")
        assert form.value("deployments") == ", ".join(DEFAULT_DEPLOYMENTS)
        assert form.value("endpoint") == EMULATOR_RESOURCE and form.choice("endpoint-kind") == "resource"
        assert report(app).startswith(f"✓ {EMULATOR_RESOURCE}: ")
        assert form.build_profile().azure.resource_group == EMULATOR_RESOURCE_GROUP  # pinned for discovery


# -- device code -------------------------------------------------------------------------------


def sign_in_prompt(expires_on: datetime) -> DeviceCodePrompt:
    return DeviceCodePrompt("https://microsoft.com/devicelogin", "F4BXZPMX2", expires_on)


async def test_device_code_screen_shows_url_code_and_countdown_and_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 22 10.0.0.2 22")
    app = app_with(work_profile())
    async with app.run_test(size=SIZE) as pilot:
        now = datetime.now(UTC)
        app.show_device_code(sign_in_prompt(now + timedelta(minutes=15)))  # as the credential's callback does
        await pilot.pause()
        assert text(app, "#device-code-url") == "https://microsoft.com/devicelogin"
        assert text(app, "#device-code") == "F4BXZPMX2"
        assert re.fullmatch(r"The code expires in 1[45]:\d\d", text(app, "#device-code-countdown"))
        assert app.screen.check_action("open_browser", ()) is False  # over SSH: no browser here

        await pilot.press("c")
        assert app.clipboard == "F4BXZPMX2"
        await pilot.press("u")
        assert app.clipboard == "https://microsoft.com/devicelogin"
        app.close_device_code()  # the response started
        await pilot.pause()
        assert not isinstance(app.screen, DeviceCodeScreen)

        app.show_device_code(sign_in_prompt(now))
        await pilot.pause()
        assert text(app, "#device-code-countdown").startswith("The code has expired.")
        await pilot.press("escape")  # hides it
        assert not isinstance(app.screen, DeviceCodeScreen)


# -- snapshots ---------------------------------------------------------------------------------


def snapshot_app(monkeypatch: pytest.MonkeyPatch) -> FoundryApp:
    """A home that reads the same on every machine; the history it would open goes to the test's own folder."""
    private_data = Path(os.environ["FOUNDRY_TUI_HOME"]) / "data"
    monkeypatch.setenv("FOUNDRY_TUI_HOME", "/home/ada/.foundry-tui")  # shown on screen
    monkeypatch.setattr("foundry_tui.store.db.data_dir", lambda: private_data)
    corp = work_profile("corp", auth="entra", entra=EntraOptions(credential="device-code"), resource="contoso-corp")
    lab = Profile(name="lab", base_url="https://gateway.example.com/anthropic/", deployments=["claude-opus-4-5"])
    return app_with(work_profile(), corp, lab, active=1)


async def no_blink(pilot: Pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def test_snapshot_profiles_list(snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_profiles(pilot)

    assert snap_compare(snapshot_app(monkeypatch), terminal_size=SIZE, run_before=run_before)


def test_snapshot_new_profile_with_a_validation_error(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_form(pilot)
        await fill(pilot, name="work", endpoint="https://contoso-ai.services.ai.azure.com")
        await no_blink(pilot)

    assert snap_compare(first_run_app(), terminal_size=SIZE, run_before=run_before)


def test_snapshot_entra_form(snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    async def run_before(pilot: Pilot) -> None:
        pilot.app.push_screen(ProfileForm(pilot.app.config.profiles["corp"]))
        await open_form(pilot)
        await no_blink(pilot)

    assert snap_compare(snapshot_app(monkeypatch), terminal_size=SIZE, run_before=run_before)


def test_snapshot_device_code(snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 22 10.0.0.2 22")  # no "open browser" key

    async def run_before(pilot: Pilot) -> None:
        prompt = sign_in_prompt(NOW + timedelta(minutes=14, seconds=32))
        pilot.app.push_screen(DeviceCodeScreen(prompt, clock=lambda: NOW))  # a countdown that stands still
        await pilot.pause()

    assert snap_compare(snapshot_app(monkeypatch), terminal_size=SIZE, run_before=run_before)
