"""Errors from every body shape Foundry answers with: class, code, one-line message, hint, ids."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from foundry_tui.service import errors
from foundry_tui.service.errors import (
    HINT_BY_CODE,
    MAX_MESSAGE_CHARS,
    AuthenticationError,
    BadRequestError,
    FoundryError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimedOut,
    ServerError,
    error_from_event,
    error_from_response,
)

GATEWAY_401 = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)
HTML_502 = b"""<html>
<head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body>
</html>"""


def from_body(status: int, body: bytes | dict[str, Any] | list[Any], **headers: str) -> FoundryError:
    raw = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    return error_from_response(status, httpx.Headers(headers), raw)


def assert_one_line(error: FoundryError) -> None:
    assert error.message and "\n" not in error.message and "  " not in error.message
    assert len(error.message) <= MAX_MESSAGE_CHARS
    assert error.hint


def test_anthropic_shape_with_request_id_from_the_body() -> None:
    body = {"type": "error", "error": {"type": "not_found_error", "message": "model: my-deployment"}, "request_id": "req_0"}
    error = from_body(404, body)
    assert type(error) is NotFoundError
    assert (error.code, error.message) == ("not_found_error", "model: my-deployment")
    assert (error.request_id, error.status) == ("req_0", 404)
    assert error.hint == NotFoundError.default_hint


def test_request_id_header_wins_over_the_body() -> None:
    body = {"type": "error", "error": {"type": "api_error", "message": "boom"}, "request_id": "req_body"}
    error = from_body(500, body, **{"request-id": "req_header", "apim-request-id": "apim-42"})
    assert (error.request_id, error.apim_request_id) == ("req_header", "apim-42")
    assert error.ids() == "request-id: req_header · apim-request-id: apim-42"


def test_azure_gateway_401_with_a_numeric_code() -> None:
    error = from_body(401, {"error": {"code": "401", "message": GATEWAY_401}}, **{"apim-request-id": "a-1"})
    assert type(error) is AuthenticationError
    assert error.code is None  # "401" says nothing the status does not
    assert error.message == GATEWAY_401
    assert error.apim_request_id == "a-1" and error.request_id is None
    assert error.hint == AuthenticationError.default_hint
    assert error.summary() == f"401 auth error: {GATEWAY_401}"


def test_azure_deployment_not_found_keeps_its_code() -> None:
    message = "The API deployment for this resource does not exist."
    error = from_body(404, {"error": {"type": "invalid_request_error", "code": "DeploymentNotFound", "message": message}})
    assert type(error) is NotFoundError
    assert error.code == "DeploymentNotFound"
    assert error.message == message


def test_api_not_supported_has_its_own_hint() -> None:
    error = from_body(400, {"error": {"code": "api_not_supported", "message": "The models API is not supported."}})
    assert type(error) is BadRequestError
    assert error.hint == HINT_BY_CODE["api_not_supported"] != BadRequestError.default_hint
    assert error.to_dict() == {
        "kind": "bad_request", "message": "The models API is not supported.", "hint": error.hint, "code": "api_not_supported",
    }


def test_apim_shape() -> None:
    error = from_body(401, {"statusCode": 401, "message": "Access denied due to missing subscription key."})
    assert type(error) is AuthenticationError
    assert error.message == "Access denied due to missing subscription key."


def test_html_page_from_a_proxy_gives_its_title() -> None:
    error = from_body(502, HTML_502, **{"content-type": "text/html"})
    assert type(error) is ServerError
    assert error.message == "non-JSON answer from a proxy or gateway: 502 Bad Gateway"


def test_html_without_title_falls_back_to_h1_then_to_the_text() -> None:
    assert from_body(503, b"<body><h1>Service\n Unavailable</h1></body>").message.endswith(": Service Unavailable")
    assert from_body(503, b"<p>Down <b>for</b> maintenance</p>").message.endswith(": Down for maintenance")


def test_plain_text_gives_its_first_line() -> None:
    error = from_body(500, b"  upstream connect error\nreset reason: overflow\n", **{"content-type": "text/plain"})
    assert error.message == "upstream connect error"


@pytest.mark.parametrize("body", [b"", b"   \n"])
def test_empty_body(body: bytes) -> None:
    error = from_body(503, body)
    assert type(error) is ServerError
    assert error.message == "HTTP 503 with no error message"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'["bad", "things"]', "['bad', 'things']"),
        (b'"just a string"', "just a string"),
        (b'{"error": "flat"}', '{"error": "flat"}'),
        (b'{"error": {"code": "x", "message": {"detail": "nested"}}}', "{'detail': 'nested'}"),
        (b'{"error": {"code": "x"}}', "HTTP 400 with no error message"),
    ],
)
def test_unusual_json_never_breaks(body: bytes, message: str) -> None:
    error = from_body(400, body)
    assert type(error) is BadRequestError
    assert error.message == message
    assert_one_line(error)


def test_invalid_utf8_body() -> None:
    error = from_body(500, b"\xff\xfe broken")
    assert "broken" in error.message


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (413, BadRequestError),
        (422, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (408, RequestTimedOut),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (529, OverloadedError),
    ],
)
def test_class_per_status(status: int, cls: type[FoundryError]) -> None:
    error = from_body(status, {"type": "error", "error": {"type": "some_error", "message": "m"}})
    assert type(error) is cls
    assert error.status == status
    assert error.hint == cls.default_hint
    assert_one_line(error)


def test_overloaded_code_wins_over_the_status() -> None:
    error = from_body(500, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    assert type(error) is OverloadedError


def test_request_too_large_hint() -> None:
    error = from_body(413, {"type": "error", "error": {"type": "request_too_large", "message": "Request too large"}})
    assert type(error) is BadRequestError
    assert error.hint == HINT_BY_CODE["request_too_large"]


def test_multi_line_message_is_collapsed_and_long_text_capped() -> None:
    collapsed = from_body(400, {"error": {"code": "x", "message": "line one\n\n   line two\tand\r\nthree"}})
    assert collapsed.message == "line one line two and three"
    long = from_body(400, {"error": {"code": "x", "message": "word " * 500}})
    assert len(long.message) == MAX_MESSAGE_CHARS
    assert long.message.endswith("…")
    assert_one_line(long)


def test_error_event_from_the_stream() -> None:
    payload = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    error = error_from_event(payload, request_id="r", apim_request_id="a")
    assert (error.kind, error.code, error.status) == ("stream", "overloaded_error", None)
    assert error.message == "Overloaded (overloaded_error)"
    assert error.hint == OverloadedError.default_hint
    assert (error.request_id, error.apim_request_id) == ("r", "a")
    assert error.summary() == "stream error: Overloaded (overloaded_error)"


def test_error_event_without_details() -> None:
    error = error_from_event({"type": "error", "error": "not an object"}, request_id=None, apim_request_id=None)
    assert error.message == "error event in the stream"
    assert error.code is None and error.ids() == ""


@pytest.mark.parametrize("error", [errors.NotFoundError("gone", status=404), errors.CredentialError("no token"), errors.StreamError("cut")])
def test_an_error_saved_as_a_dict_comes_back_as_its_kind(error):
    back = errors.error_from_dict(error.to_dict(), status=error.status, request_id="req_1", apim_request_id="a-1")
    assert back.kind == error.kind and back.message == error.message and back.hint == error.hint
    assert back.summary() == error.summary() and back.ids() == "request-id: req_1 · apim-request-id: a-1"
