"""Report: what the last action of a screen did, kept on screen until the next one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from foundry_tui.config.profile import ConfigError, Profile
from foundry_tui.service.messages import request_ids_text
from foundry_tui.ui.format import seconds

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

    def show(self, *parts: str | tuple[str, str]) -> None:
        self.update(Content.assemble(*parts))
        self.add_class("-shown")
        self.call_after_refresh(self.scroll_visible)

    def notice(self, text: str, *, warning: bool = False) -> None:
        self.show((text, "$text-warning" if warning else ""))

    def config_error(self, error: ConfigError) -> None:
        hint = [("\n" + error.hint, "$text-warning")] if error.hint else []
        self.show(("✗ ", "$text-error bold"), (error.message, "$text-error"), *hint)

    def check_result(self, result: CheckResult) -> None:
        timing = f"{seconds(_ms(result.latency_ms))} · first token {seconds(_ms(result.ttft_ms))}"
        ids = request_ids_text(result.request_id, result.apim_request_id)
        if result.error is None:
            self.show(
                ("✓ ", "$text-success bold"),
                f"{result.deployment} answered · {result.status} · {timing}\n",
                (ids or "no request ids in the response", "$foreground-muted"),
            )
            return
        error = result.error
        hint = [("\n" + error.hint, "$text-warning")] if error.hint else []
        self.show(
            ("✗ ", "$text-error bold"),
            (f"{result.deployment}: {error.summary()}", "$text-error"),
            *hint,
            "\n",
            (ids or "no request ids: the request did not reach Foundry", "$foreground-muted"),
        )

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


def _ms(milliseconds: float | None) -> float | None:
    return milliseconds / 1000 if milliseconds is not None else None
