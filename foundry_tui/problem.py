"""The one shape of a failure the user can act on: a one-line message, a hint, and the request ids.

Configuration (`ConfigError`), history (`StoreError`) and Foundry (`FoundryError`) failures all
subclass `Problem`, so the CLI renders every one with `commands.output.print_problem` and the app
with `ui.widgets.problem.ProblemView`. Messages and hints can carry server text: both renderers
sanitize them, this class keeps them as given.
"""

from __future__ import annotations

from foundry_tui.format import request_ids


class Problem(Exception):
    """A failure shown as its message, an optional hint and the request ids, never as a traceback."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        request_id: str | None = None,
        apim_request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.request_id = request_id
        self.apim_request_id = apim_request_id

    def summary(self) -> str:
        """The headline: the message, or more where a subclass knows more (a status, a kind)."""
        return self.message

    def ids(self) -> str:
        """'request-id: … · apim-request-id: …' (sanitized), or '' when the server sent none."""
        return request_ids(self.request_id, self.apim_request_id)
