"""Find the profile's resource in Azure Resource Manager and list its deployments.

Uses Microsoft's management SDK (sync clients, run in a worker thread by `discover_async`); it
pages with `nextLink` itself. The SDK is imported only here, when discovery runs (~0.13 s).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from foundry_tui.azure.access import ArmAccess, resource_name
from foundry_tui.azure.errors import NOT_FOUND_HINT, READER_HINT, ArmError, arm_error_from_sdk
from foundry_tui.config.profile import Profile

ANTHROPIC_FORMAT = "Anthropic"
FOUNDRY_KIND = "AIServices"  # the account kind of a Foundry resource (others: OpenAI, SpeechServices, …)
MAX_SUBSCRIPTIONS = 200  # bound what a hostile or huge tenant can make us walk
MAX_ACCOUNTS = 2000
MAX_DEPLOYMENTS = 500
_CLIENT_OPTIONS: dict[str, Any] = {"retry_total": 1, "connection_timeout": 10, "read_timeout": 30}


@dataclass(frozen=True)
class AzureResource:
    name: str
    subscription: str
    resource_group: str
    location: str


@dataclass(frozen=True)
class AzureDeployment:
    name: str
    model: str
    version: str
    format: str
    sku: str
    capacity: int | None
    state: str
    resource: str
    resource_group: str
    subscription: str
    location: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Discovery:
    resource: AzureResource
    deployments: list[AzureDeployment] = field(default_factory=list)
    searched: bool = False  # True when subscriptions were searched (nothing was pinned yet)


async def discover_async(profile: Profile, access: ArmAccess, *, all_formats: bool = False) -> Discovery:
    """`discover` in a worker thread, so an event loop (the app's) never waits on the SDK."""
    return await asyncio.to_thread(discover, profile, access, all_formats=all_formats)


def discover(profile: Profile, access: ArmAccess, *, all_formats: bool = False) -> Discovery:
    """The profile's resource (pinned, or searched across subscriptions) and its deployments.

    Raises:
        ArmError: sign-in, permission, not found or network failure, with hint and request id.
        ConfigError: the resource name cannot be told from the profile.
    """
    name = resource_name(profile)
    try:
        pinned = profile.azure.subscription and profile.azure.resource_group
        resource = _pinned(access, name, profile) if pinned else _search(access, name)
        deployments = _deployments(access, resource)
    except ArmError:
        raise
    except Exception as exc:  # azure-core raises many types; all become one ArmError
        raise arm_error_from_sdk(exc, access.credential_note) from None
    if not all_formats:
        deployments = [d for d in deployments if d.format == ANTHROPIC_FORMAT]
    return Discovery(resource, deployments, searched=not pinned)


async def list_foundry_resources_async(access: ArmAccess) -> list[AzureResource]:
    """`list_foundry_resources` in a worker thread."""
    return await asyncio.to_thread(list_foundry_resources, access)


def list_foundry_resources(access: ArmAccess) -> list[AzureResource]:
    """Every Foundry (AIServices) resource the sign-in can read, across its subscriptions, by name.

    Raises:
        ArmError: sign-in, permission or network failure, with hint and request id.
    """
    try:
        found = [
            _resource(subscription, account)
            for subscription, account in _AccountWalk(access)
            if str(account.kind or "").lower() == FOUNDRY_KIND.lower()
        ]
    except ArmError:
        raise
    except Exception as exc:  # azure-core raises many types; all become one ArmError
        raise arm_error_from_sdk(exc, access.credential_note) from None
    return sorted(found, key=lambda resource: resource.name.lower())


async def claude_deployments_async(access: ArmAccess, resource: AzureResource) -> list[AzureDeployment]:
    """The resource's deployments in the Anthropic format, from a worker thread; errors as ArmError."""
    try:
        deployments = await asyncio.to_thread(_deployments, access, resource)
    except ArmError:
        raise
    except Exception as exc:
        raise arm_error_from_sdk(exc, access.credential_note) from None
    return [d for d in deployments if d.format == ANTHROPIC_FORMAT]


def _call_options(access: ArmAccess) -> dict[str, Any]:
    return {"enforce_https": False} if access.over_plain_http else {}


def _accounts_client(access: ArmAccess, subscription: str) -> Any:
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    return CognitiveServicesManagementClient(
        access.credential, subscription, base_url=access.endpoint, credential_scopes=[access.scope], **_CLIENT_OPTIONS
    )


def _pinned(access: ArmAccess, name: str, profile: Profile) -> AzureResource:
    subscription, group = profile.azure.subscription or "", profile.azure.resource_group or ""
    account = _accounts_client(access, subscription).accounts.get(group, name, **_call_options(access))
    return AzureResource(str(account.name or name), subscription, group, str(account.location or ""))


class _AccountWalk:
    """The accounts of every subscription the sign-in can read, within bounds; counts the subscriptions."""

    def __init__(self, access: ArmAccess) -> None:
        self.access = access
        self.subscriptions = 0

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        access = self.access
        client = SubscriptionClient(access.credential, base_url=access.endpoint, credential_scopes=[access.scope], **_CLIENT_OPTIONS)
        options = _call_options(access)
        seen = 0
        for subscription in client.subscriptions.list(**options):
            self.subscriptions += 1
            if self.subscriptions > MAX_SUBSCRIPTIONS or not subscription.subscription_id:
                return
            for account in _accounts_client(access, subscription.subscription_id).accounts.list(**options):
                seen += 1
                if seen > MAX_ACCOUNTS:
                    return
                yield subscription.subscription_id, account


def _resource(subscription: str, account: Any) -> AzureResource:
    return AzureResource(str(account.name), subscription, _resource_group(str(account.id or "")), str(account.location or ""))


def _search(access: ArmAccess, name: str) -> AzureResource:
    walk = _AccountWalk(access)
    for subscription, account in walk:
        if str(account.name or "").lower() == name.lower():
            return _resource(subscription, account)
    if walk.subscriptions == 0:
        raise ArmError("your Azure sign-in sees no subscription", kind="permission", hint=READER_HINT)
    raise ArmError(
        f"resource {name!r} not found in the {walk.subscriptions} subscription(s) your Azure sign-in can read",
        kind="not_found",
        hint=f"{NOT_FOUND_HINT} {READER_HINT}",
    )


def _resource_group(resource_id: str) -> str:
    """'/subscriptions/S/resourceGroups/G/providers/…' → 'G'."""
    parts = resource_id.split("/")
    lowered = [part.lower() for part in parts]
    index = lowered.index("resourcegroups") + 1 if "resourcegroups" in lowered else len(parts)
    if index >= len(parts) or not parts[index]:
        raise ArmError(f"Resource Manager sent an account id without a resource group: {resource_id[:200]!r}", kind="error")
    return parts[index]


def _deployments(access: ArmAccess, resource: AzureResource) -> list[AzureDeployment]:
    client = _accounts_client(access, resource.subscription)
    found: list[AzureDeployment] = []
    for item in client.deployments.list(resource.resource_group, resource.name, **_call_options(access)):
        if len(found) >= MAX_DEPLOYMENTS:
            break
        properties = item.properties
        model = properties.model if properties is not None else None
        sku = item.sku
        found.append(
            AzureDeployment(
                name=str(item.name or ""),
                model=str(getattr(model, "name", None) or ""),
                version=str(getattr(model, "version", None) or ""),
                format=str(getattr(model, "format", None) or ""),
                sku=str(getattr(sku, "name", None) or ""),
                capacity=_capacity(getattr(sku, "capacity", None)),
                state=str(getattr(properties, "provisioning_state", None) or ""),
                resource=resource.name,
                resource_group=resource.resource_group,
                subscription=resource.subscription,
                location=resource.location,
            )
        )
    return found


def _capacity(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
