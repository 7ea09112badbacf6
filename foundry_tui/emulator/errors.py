"""Error responses shaped exactly as Foundry sends them.

Two families exist on the real service: Azure's API gateway answers authentication and routing
failures with its own small JSON bodies, and the Anthropic backend answers everything else with
`{"type": "error", "error": {...}, "request_id": ...}`. Clients have to cope with both.
"""

from __future__ import annotations

from collections.abc import Mapping

from .http11 import Response, json_response


class InvalidRequest(ValueError):
    """A request the Messages API refuses with 400 `invalid_request_error`; the text is the message."""


KEY_DENIED = json_response(
    401,
    {
        "error": {
            "code": "401",
            "message": "Access denied due to invalid subscription key or wrong API endpoint. "
            "Make sure to provide a valid key for an active subscription and use a correct "
            "regional API endpoint for your resource.",
        }
    },
)
TOKEN_DENIED = json_response(
    401,
    {
        "statusCode": 401,
        "message": "Unauthorized. Access token is missing, invalid, audience is incorrect "
        "(https://cognitiveservices.azure.com), or have expired.",
    },
)
# An Entra principal without the RBAC data action (Azure answers 401, not 403, with code PermissionDenied).
# The data action's name is illustrative; the shape and wording are the service's.
PERMISSION_DENIED = json_response(
    401,
    {
        "error": {
            "code": "PermissionDenied",
            "message": "The principal `00000000-0000-0000-0000-000000000000` lacks the required data action "
            "`Microsoft.CognitiveServices/accounts/AIServices/anthropic/action` to perform "
            "`POST /anthropic/v1/messages` operation. For instructions on granting the necessary "
            "permissions, see https://aka.ms/FoundryPermissions.",
        }
    },
)
# A prompt Azure AI Content Safety blocked (as recorded from Foundry's OpenAI-style gateway).
CONTENT_FILTERED = json_response(
    400,
    {
        "error": {
            "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management "
            "policy. Please modify your prompt and retry.",
            "type": None,
            "param": "prompt",
            "code": "content_filter",
            "status": 400,
            "innererror": {
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_result": {"jailbreak": {"detected": True, "filtered": True}},
            },
        }
    },
)
API_NOT_SUPPORTED = json_response(
    404, {"error": {"code": "api_not_supported", "message": "Requested API is currently not supported"}}
)
RESOURCE_NOT_FOUND = json_response(404, {"statusCode": 404, "message": "Resource not found"})
DEPLOYMENT_NOT_FOUND = json_response(
    404,
    {
        "error": {
            "type": "invalid_request_error",
            "code": "DeploymentNotFound",
            "message": "The API deployment for this resource does not exist. If you created the "
            "deployment within the last 5 minutes, please wait a moment and try again.",
        }
    },
)
BAD_GATEWAY_PAGE = Response(
    502,
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n"
    b"<hr><center>Microsoft-Azure-Application-Gateway/v2</center>\r\n</body>\r\n</html>\r\n",
    content_type="text/html",
)


def anthropic_error(
    status: int, error_type: str, message: str, request_id: str, headers: Mapping[str, str] | None = None
) -> Response:
    body = {"type": "error", "error": {"type": error_type, "message": message}, "request_id": request_id}
    return json_response(status, body, headers)


def invalid_request(message: str, request_id: str) -> Response:
    return anthropic_error(400, "invalid_request_error", message, request_id)
