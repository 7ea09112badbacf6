"""Discovery failures as one-line messages with a hint and ARM's request id (`x-ms-request-id`)."""

from __future__ import annotations

from typing import Any

from foundry_tui.problem import Problem
from foundry_tui.safetext import terminal_line
from foundry_tui.service.errors import one_line

SIGN_IN_HINT = "Run `az login` (any API-key profile then uses it), or use an Entra profile."
READER_HINT = (
    "Reading deployments needs only the Reader role on the resource, its resource group or "
    "subscription: ask an owner to grant it (Azure portal > Access control (IAM))."
)
NOT_FOUND_HINT = (
    "Check the resource name; if the profile pins [azure] subscription and resource_group, "
    "remove them to search all your subscriptions again."
)
NETWORK_HINT = "Check the network and HTTPS_PROXY, or FOUNDRY_TUI_ARM_ENDPOINT if you set it."


class ArmError(Problem):
    """One discovery failure; `kind` matches the service's error kinds so exit codes agree."""

    def __init__(self, message: str, *, kind: str, hint: str | None = None, request_id: str | None = None) -> None:
        super().__init__(one_line(message) or "Azure Resource Manager failed", hint, request_id=request_id)
        self.kind = kind

    def ids(self) -> str:
        """ARM names its request id `x-ms-request-id` (sanitized: it is a server header)."""
        return f"x-ms-request-id: {terminal_line(self.request_id)}" if self.request_id else ""


def arm_error_from_sdk(exc: Exception, credential_note: str) -> ArmError:
    """Translate what azure-core raises (an HTTP error, a credential failure, a network failure)."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

    response: Any = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    request_id = response.headers.get("x-ms-request-id") if response is not None else None
    if isinstance(exc, ClientAuthenticationError) and response is None:
        first = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        return ArmError(f"no Azure sign-in for Resource Manager ({credential_note}): {first}", kind="auth", hint=SIGN_IN_HINT)
    if isinstance(exc, ServiceRequestError) and response is None:
        return ArmError(f"cannot reach Azure Resource Manager: {exc}", kind="connection", hint=NETWORK_HINT)
    if isinstance(exc, HttpResponseError) and status is not None:
        error = getattr(exc, "error", None)
        code = getattr(error, "code", None) or f"HTTP {status}"
        message = getattr(error, "message", None) or exc.reason or ""
        text = f"{status} {code}: {message}"
        if status == 401:
            return ArmError(text, kind="auth", hint=SIGN_IN_HINT, request_id=request_id)
        if status == 403:
            return ArmError(text, kind="permission", hint=READER_HINT, request_id=request_id)
        if status == 404:
            return ArmError(text, kind="not_found", hint=NOT_FOUND_HINT, request_id=request_id)
        return ArmError(text, kind="server", hint="Retry; if it persists, give support the request id.", request_id=request_id)
    return ArmError(f"Azure Resource Manager failed: {type(exc).__name__}: {exc}", kind="error")
