"""One error hierarchy for everything a Foundry request can hit, with one-line messages and hints.

Foundry answers in several body shapes (Anthropic's, the Azure gateway's, APIM's, and HTML from
proxies); `error_from_response` reads them all so callers only ever see a `FoundryError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from foundry_tui.problem import Problem
from foundry_tui.service.messages import bounded

MAX_MESSAGE_CHARS = 300


class FoundryError(Problem):
    """Base class: a one-line message, the HTTP status if any, the request ids, and a hint."""

    kind: ClassVar[str] = "error"
    default_hint: ClassVar[str | None] = None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        apim_request_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(
            one_line(message) or "unknown error",
            hint or self.default_hint,
            request_id=request_id,
            apim_request_id=apim_request_id,
        )
        self.status = status
        self.code = code

    def summary(self) -> str:
        """'401 authentication error: …' — what a status line or a log shows."""
        prefix = f"{self.status} " if self.status else ""
        return f"{prefix}{self.kind.replace('_', ' ')} error: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "hint": self.hint, "code": self.code}


class SetupError(FoundryError):
    """The request could not be built: no profile, no key, a bad endpoint (nothing was sent)."""

    kind = "config"


class AuthenticationError(FoundryError):
    kind = "auth"
    default_hint = (
        "Check the API key (Azure portal > your resource > Keys and Endpoint), "
        "or that your Entra sign-in is valid (az login)."
    )


class CredentialError(AuthenticationError):
    """Entra ID could not produce a token at all (no request was sent)."""

    default_hint = (
        "Sign in again (az login, or the device-code flow), or check the profile's tenant and "
        "credential settings; `foundry-tui check` shows which credential answered."
    )


class PermissionDeniedError(FoundryError):
    kind = "permission"
    default_hint = (
        "Your Entra identity lacks the data action: assign it the Azure AI User or Cognitive Services User "
        "role on the Foundry resource (Azure portal > the resource > Access control (IAM)); "
        "a new role can take a few minutes to apply."
    )


class NotFoundError(FoundryError):
    kind = "not_found"
    default_hint = (
        "`model` is the deployment name: check the deployment exists on this resource "
        "(Foundry portal > Models + endpoints) and that the endpoint ends in /anthropic/."
    )


class RateLimitError(FoundryError):
    kind = "rate_limit"
    default_hint = "Rate limited: wait and retry, or ask for more quota in the Azure portal."


class OverloadedError(FoundryError):
    kind = "overloaded"
    default_hint = "Foundry is overloaded right now: retry in a moment or use another deployment."


class ServerError(FoundryError):
    kind = "server"
    default_hint = "A server-side failure: retry; if it persists, give support the request ids."


class BadRequestError(FoundryError):
    kind = "bad_request"
    default_hint = "The request was rejected: check max_tokens, temperature and the conversation."


class ConnectionFailed(FoundryError):
    kind = "connection"
    default_hint = (
        "Check the resource name or base URL (a wrong resource name fails at DNS), "
        "your network, and HTTPS_PROXY if you use one."
    )


class RequestTimedOut(FoundryError):
    kind = "timeout"
    default_hint = "No answer in time: check the network, or raise the timeout."


class StreamError(FoundryError):
    """An `event: error` after HTTP 200: the reply so far is kept."""

    kind = "stream"
    default_hint = "The server stopped the reply with an error; the partial reply is kept. Retry it."


class IncompleteStream(FoundryError):
    """The stream ended without `message_stop`: the reply so far is kept, but it is cut."""

    kind = "incomplete"
    default_hint = "The connection closed before the reply finished; the partial reply is kept. Retry it."


class MalformedStream(FoundryError):
    """The stream carried data this client refuses (an oversized or absurdly nested event)."""

    kind = "malformed"
    default_hint = (
        "The server sent data this client cannot use; the partial reply is kept. "
        "Retry it, and give support the request ids if it persists."
    )


class UnexpectedResponse(FoundryError):
    """A success or redirect status whose body is not an event stream (a proxy page, plain JSON)."""

    kind = "unexpected_response"
    default_hint = (
        "Something between you and Foundry (a proxy, a captive portal, a wrong base URL) answered "
        "instead of the Messages API: check the endpoint and HTTPS_PROXY."
    )


class IdleTimeout(RequestTimedOut):
    """The stream stayed open but brought no content (pings at most) for too long."""

    default_hint = "The server went quiet mid-reply; the partial reply is kept. Retry it, or raise the idle limit."


class ClientBug(FoundryError):
    """An exception this client did not expect: the turn ends cleanly instead of hanging."""

    kind = "internal"
    default_hint = "This is a bug in foundry-tui; the partial reply is kept. Please report it with the request ids."


HINT_BY_CODE = {
    "PermissionDenied": PermissionDeniedError.default_hint,  # Azure answers a missing RBAC role with a 401
    "content_filter": (
        "Azure's content filter blocked this prompt or reply: rephrase it, or ask the resource's owner "
        "about its content filter (Foundry portal > Guardrails + controls)."
    ),
    "api_not_supported": "Foundry does not offer this API (models list, batches, admin).",
    "request_too_large": "The request is too large: shorten the conversation.",
    "billing_error": "Check the Azure subscription's billing status.",
}


def error_from_dict(
    data: Mapping[str, Any], *, status: int | None = None, request_id: str | None = None, apim_request_id: str | None = None
) -> FoundryError:
    """Rebuild an error saved with `to_dict()` (the history), as the class its kind names."""
    classes: dict[str, type[FoundryError]] = {}
    for candidate in _subclasses(FoundryError):
        classes.setdefault(candidate.kind, candidate)  # a parent before its children (auth: AuthenticationError)
    cls = classes.get(str(data.get("kind")), FoundryError)
    return cls(
        str(data.get("message") or "unknown error"),
        status=status,
        code=data.get("code"),
        request_id=request_id,
        apim_request_id=apim_request_id,
        hint=data.get("hint"),
    )


def _subclasses(cls: type[FoundryError]) -> list[type[FoundryError]]:
    found: list[type[FoundryError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def one_line(text: str) -> str:
    """Collapse whitespace and cap the length, so any server text fits a status line."""
    text = " ".join(text.split())
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[: MAX_MESSAGE_CHARS - 1] + "…"
    return text


def error_class_for(status: int, code: str | None) -> type[FoundryError]:
    if code == "overloaded_error" or status == 529:
        return OverloadedError
    if status == 401:
        return AuthenticationError
    if status == 403:
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 408:
        return RequestTimedOut
    if status == 429:
        return RateLimitError
    if status >= 500:
        return ServerError
    return BadRequestError


def error_from_response(status: int, headers: Mapping[str, str], body: bytes) -> FoundryError:
    """Build the right error from an HTTP error response of any shape."""
    code, message, body_request_id = parse_error_body(body, headers.get("content-type", ""))
    cls = error_class_for(status, code)
    return cls(
        message or f"HTTP {status} with no error message",
        status=status,
        code=code,
        request_id=bounded(headers.get("request-id") or "") or body_request_id,
        apim_request_id=bounded(headers.get("apim-request-id") or "") or None,
        hint=HINT_BY_CODE.get(code or ""),
    )


def error_from_event(payload: Mapping[str, Any], *, request_id: str | None, apim_request_id: str | None) -> StreamError:
    """The error carried by an SSE `event: error` that arrived after the stream began."""
    raw = payload.get("error")
    error: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    code = next((value for value in (error.get("type"), error.get("code")) if value and isinstance(value, str)), None)
    code = code[:MAX_MESSAGE_CHARS] if code else None
    message = str(error.get("message") or "error event in the stream")
    hint = OverloadedError.default_hint if code == "overloaded_error" else None
    return StreamError(
        f"{message} ({code})" if code else message,
        code=code,
        request_id=request_id,
        apim_request_id=apim_request_id,
        hint=hint,
    )


def parse_error_body(body: bytes, content_type: str) -> tuple[str | None, str | None, str | None]:
    """(code, message, request_id) from Anthropic, Azure gateway, APIM or non-JSON bodies."""
    try:
        data = json.loads(body)
    except ValueError:
        return None, text_of_non_json(body, content_type), None
    if not isinstance(data, dict):
        return None, one_line(str(data)), None
    error = data.get("error")
    if isinstance(error, dict):  # Anthropic {"type":"error","error":{type,message}} or Azure {"error":{code,message}}
        code = error.get("code")
        if code is None or str(code).isdigit():
            code = error.get("type")
        message = error.get("message")  # not always a string: never let it crash one_line()
        request_id = data.get("request_id")
        request_id = bounded(request_id) if isinstance(request_id, str) and request_id else None
        code = bounded(str(code)) if code else None
        return code, (None if message is None else str(message)), request_id
    if "message" in data:  # APIM {"statusCode": 401, "message": "…"}
        return None, str(data["message"]), None
    return None, one_line(body.decode("utf-8", "replace")), None


def text_of_non_json(body: bytes, content_type: str) -> str | None:
    """A proxy's HTML page or plain text, reduced to its title or first line."""
    text = page_text(body, content_type)
    if text and is_html(body, content_type):
        return f"non-JSON answer from a proxy or gateway: {text}"
    return text


def page_text(body: bytes, content_type: str) -> str | None:
    """What a person would read first in a body: an HTML page's title or heading, else its first line."""
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return None
    if is_html(body, content_type):
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.IGNORECASE | re.DOTALL)
        found = title or heading
        return one_line(found.group(1) if found else re.sub(r"<[^>]+>", " ", text))
    return one_line(text.splitlines()[0])


def is_html(body: bytes, content_type: str) -> bool:
    return "html" in content_type or body.lstrip().startswith(b"<")
