"""The profiles screen (F3): the profiles, which one is in use and which is the default.

Creating and editing happen in the profile form (profile_form.py); every change is saved through
the app's ProfileBook, like `foundry-tui profile` does.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import DataTable, Static

from foundry_tui.config.env import API_KEY_VAR
from foundry_tui.config.paths import config_file
from foundry_tui.config.profile import ConfigError, Profile
from foundry_tui.config.secrets import KeySource
from foundry_tui.ui.screens.profile_fields import KEY_STORAGE_LABELS, ScreenTitle, describe_auth
from foundry_tui.ui.screens.profile_form import ProfileForm, SavedProfile
from foundry_tui.ui.widgets.dialog import ConfirmationModal
from foundry_tui.ui.widgets.key_bar import KeyBar
from foundry_tui.ui.widgets.report import Report

if TYPE_CHECKING:
    from foundry_tui.ui.app import FoundryApp


def key_outcome(saved: SavedProfile, profile: Profile, persist: bool) -> tuple[str, str]:
    """The line under "Saved": how the profile signs in, warning when its key will not last."""
    if saved.key_problem:
        return f"But the API key: {saved.key_problem}", "$text-warning"
    if profile.auth == "entra":
        return f"Signs in with {describe_auth(profile)}.", "$foreground-muted"
    if saved.key_source is None:
        return f"No API key stored yet: edit the profile to add one, or export {API_KEY_VAR}.", "$text-warning"
    if saved.key_source.where == "memory" and persist:
        keep = f"to keep it, edit the profile and choose “{KEY_STORAGE_LABELS['file']}”, or export {API_KEY_VAR}"
        return f"API key: {saved.key_source.detail}; {keep}.", "$text-warning"
    return f"API key: {saved.key_source.detail}", "$foreground-muted"


def key_in_effect(profile_name: str, source: KeySource | None) -> tuple[str, SeverityLevel] | None:
    """What a start says about the API key, when it is not simply in the keyring: the one report of a missing key."""
    if source is None:
        return f"No API key for profile '{profile_name}': press F3 to add one, or export {API_KEY_VAR}.", "warning"
    if source.where in ("plaintext-file", "env"):
        return f"API key {source.detail}.", "information"
    return None


class ProfilesScreen(Screen[None]):
    """The profiles, which one is in use and which is the default; opens the form on a first run."""

    BINDINGS = [
        Binding("n", "new", "New"),
        Binding("e", "edit", "Edit"),
        Binding("d", "delete", "Delete"),
        Binding("s", "use", "Use"),
        Binding("m", "make_default", "Make default"),
        Binding("t", "test", "Test"),
        Binding("escape,f3", "close", "Close", key_display="esc"),
    ]

    DEFAULT_CSS = """
    ProfilesScreen {
        #where {
            padding: 0 1;
            color: $text-muted;
        }
        #profile-table {
            height: auto;
            max-height: 1fr;
            margin: 1 1 0 1;
        }
        #empty {
            margin: 1 2;
            color: $text-muted;
        }
        #legend {
            padding: 0 2;
            color: $text-muted;
        }
    }
    """

    app: FoundryApp

    def compose(self) -> ComposeResult:
        yield ScreenTitle("Profiles")
        where = f"saved in {config_file()}" if self.app.persist else "demo mode: changes stay in memory"
        yield Static(where, id="where", markup=False)
        yield DataTable(id="profile-table", cursor_type="row")
        yield Static("No profiles yet: press n to create one.", id="empty")
        yield Static("● in use   ★ default", id="legend")
        yield Report(id="report")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("", "Name", "Endpoint", "Auth", "Deployment")
        self.refresh_table()
        if self.app.profile is None and not self.app.config.profiles:
            self.action_new()
        elif self.app.profile is None:
            self.query_one(Report).notice(
                "No profile is in use: pick one with s, and make it the default with m.", warning=True
            )

    # -- the table -------------------------------------------------------------------------------

    def profiles(self) -> dict[str, Profile]:
        """The config's profiles, plus the one in use when it comes from elsewhere (the env profile)."""
        profiles = dict(self.app.config.profiles)
        active = self.app.profile
        if active is not None and active.name not in profiles:
            profiles[active.name] = active
        return profiles

    def refresh_table(self, select: str | None = None) -> None:
        table = self.query_one(DataTable)
        current = select or self.highlighted_name()
        table.clear()
        active = self.app.profile.name if self.app.profile else None
        colors = self.app.theme_variables  # DataTable cells are Rich text: no $variables there
        for name, profile in self.profiles().items():
            marks = Text.assemble(
                ("●", colors["text-success"]) if name == active else " ",
                ("★", colors["text-warning"]) if name == self.app.config.default_profile else " ",
            )
            deployment = self.app.deployment if name == active else profile.deployment()
            table.add_row(
                marks,
                Text(name, style="bold" if name == active else ""),
                Text(profile.endpoint_url()),
                Text(describe_auth(profile)),
                Text(deployment or "none"),
                key=name,
            )
        names = list(self.profiles())
        if current in names:
            table.move_cursor(row=names.index(current))
        empty = not names
        table.display = not empty
        self.query_one("#empty").display = empty
        self.query_one("#legend").display = not empty
        self.refresh_bindings()

    def highlighted_name(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def highlighted(self) -> Profile | None:
        name = self.highlighted_name()
        return self.profiles().get(name) if name else None

    def editable(self) -> Profile | None:
        """The highlighted profile if it lives in the config (the env profile lives in the shell)."""
        profile = self.highlighted()
        if profile is not None and profile.name not in self.app.config.profiles:
            self.query_one(Report).notice(
                f"'{profile.name}' comes from the ANTHROPIC_FOUNDRY_* environment variables: "
                "change them in your shell.",
                warning=True,
            )
            return None
        return profile

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "delete", "use", "make_default", "test"):
            return self.query_one(DataTable).row_count > 0 or None
        return True

    # -- actions ---------------------------------------------------------------------------------

    def action_new(self) -> None:
        self.app.push_screen(ProfileForm(), self.form_closed)

    @on(DataTable.RowSelected)
    def action_edit(self) -> None:
        profile = self.editable()
        if profile is not None:
            self.app.push_screen(ProfileForm(profile), self.form_closed)

    def form_closed(self, saved: SavedProfile | None) -> None:
        if saved is None:
            return
        self.refresh_table(select=saved.name)
        app = self.app
        in_use = app.profile is not None and app.profile.name == saved.name
        is_default = app.config.default_profile == saved.name
        roles = " and ".join(role for role, holds in (("in use", in_use), ("the default", is_default)) if holds)
        headline = f"Saved '{saved.name}'" + (f", now {roles}" if roles else "") + ".\n"
        profile = app.config.profiles[saved.name]
        self.query_one(Report).show(("✓ ", "$text-success bold"), headline, key_outcome(saved, profile, app.persist))
        self.query_one(DataTable).focus()

    def action_delete(self) -> None:
        profile = self.editable()
        if profile is None:
            return
        app = self.app
        if app.profile is not None and app.profile.name == profile.name and len(app.config.profiles) == 1:
            self.query_one(Report).notice(
                f"'{profile.name}' is the only profile and it is in use: create another (n) before deleting it.",
                warning=True,
            )
            return
        detail = (
            "It leaves the config file, and its stored API key is deleted."
            if app.persist
            else "Demo mode: nothing on disk changes."
        )
        question = ConfirmationModal(f"Delete the profile '{profile.name}'?", detail)
        app.push_screen(question, partial(self.delete_answered, profile.name))

    def delete_answered(self, name: str, delete: bool | None) -> None:
        if delete:
            self.delete_profile(name)

    @work(exclusive=True, group="delete", exit_on_error=False)
    async def delete_profile(self, name: str) -> None:
        """The default passes to the profile in use (else the first); use passes to the default."""
        app, report = self.app, self.query_one(Report)
        was_default = app.config.default_profile == name
        in_use = app.profile.name if app.profile is not None and app.profile.name != name else None
        try:
            config, key_problem = await asyncio.to_thread(app.book.remove, name, prefer_default=in_use)
        except ConfigError as error:
            report.config_error(error)
            return
        app.forget_client(name)
        lines: list[str | tuple[str, str]] = [f"Deleted '{name}'."]
        if app.profile is not None and app.profile.name == name:  # never the last one: action_delete refuses
            successor = config.profiles.get(config.default_profile or "") or next(iter(config.profiles.values()))
            app.use_profile(successor)
            lines.append(f" Now using '{successor.name}'.")
        app.config_changed(config)
        if was_default and config.default_profile:
            lines.append(f" '{config.default_profile}' is now the default.")
        self.refresh_table()
        if key_problem:
            lines.append(("\nBut " + key_problem, "$text-warning"))
        report.show(*lines)

    def action_use(self) -> None:
        profile = self.highlighted()
        if profile is None:
            return
        self.app.use_profile(profile)
        self.refresh_table()
        self.query_one(Report).notice(f"Now using '{profile.name}' › {self.app.deployment or 'no deployment'}.")

    def action_make_default(self) -> None:
        profile = self.highlighted()
        if profile is None:
            return
        try:
            self.app.config_changed(self.app.book.set_default(profile.name))
        except ConfigError as error:
            self.query_one(Report).config_error(error)
            return
        self.refresh_table()
        self.query_one(Report).notice(f"'{profile.name}' is now the default: foundry-tui starts with it.")

    def action_test(self) -> None:
        profile = self.highlighted()
        if profile is not None:
            self.test_profile(profile)

    @work(exclusive=True, group="test", exit_on_error=False)
    async def test_profile(self, profile: Profile) -> None:
        app = self.app
        deployment = app.deployment if profile is app.profile else profile.deployment()
        report = self.query_one(Report)
        if not deployment:
            report.config_error(ConfigError(f"'{profile.name}' has no deployment", hint="edit it (e) and add one"))
            return
        await report.check(profile, deployment, profile.name)

    def action_close(self) -> None:
        self.dismiss()
