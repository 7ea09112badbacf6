"""The implicit "env" profile, built from the variables the official Anthropic SDK reads, and
command-line endpoint overrides.

    ANTHROPIC_FOUNDRY_API_KEY    required for the env profile
    ANTHROPIC_FOUNDRY_RESOURCE   or ANTHROPIC_FOUNDRY_BASE_URL (one of them, not both)
    FOUNDRY_TUI_DEPLOYMENT       optional: the deployment to use first
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace

from .profile import ENV_PROFILE_NAME, GUIDE_DEPLOYMENTS, ConfigError, Profile, resolve_endpoint, without_credentials

API_KEY_VAR = "ANTHROPIC_FOUNDRY_API_KEY"
RESOURCE_VAR = "ANTHROPIC_FOUNDRY_RESOURCE"
BASE_URL_VAR = "ANTHROPIC_FOUNDRY_BASE_URL"
DEPLOYMENT_VAR = "FOUNDRY_TUI_DEPLOYMENT"
GUIDE_DEFAULT_DEPLOYMENT = "claude-sonnet-4-5"


def env_api_key(environ: Mapping[str, str] = os.environ) -> str | None:
    return _variable(environ, API_KEY_VAR)


def env_profile(environ: Mapping[str, str] = os.environ) -> Profile | None:
    """The env profile, or None unless the API key and an endpoint are exported."""
    resource = _variable(environ, RESOURCE_VAR)
    base_url = _variable(environ, BASE_URL_VAR)
    if env_api_key(environ) is None or (resource is None and base_url is None):
        return None
    if resource is not None and base_url is not None:
        raise ConfigError(
            f"both {RESOURCE_VAR} ({resource!r}) and {BASE_URL_VAR} ({without_credentials(base_url)!r}) are set",
            hint="unset one of them",
        )
    try:
        resource, base_url = resolve_endpoint(resource, base_url)
    except ConfigError as error:
        raise error.within(RESOURCE_VAR if resource is not None else BASE_URL_VAR) from None
    chosen = _variable(environ, DEPLOYMENT_VAR)
    deployments = list(GUIDE_DEPLOYMENTS)
    if chosen is not None:
        deployments = [chosen, *(name for name in deployments if name != chosen)]
    profile = Profile(
        name=ENV_PROFILE_NAME,
        resource=resource,
        base_url=base_url,
        deployments=deployments,
        default_deployment=chosen or GUIDE_DEFAULT_DEPLOYMENT,
    )
    try:
        profile.validate()
    except ConfigError as error:
        raise error.within(DEPLOYMENT_VAR) from None
    return profile


def with_endpoint(profile: Profile, *, resource: str | None = None, base_url: str | None = None) -> Profile:
    """A validated copy of `profile`, with an explicit endpoint (a flag) replacing the profile's.

    The explicit one wins outright: a base URL flag clears the profile's resource and vice versa,
    where the official SDK would fail on an explicit base URL next to an exported resource.
    """
    if resource is None and base_url is None:
        resource, base_url = profile.resource, profile.base_url
    resource, base_url = resolve_endpoint(resource, base_url)
    updated = replace(profile, resource=resource, base_url=base_url)
    updated.validate()
    return updated


def _variable(environ: Mapping[str, str], name: str) -> str | None:
    """A variable's value; empty counts as unset, as it does for most shells' users."""
    return environ.get(name, "").strip() or None
