"""What `check` and `ask` share: choosing the profile, deployment and client from the flags."""

from __future__ import annotations

import argparse
import os
import sys

from foundry_tui.config.env import with_endpoint
from foundry_tui.config.file import load_config
from foundry_tui.config.profile import ENV_PROFILE_NAME, GUIDE_DEPLOYMENTS, ConfigError, Profile
from foundry_tui.config.secrets import Secrets
from foundry_tui.safetext import terminal_line
from foundry_tui.service.auth import DeviceCodePrompt


def selected_profile(args: argparse.Namespace) -> Profile:
    """--profile, else the default profile, else the env profile; --resource/--base-url win over both."""
    try:
        profile = load_config().select(args.profile, os.environ)
    except ConfigError:
        if args.profile or not (args.resource or args.base_url):
            raise
        # An explicit endpoint plus ANTHROPIC_FOUNDRY_API_KEY needs no config file at all.
        profile = Profile(name=ENV_PROFILE_NAME, deployments=list(GUIDE_DEPLOYMENTS), default_deployment="claude-sonnet-4-5")
    if args.resource or args.base_url:
        profile = with_endpoint(profile, resource=args.resource, base_url=args.base_url)
    return profile


def selected_deployment(args: argparse.Namespace, profile: Profile) -> str:
    deployment = args.deployment or profile.deployment()
    if not deployment:
        raise ConfigError(
            f"profile '{profile.name}' has no deployment",
            hint="pass --deployment NAME (the deployment name from the Foundry portal)",
        )
    return deployment


def show_device_code(prompt: DeviceCodePrompt) -> None:
    """Device-code sign-in over SSH: the URL and code go to stderr so stdout stays clean."""
    minutes = max(1, round(prompt.seconds_left() / 60))
    print(
        f"To sign in, open {terminal_line(prompt.verification_uri)} and enter the code {terminal_line(prompt.user_code)} "
        f"(expires in {minutes} min).{' ' + prompt.kept if prompt.kept else ''}",
        file=sys.stderr,
        flush=True,
    )


def secrets() -> Secrets:
    return Secrets(environ=os.environ)
