"""Enough Azure Resource Manager for deployment discovery, served under ``/arm`` by the emulator.

- ``GET /arm/subscriptions``: two subscriptions; the first comes alone, with a ``nextLink``.
- ``GET /arm/subscriptions/{sub}/providers/Microsoft.CognitiveServices/accounts``: the first
  subscription holds two unrelated accounts over two pages (a Foundry one and an OpenAI one); the
  second holds `EMULATOR_RESOURCE`.
- ``GET …/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts/{name}`` and
  ``…/{name}/deployments``: that account, and its deployments (the emulator's Claude deployments
  plus one OpenAI-format one).

Auth: ``Authorization: Bearer <the emulator's API key>``, else 401 ``InvalidAuthenticationToken``.
Faults: ``/arm/fault-401/…``, ``/arm/fault-403/…`` and ``/arm/fault-404/…`` answer every request
with ARM's ``InvalidAuthenticationToken``, ``AuthorizationFailed`` or ``ResourceNotFound``.
Every response carries ``x-ms-request-id``. Paths are matched case-insensitively, as ARM does.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from .address import ARM_PREFIX, EMULATOR_RESOURCE
from .http11 import Request, Response, json_response

SUBSCRIPTIONS = ("00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b")
EMULATOR_RESOURCE_GROUP = "rg-foundry"
EMULATOR_LOCATION = "eastus2"
OPENAI_DEPLOYMENT = "gpt-4o"
_PROVIDER = "providers/microsoft.cognitiveservices/accounts"
_OUR_ACCOUNT = f"subscriptions/{SUBSCRIPTIONS[1]}/resourcegroups/{EMULATOR_RESOURCE_GROUP}/{_PROVIDER}/{EMULATOR_RESOURCE}"
_OTHER_ACCOUNTS = (("rg-other", "other-foundry-1", "AIServices"), ("rg-other", "other-openai", "OpenAI"))
_ERRORS = {
    401: ("InvalidAuthenticationToken", "The access token is invalid."),
    403: (
        "AuthorizationFailed",
        "The client does not have authorization to perform action "
        "'Microsoft.CognitiveServices/accounts/read' over scope '/subscriptions/…' or the scope is invalid.",
    ),
    404: ("ResourceNotFound", "The Resource 'Microsoft.CognitiveServices/accounts/…' was not found."),
}


def arm_response(request: Request, *, base_url: str, token: str, deployments: Sequence[str]) -> Response:
    """Answer one request whose path starts with `ARM_PREFIX`; `base_url` is where this server listens."""
    headers = {"x-ms-request-id": str(uuid.uuid4())}
    route = request.path.removeprefix(ARM_PREFIX).strip("/").lower().split("/")
    root = f"{base_url}{ARM_PREFIX}"
    if route[0].startswith("fault-") and route[0].removeprefix("fault-").isdigit():
        status = int(route.pop(0).removeprefix("fault-"))
        root += f"/fault-{status}"
        if status in _ERRORS:
            return _error(status, headers)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or given.strip() != token:
        return _error(401, headers)
    if request.method != "GET":
        return _error(404, headers)
    body = _route(route, root, deployments)
    return json_response(200, body, headers) if body is not None else _error(404, headers)


def _route(route: list[str], root: str, deployments: Sequence[str]) -> dict[str, Any] | None:
    first, second = SUBSCRIPTIONS
    match route:
        case ["subscriptions"]:
            return _page([_subscription(first)], f"{root}/pages/subscriptions/2")
        case ["pages", "subscriptions", "2"]:
            return _page([_subscription(second)])
        case ["subscriptions", sub, *provider] if "/".join(provider) == _PROVIDER and sub == first:
            return _page([_account(first, *_OTHER_ACCOUNTS[0])], f"{root}/pages/accounts/2")
        case ["pages", "accounts", "2"]:
            return _page([_account(first, *_OTHER_ACCOUNTS[1])])
        case ["subscriptions", sub, *provider] if "/".join(provider) == _PROVIDER and sub == second:
            return _page([_account(second, EMULATOR_RESOURCE_GROUP, EMULATOR_RESOURCE)])
        case _ if "/".join(route) == _OUR_ACCOUNT:
            return _account(second, EMULATOR_RESOURCE_GROUP, EMULATOR_RESOURCE)
        case _ if "/".join(route) == f"{_OUR_ACCOUNT}/deployments":
            return _page([_deployment(name) for name in deployments] + [_deployment(OPENAI_DEPLOYMENT, "OpenAI")])
    return None


def _page(items: list[dict[str, Any]], next_link: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {"value": items}
    if next_link:
        page["nextLink"] = f"{next_link}?api-version=2022-12-01"
    return page


def _subscription(subscription: str) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{subscription}",
        "subscriptionId": subscription,
        "displayName": f"Emulator subscription {subscription[-1].upper()}",
        "state": "Enabled",
    }


def _account(subscription: str, group: str, name: str, kind: str = "AIServices") -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.CognitiveServices/accounts/{name}",
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts",
        "kind": kind,
        "location": EMULATOR_LOCATION,
        "sku": {"name": "S0"},
        "properties": {
            "endpoint": f"https://{name}.cognitiveservices.azure.com/",
            "customSubDomainName": name,
            "provisioningState": "Succeeded",
        },
    }


def _deployment(name: str, model_format: str = "Anthropic") -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{SUBSCRIPTIONS[1]}/resourceGroups/{EMULATOR_RESOURCE_GROUP}/providers/"
        f"Microsoft.CognitiveServices/accounts/{EMULATOR_RESOURCE}/deployments/{name}",
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "sku": {"name": "GlobalStandard", "capacity": 50 if "opus" in name else 250},
        "properties": {
            "model": {"format": model_format, "name": name, "version": "2024-11-20" if model_format == "OpenAI" else "1"},
            "provisioningState": "Succeeded",
            "rateLimits": [{"key": "request", "renewalPeriod": 60, "count": 250}],
        },
    }


def _error(status: int, headers: Mapping[str, str]) -> Response:
    code, message = _ERRORS[status]
    return json_response(status, {"error": {"code": code, "message": message}}, headers)
