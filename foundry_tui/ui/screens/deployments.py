"""The deployment picker (ctrl+o / F2): choose, add, remove and check the profile's deployments.

Foundry cannot list a resource's deployments, so a profile without any is offered the guide's
defaults, marked as guesses. Each row checks itself in its own worker (the same check as
`foundry-tui check`): checking all runs concurrently, each result lands as soon as it is known,
and removing a row cancels its check.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Label, ListItem, ListView, Static

from foundry_tui.config.env import DEPLOYMENT_VAR
from foundry_tui.config.profile import GUIDE_DEPLOYMENTS, ConfigError, Profile
from foundry_tui.format import ago, duration, request_ids
from foundry_tui.ui.widgets.azure_deployments import AZURE_TAG, AzureDiscovery, azure_details
from foundry_tui.ui.widgets.dialog import DialogScreen
from foundry_tui.ui.widgets.problem import problem_content

if TYPE_CHECKING:
    from foundry_tui.azure.discovery import AzureDeployment
    from foundry_tui.config.book import ProfileBook
    from foundry_tui.config.file import Config
    from foundry_tui.service.check import CheckResult
    from foundry_tui.ui.app import FoundryApp
    from foundry_tui.ui.check_memory import PastCheck

GUESS_NOTE = "guess — Foundry cannot list deployments; check or add yours"
GUESS_DETAILS = "A guess, not yet checked: c checks it; ↵ uses it and keeps it in the profile."
SESSION_ONLY = (
    "For this session only: profile {name} comes from environment variables, not the config file "
    f"(set {DEPLOYMENT_VAR}, or create a profile with F3, to keep a deployment)."
)
CHECK_TIMEOUT = 30.0
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_KIND_LABELS = {  # FoundryError.kind → a few words for the row
    "auth": "auth failed",
    "permission": "no permission",
    "rate_limit": "rate limited",
    "server": "server error",
    "stream": "stream error",
    "incomplete": "cut off",
    "timeout": "timed out",
    "connection": "no connection",
}


def check_summary(result: CheckResult, age: str = "") -> str:
    """'✓ 200 · 412 ms · ttft 380 ms' or '✗ 404 not found': what fits in the row.

    A past check says its `age` instead of the ttft (the details keep it): '✓ 200 · 412 ms · 3 min ago'.
    """
    if result.error is None:
        timing = age or f"ttft {duration(result.ttft)}"
        return f"✓ {result.status} · {duration(result.latency)} · {timing}"
    status = f"{result.status} " if result.status else ""
    kind = result.error.kind
    return f"✗ {status}{_KIND_LABELS.get(kind, kind.replace('_', ' '))}" + (f" · {age}" if age else "")


def check_details(result: CheckResult, age: str = "") -> Content:
    """What the row cannot fit, shown under the list while the row is highlighted; `age` says when it ran."""
    if result.error is not None:
        return problem_content(result.error, context=f"Checked {age}" if age else "")
    checked = f" (checked {age})" if age else ""
    answered = Content.styled(
        f"Answered in {duration(result.latency)}, first token after {duration(result.ttft)}{checked}.", "$success"
    )
    ids = request_ids(result.request_id, result.apim_request_id)
    return Content("\n").join([answered, Content.styled(ids, "$foreground-muted")]) if ids else answered


def deployment_name_problem(name: str, existing: list[str]) -> str | None:
    if not name:
        return "Type the deployment's name, as shown in the Foundry portal."
    if any(char.isspace() for char in name):
        return "A deployment name has no spaces."
    if name in existing:
        return f"{name} is already in the list."
    return None


class DeploymentRow(ListItem):
    """One deployment: ● if it is the one in use, its name, a tag, and its last check."""

    app: FoundryApp

    @dataclass
    class Checked(Message):
        row: DeploymentRow

    def __init__(self, deployment: str, *, current: bool, tag: str, past: PastCheck | None = None) -> None:
        """`past` is this deployment's last check in this session, shown with its age."""
        super().__init__()
        self.deployment = deployment
        self.current = current
        self.guess = tag == "guess"
        self.tag = tag
        self.result = past.result if past else None
        self.details = Content.styled(
            GUESS_DETAILS if self.guess else "Not checked yet: c checks it, a checks them all.", "$foreground-muted"
        )
        self._past_status = ("not checked", "")
        if past is not None:
            age = ago(past.at, time.time())
            self._past_status = (check_summary(past.result, age), "ok" if past.result.ok else "failed")
            self.details = check_details(past.result, age)
        self._frame = 0
        self._spinner: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label("●" if self.current else "", classes="mark")
            yield Label(self.deployment, classes="name", markup=False)
            yield Label(self.tag, classes="tag")
            status, state = self._past_status
            yield Label(status, classes=f"status -{state}" if state else "status", markup=False)

    @property
    def checking(self) -> bool:
        return self._spinner is not None

    def check(self, profile: Profile) -> None:
        """Start checking (a no-op while a check runs); the spinner shows at once."""
        if self.checking:
            return
        self._spinner = self.set_interval(0.1, self._spin)
        self._show(f"{SPINNER[0]} checking…", "checking", Content("Checking…"))
        self._run_check(profile)

    @work(exit_on_error=False)
    async def _run_check(self, profile: Profile) -> None:
        """A worker of the row's own, so removing the row cancels it."""
        try:
            [result] = await self.app.run_check(profile, [self.deployment], CHECK_TIMEOUT)
        except ConfigError as error:
            self._show("✗ cannot check", "failed", problem_content(error))
        else:
            self.result = result
            self.app.check_memory.remember(profile, result)
            self._show(check_summary(result), "ok" if result.ok else "failed", check_details(result))
        self.post_message(self.Checked(self))

    def _spin(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        self.query_one(".status", Label).update(f"{SPINNER[self._frame]} checking…")

    def _show(self, status: str, state: str, details: Content) -> None:
        if state != "checking" and self._spinner is not None:
            self._spinner.stop()
            self._spinner = None
        label = self.query_one(".status", Label)
        label.set_classes(f"status -{state}")
        label.update(status)
        self.details = details


class DeploymentList(ListView):
    BINDINGS = [
        Binding("enter", "select_cursor", "Use", key_display="↵"),
        Binding("c", "screen.check", "Check"),
        Binding("a", "screen.check_all", "Check all"),
        Binding("n", "screen.add", "Add"),
        Binding("d,delete", "screen.remove", "Remove", key_display="d"),
        Binding("i", "screen.copy_ids", "Copy ids"),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]

    def action_first(self) -> None:
        self.index = 0

    def action_last(self) -> None:
        self.index = len(self) - 1


class NewDeploymentInput(Input):
    BINDINGS = [
        Binding("enter", "submit", "Add", key_display="↵"),
        Binding("escape", "screen.cancel_add", "Cancel", key_display="esc"),
    ]


class DeploymentPicker(DialogScreen[str | None]):
    """Dismisses with the chosen deployment's name, or None."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close", key_display="esc"),
        Binding("r", "refresh_azure", "Azure", show=False),
    ]
    DEFAULT_CSS = """
    DeploymentPicker #guess-note {
        color: $warning;
        margin: 0 0 1 0;
    }
    DeploymentPicker DeploymentList {
        height: auto;
        max-height: 16;
        background: $surface;
    }
    DeploymentPicker DeploymentRow Horizontal {
        height: 1;
    }
    DeploymentPicker DeploymentRow .mark {
        width: 2;
        color: $accent;
    }
    DeploymentPicker DeploymentRow .name {
        width: 30;
    }
    DeploymentPicker DeploymentRow .tag {
        width: 9;
        color: $text-muted;
    }
    DeploymentPicker DeploymentRow .status {
        width: 1fr;
        color: $text-muted;
        &.-ok { color: $success; }
        &.-failed { color: $error; }
        &.-checking { color: $accent; }
    }
    DeploymentPicker DeploymentList:focus > DeploymentRow.-highlight Label {
        color: $block-cursor-foreground;  /* status colours would clash with the cursor's */
    }
    DeploymentPicker #details {
        margin: 1 0 0 0;
        height: auto;
        min-height: 3;
    }
    DeploymentPicker #message {
        display: none;
        color: $text-muted;
        &.-problem { color: $error; }
    }
    DeploymentPicker NewDeploymentInput {
        display: none;
        margin: 1 0 0 0;
    }
    """

    app: FoundryApp

    def __init__(self, profile: Profile, *, check_all_on_open: bool = False) -> None:
        super().__init__()
        self.profile = profile
        self.check_all_on_open = check_all_on_open
        self.discovered: list[AzureDeployment] = []  # from Azure Resource Manager, once found

    def compose(self) -> ComposeResult:
        with self.dialog(f"Deployments · profile {self.profile.name}", id="picker"):
            yield AzureDiscovery(self.profile, id="azure")
            yield Static(f"⚠ {GUESS_NOTE}", id="guess-note", markup=False)
            yield DeploymentList(id="deployments")
            yield Static(id="details")
            yield NewDeploymentInput(placeholder="new deployment name, e.g. claude-sonnet-4-5", id="new-deployment")
            yield Static(id="message", markup=False)
            yield self.key_line()

    async def on_mount(self) -> None:
        self.query_one("#picker").border_subtitle = self.profile.endpoint_host()
        await self.fill()
        self.query_one(AzureDiscovery).refresh_discovery()
        if self.check_all_on_open:
            self.action_check_all()

    @property
    def rows(self) -> list[DeploymentRow]:
        return list(self.query(DeploymentRow))

    def highlighted(self) -> DeploymentRow | None:
        row = self.query_one(DeploymentList).highlighted_child
        return row if isinstance(row, DeploymentRow) else None

    async def fill(self) -> None:
        """One row per deployment of the profile, then those found in Azure, else one per guess."""
        found = {deployment.name: deployment for deployment in self.discovered}
        guessing = not self.profile.deployments and not found
        self.query_one("#guess-note").display = guessing
        names = [*self.profile.deployments, *(name for name in found if name not in self.profile.deployments)]
        rows = [self.row(name, guessing) for name in names or GUIDE_DEPLOYMENTS]
        for row in rows:
            if row.deployment in found and row.result is None:  # a past check says more
                row.details = azure_details(found[row.deployment])
        deployments = self.query_one(DeploymentList)
        await deployments.clear()
        await deployments.extend(rows)
        deployments.index = next((index for index, row in enumerate(rows) if row.current), 0)
        deployments.focus()

    def row(self, name: str, guessing: bool) -> DeploymentRow:
        tag = "guess" if guessing else "default" if name == self.profile.default_deployment else ""
        if not tag and any(deployment.name == name for deployment in self.discovered):
            tag = AZURE_TAG
        past = self.app.check_memory.recall(self.profile, name)
        return DeploymentRow(name, current=name == self.app.deployment, tag=tag, past=past)

    @on(AzureDiscovery.Found)
    async def show_discovered(self, event: AzureDiscovery.Found) -> None:
        self.discovered = event.discovery.deployments
        await self.fill()

    def action_refresh_azure(self) -> None:
        self.query_one(AzureDiscovery).refresh_discovery()

    # -- details under the list ----------------------------------------------------------------

    @on(ListView.Highlighted, "#deployments")
    @on(DeploymentRow.Checked)
    def show_details(self) -> None:
        row = self.highlighted()
        self.query_one("#details", Static).update(row.details if row is not None else "")

    def say(self, text: str, *, problem: bool = False) -> None:
        """A line under the list about the last add, remove or save."""
        message = self.query_one("#message", Static)
        message.set_class(problem, "-problem")
        message.update(text)
        message.display = bool(text)

    # -- actions -------------------------------------------------------------------------------

    @on(ListView.Selected, "#deployments")
    def choose(self, event: ListView.Selected) -> None:
        row = event.item
        assert isinstance(row, DeploymentRow)
        if row.deployment not in self.profile.deployments:  # a guess or found in Azure: keep it in the profile
            self.save(
                f"Kept {row.deployment} in profile {self.profile.name}.",
                lambda book: book.add_deployment(self.profile.name, row.deployment),
                replace(self.profile, deployments=[*self.profile.deployments, row.deployment]),
            )
        self.dismiss(row.deployment)

    def action_check(self) -> None:
        row = self.highlighted()
        if row is not None:
            row.check(self.profile)

    def action_copy_ids(self) -> None:
        row = self.highlighted()
        result = row.result if row is not None else None
        ids = request_ids(result.request_id, result.apim_request_id) if result is not None else ""
        if not ids:
            self.say("No request ids for this row: c checks it, and the answer brings them.", problem=True)
            return
        self.app.copy_with_notice(ids, "request ids")

    def action_check_all(self) -> None:
        for row in self.rows:
            row.check(self.profile)

    def action_add(self) -> None:
        field = self.query_one(NewDeploymentInput)
        field.clear()
        field.display = True
        field.focus()

    def action_cancel_add(self) -> None:
        self.query_one(NewDeploymentInput).display = False
        self.query_one(DeploymentList).focus()
        self.say("")

    @on(Input.Submitted, "#new-deployment")
    async def add(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        problem = deployment_name_problem(name, self.profile.deployments)
        if problem is not None:
            self.say(problem, problem=True)
            return
        was_guessing = not self.profile.deployments
        saved = self.save(
            f"Added {name} to profile {self.profile.name}.",
            lambda book: book.add_deployment(self.profile.name, name),
            replace(self.profile, deployments=[*self.profile.deployments, name]),
        )
        if not saved:
            return
        deployments = self.query_one(DeploymentList)
        if was_guessing:
            await self.fill()
        else:
            await deployments.append(self.row(name, guessing=False))
        deployments.index = len(deployments) - 1
        self.query_one(NewDeploymentInput).display = False
        deployments.focus()

    async def action_remove(self) -> None:
        row = self.highlighted()
        if row is None:
            return
        if row.deployment not in self.profile.deployments:
            self.say("Guesses and Azure finds are not in the profile, so there is nothing to remove.", problem=True)
            return
        profile = self.profile
        default = None if profile.default_deployment == row.deployment else profile.default_deployment
        remaining = [name for name in profile.deployments if name != row.deployment]
        saved = self.save(
            f"Removed {row.deployment} from profile {profile.name}.",
            lambda book: book.remove_deployment(profile.name, row.deployment),
            replace(profile, deployments=remaining, default_deployment=default),
        )
        if not saved:
            return
        if self.profile.deployments:
            deployments = self.query_one(DeploymentList)
            await deployments.pop(deployments.index)
        else:
            await self.fill()

    def save(self, done: str, change: Callable[[ProfileBook], Config], session_copy: Profile) -> bool:
        """Save one change through the book and show the saved profile; say what was done or why not.

        The env profile lives in environment variables, not in the file: its change is `session_copy`,
        kept for this session only, and the message says so.
        """
        app = self.app
        if self.profile.name not in app.config.profiles:
            self.profile = session_copy
            if app.profile is not None and app.profile.name == session_copy.name:
                app.profile = session_copy
            self.say(f"{done} {SESSION_ONLY.format(name=session_copy.name)}")
            return True
        try:
            config = change(app.book)
        except ConfigError as error:
            self.say(f"Not saved: {error.message}", problem=True)
            return False
        app.config_changed(config)
        self.profile = config.profiles[self.profile.name]
        self.say(done)
        return True

