"""Discovery against the emulator's Resource Manager: paging, pinning, each ARM error."""

import asyncio

import pytest

from foundry_tui.azure.access import ArmAccess, StaticToken, arm_endpoint, resource_name
from foundry_tui.azure.discovery import claude_deployments_async, discover, list_foundry_resources
from foundry_tui.azure.errors import ArmError
from foundry_tui.config.profile import AzureOptions, ConfigError, Profile
from foundry_tui.emulator.arm import EMULATOR_RESOURCE, EMULATOR_RESOURCE_GROUP, OPENAI_DEPLOYMENT, SUBSCRIPTIONS
from foundry_tui.emulator.server import DEFAULT_DEPLOYMENTS


def access(emulator, suffix: str = "", token: str | None = None) -> ArmAccess:
    return ArmAccess(emulator.arm_url + suffix, StaticToken(token or emulator.api_key), "a test token")


def test_finds_the_resource_in_the_second_subscription_after_paged_pages(emulator):
    found = discover(Profile(name="work", resource=EMULATOR_RESOURCE), access(emulator))
    assert found.searched
    assert (found.resource.subscription, found.resource.resource_group) == (SUBSCRIPTIONS[1], EMULATOR_RESOURCE_GROUP)
    assert [d.name for d in found.deployments] == list(DEFAULT_DEPLOYMENTS)
    first = found.deployments[0]
    assert (first.model, first.version, first.format, first.sku, first.capacity, first.state) == (
        "claude-opus-4-5", "1", "Anthropic", "GlobalStandard", 50, "Succeeded",
    )
    assert first.location == "eastus2"


def test_all_formats_includes_the_openai_deployment(emulator):
    found = discover(Profile(name="work", resource=EMULATOR_RESOURCE), access(emulator), all_formats=True)
    assert OPENAI_DEPLOYMENT in [d.name for d in found.deployments]


def test_a_pinned_profile_skips_the_subscription_search(emulator):
    pinned = AzureOptions(subscription=SUBSCRIPTIONS[1], resource_group=EMULATOR_RESOURCE_GROUP)
    profile = Profile(name="work", resource=EMULATOR_RESOURCE, azure=pinned)
    found = discover(profile, access(emulator))
    assert not found.searched
    assert len(found.deployments) == 4


def test_a_wrong_pin_is_not_found_with_a_hint(emulator):
    profile = Profile(name="work", resource=EMULATOR_RESOURCE, azure=AzureOptions(subscription=SUBSCRIPTIONS[1], resource_group="rg-gone"))
    with pytest.raises(ArmError) as caught:
        discover(profile, access(emulator))
    assert caught.value.kind == "not_found" and "ResourceNotFound" in caught.value.message
    assert caught.value.request_id


@pytest.mark.parametrize(
    ("fault", "kind", "code", "hint"),
    [
        ("/fault-401", "auth", "InvalidAuthenticationToken", "az login"),
        ("/fault-403", "permission", "AuthorizationFailed", "Reader role"),
        ("/fault-404", "not_found", "ResourceNotFound", "resource name"),
    ],
)
def test_each_arm_error_has_its_hint_and_request_id(emulator, fault, kind, code, hint):
    with pytest.raises(ArmError) as caught:
        discover(Profile(name="work", resource=EMULATOR_RESOURCE), access(emulator, fault))
    error = caught.value
    assert (error.kind, code in error.message, hint in (error.hint or "")) == (kind, True, True)
    assert error.ids().startswith("x-ms-request-id: ") and len(error.request_id or "") == 36


def test_a_rejected_token_is_an_auth_error(emulator):
    with pytest.raises(ArmError) as caught:
        discover(Profile(name="work", resource=EMULATOR_RESOURCE), access(emulator, token="wrong"))
    assert caught.value.kind == "auth"


def test_an_unknown_resource_is_not_found_after_searching_every_subscription(emulator):
    with pytest.raises(ArmError) as caught:
        discover(Profile(name="work", resource="nowhere"), access(emulator))
    assert caught.value.kind == "not_found" and "2 subscription(s)" in caught.value.message


def test_network_failure_is_a_connection_error():
    unreachable = ArmAccess("http://127.0.0.1:9", StaticToken("t"), "a test token")
    with pytest.raises(ArmError) as caught:
        discover(Profile(name="work", resource=EMULATOR_RESOURCE), unreachable)
    assert caught.value.kind == "connection" and caught.value.hint


def test_resource_name_comes_from_the_base_url_host_or_the_azure_key():
    assert resource_name(Profile(name="w", base_url="https://my-res.services.ai.azure.com/anthropic/")) == "my-res"
    proxied = Profile(name="w", base_url="http://127.0.0.1:1/anthropic/")
    with pytest.raises(ConfigError):
        resource_name(proxied)
    proxied.azure.resource = "named"
    assert resource_name(proxied) == "named"


def test_arm_endpoint_override_allows_http_only_on_loopback():
    profile = Profile(name="w", resource="r")
    assert arm_endpoint(profile, {}) == "https://management.azure.com"
    assert arm_endpoint(profile, {"FOUNDRY_TUI_ARM_ENDPOINT": "http://127.0.0.1:5/arm/"}) == "http://127.0.0.1:5/arm"
    with pytest.raises(ConfigError):
        arm_endpoint(profile, {"FOUNDRY_TUI_ARM_ENDPOINT": "http://example.com"})
    profile.azure.endpoint = "https://management.usgovcloudapi.net"
    assert arm_endpoint(profile, {}) == "https://management.usgovcloudapi.net"


def test_lists_the_foundry_resources_of_every_subscription_and_their_claude_deployments(emulator):
    arm = access(emulator)
    resources = list_foundry_resources(arm)
    assert [r.name for r in resources] == [EMULATOR_RESOURCE, "other-foundry-1"]  # not the OpenAI account
    ours = resources[0]
    assert (ours.subscription, ours.resource_group) == (SUBSCRIPTIONS[1], EMULATOR_RESOURCE_GROUP)
    names = [d.name for d in asyncio.run(claude_deployments_async(arm, ours))]
    assert names and all(name.startswith("claude-") for name in names)


def test_listing_resources_with_a_rejected_token_is_an_auth_error(emulator):
    with pytest.raises(ArmError) as caught:
        list_foundry_resources(access(emulator, token="wrong"))
    assert caught.value.kind == "auth"
