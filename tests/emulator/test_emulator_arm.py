"""The emulator's Resource Manager: paging, auth, ARM-shaped errors, x-ms-request-id everywhere."""

import httpx
import pytest

from foundry_tui.emulator.arm import EMULATOR_RESOURCE, SUBSCRIPTIONS


def get(emulator, path: str, token: str | None = None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token or emulator.api_key}"}
    return httpx.get(f"{emulator.arm_url}{path}", headers=headers, params={"api-version": "2022-12-01"})


def test_subscriptions_come_in_two_pages(emulator):
    first = get(emulator, "/subscriptions")
    assert [s["subscriptionId"] for s in first.json()["value"]] == [SUBSCRIPTIONS[0]]
    second = httpx.get(first.json()["nextLink"], headers={"authorization": f"Bearer {emulator.api_key}"})
    assert [s["subscriptionId"] for s in second.json()["value"]] == [SUBSCRIPTIONS[1]]
    assert "nextLink" not in second.json()
    assert first.headers["x-ms-request-id"] != second.headers["x-ms-request-id"]


def test_the_first_subscription_pages_its_accounts_and_the_second_holds_ours(emulator):
    provider = "providers/Microsoft.CognitiveServices/accounts"
    paged = get(emulator, f"/subscriptions/{SUBSCRIPTIONS[0]}/{provider}").json()
    assert "nextLink" in paged
    ours = get(emulator, f"/subscriptions/{SUBSCRIPTIONS[1]}/{provider}").json()["value"]
    assert [(a["name"], a["kind"]) for a in ours] == [(EMULATOR_RESOURCE, "AIServices")]


@pytest.mark.parametrize(("status", "code"), [(401, "InvalidAuthenticationToken"), (403, "AuthorizationFailed"), (404, "ResourceNotFound")])
def test_faults_answer_with_arm_errors(emulator, status, code):
    response = get(emulator, f"/fault-{status}/subscriptions")
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert response.headers["x-ms-request-id"]


def test_a_wrong_token_is_401_and_an_unknown_path_404(emulator):
    assert get(emulator, "/subscriptions", token="nope").json()["error"]["code"] == "InvalidAuthenticationToken"
    assert get(emulator, "/subscriptions/x/resourceGroups/y").status_code == 404
