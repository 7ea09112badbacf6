"""Report: what the last action of a screen did, kept on screen until the next one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from foundry_tui.config.profile import ConfigError, Profile
from foundry_tui.format import duration, request_ids
from foundry_tui.safetext import terminal_line
from foundry_tui.ui.widgets.problem import problem_content

if TYPE_CHECKING:
    from foundry_tui.service.check import CheckResult
    from foundry_tui.ui.app import FoundryApp

TEST_TIMEOUT = 20.0
SIGN_IN_TIMEOUT = 900.0  # a device-code test waits for the user to sign in on another device


class Report(Static):
    """What the last action did (a test, a save, a delete), until the next one: it stays readable,
    unlike a notification, because some of it (a key kept only in memory) matters later."""

    DEFAULT_CSS = """
    Report {
        height: auto;
        margin: 1 1 0 1;
        padding: 0 1;
        border: round $panel;
        display: none;
        &.-shown {
            display: block;
        }
    }
    """

    app: FoundryApp

    def show(self, *parts: Content | str | tuple[str, str]) -> None:
        self.update(Content.assemble(*parts))
        self.add_class("-shown")
        self.call_after_refresh(self.scroll_visible)

    def notice(self, text: str, *, warning: bool = False) -> None:
        self.show((text, "$text-warning" if warning else ""))

    def config_error(self, error: ConfigError) -> None:
        self.show(problem_content(error))

    def check_result(self, result: CheckResult) -> None:
        if result.error is None:
            timing = f"{duration(result.latency)} · first token {duration(result.ttft)}"
            ids = request_ids(result.request_id, result.apim_request_id)
            self.show(
                ("✓ ", "$text-success bold"),
                f"{terminal_line(result.deployment)} answered · {result.status} · {timing}\n",
                (ids or "no request ids in the response", "$foreground-muted"),
            )
            return
        no_ids = "" if result.error.ids() else "\nno request ids: the request did not reach Foundry"
        self.show(problem_content(result.error, context=result.deployment), (no_ids, "$foreground-muted"))

    async def check(self, profile: Profile, deployment: str, label: str) -> None:
        """Run the same check as `foundry-tui check` and show its outcome here."""
        self.show(("testing ", "$foreground-muted"), f"{label} › {deployment}", ("…", "$foreground-muted"))
        signs_in = profile.auth == "entra" and profile.entra.credential == "device-code"
        try:
            results = await self.app.run_check(profile, [deployment], timeout=SIGN_IN_TIMEOUT if signs_in else TEST_TIMEOUT)
        except ConfigError as error:
            self.config_error(error)
            return
        finally:
            self.app.close_device_code()
        self.check_result(results[0])

