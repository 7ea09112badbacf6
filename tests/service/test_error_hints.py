"""Hints that name the fix: an Entra principal without the RBAC role, a prompt the content filter blocked."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from foundry_tui.service.errors import AuthenticationError, BadRequestError, FoundryError, error_from_response

PRINCIPAL_LACKS_DATA_ACTION = {
    "error": {
        "code": "PermissionDenied",
        "message": "The principal `3f0c…` lacks the required data action "
        "`Microsoft.CognitiveServices/accounts/AIServices/…/action` to perform `POST /anthropic/v1/messages` "
        "operation. For instructions on granting the necessary permissions, see https://aka.ms/FoundryPermissions.",
    }
}
CONTENT_FILTERED = {
    "error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
        "type": None,
        "param": "prompt",
        "code": "content_filter",
        "status": 400,
        "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": {"jailbreak": {"filtered": True}}},
    }
}


def from_body(status: int, body: dict[str, Any]) -> FoundryError:
    return error_from_response(status, httpx.Headers({"content-type": "application/json"}), json.dumps(body).encode())


@pytest.mark.parametrize("status", [401, 403])
def test_a_principal_without_the_data_action_gets_the_role_hint_not_the_key_hint(status: int) -> None:
    error = from_body(status, PRINCIPAL_LACKS_DATA_ACTION)
    assert error.code == "PermissionDenied"
    assert error.hint is not None
    assert "Azure AI User" in error.hint and "Cognitive Services User" in error.hint
    assert "API key" not in error.hint and error.hint != AuthenticationError.default_hint


def test_a_wrong_key_still_gets_the_key_hint() -> None:
    error = from_body(401, {"error": {"code": "401", "message": "Access denied due to invalid subscription key."}})
    assert error.hint == AuthenticationError.default_hint


def test_a_content_filtered_prompt_gets_the_content_filter_hint() -> None:
    error = from_body(400, CONTENT_FILTERED)
    assert isinstance(error, BadRequestError) and error.code == "content_filter"
    assert error.hint is not None and "content filter" in error.hint
    assert error.hint != BadRequestError.default_hint
