"""`foundry-tui profile`: manage profiles and API keys without the app (handy over SSH)."""

from __future__ import annotations

import argparse
import getpass
import sys

from foundry_tui.commands.common import secrets
from foundry_tui.commands.output import paint
from foundry_tui.config.file import Config, load_config, save_config
from foundry_tui.config.profile import ConfigError, EntraOptions, Profile, resolve_endpoint, validate_profile_name
from foundry_tui.safetext import terminal_line


def run(args: argparse.Namespace) -> int:
    config = load_config()
    action = args.profile_action
    if action == "list":
        return list_profiles(config)
    if action == "add":
        return add_profile(config, args)
    if action == "set-key":
        return set_key(config, args.name, args.insecure_plaintext_key_file)
    profile = known_profile(config, args.name)
    if action == "remove":
        del config.profiles[profile.name]
        if config.default_profile == profile.name:
            config.default_profile = None
        save_config(config)
        secrets().delete_api_key(profile.name)
        print(f"removed profile '{profile.name}' and its stored key")
    else:  # default
        config.default_profile = profile.name
        save_config(config)
        print(f"'{profile.name}' is now the default profile")
    return 0


def list_profiles(config: Config) -> int:
    if not config.profiles:
        print("no profiles yet: add one with `foundry-tui profile add NAME --resource RESOURCE`")
        return 0
    for profile in config.profiles.values():
        mark = "*" if profile.name == config.default_profile else " "
        deployments = terminal_line(", ".join(profile.deployments) or "no deployments")
        endpoint = terminal_line(profile.endpoint_url())
        print(f"{mark} {terminal_line(profile.name):<16} {profile.auth:<8} {endpoint}  {paint(deployments, '2', sys.stdout)}")
    return 0


def add_profile(config: Config, args: argparse.Namespace) -> int:
    name = validate_profile_name(args.name)
    resource, base_url = resolve_endpoint(args.resource, args.base_url)
    entra = EntraOptions(credential=args.credential, tenant_id=args.tenant)
    if args.scope:
        entra.scope = args.scope
    profile = Profile(
        name=name,
        resource=resource,
        base_url=base_url,
        auth=args.auth,
        entra=entra,
        deployments=list(dict.fromkeys(args.deployment)),
        default_deployment=args.deployment[0] if args.deployment else None,
    )
    profile.validate()
    config.profiles[name] = profile
    if args.default or config.default_profile is None:
        config.default_profile = name
    save_config(config)
    print(f"saved profile '{name}' ({profile.endpoint_url()})")
    if profile.auth == "api-key":
        print(f"next: foundry-tui profile set-key {name}")
    return 0


def set_key(config: Config, name: str, insecure_plaintext_file: bool) -> int:
    profile = known_profile(config, name)
    if sys.stdin.isatty():
        key = getpass.getpass(f"API key for '{profile.name}' (input hidden): ")
    else:
        key = sys.stdin.readline()
    source = secrets().set_api_key(profile.name, key, insecure_plaintext_file=insecure_plaintext_file)
    print(source.detail)
    return 0


def known_profile(config: Config, name: str) -> Profile:
    if name not in config.profiles:
        known = ", ".join(sorted(config.profiles)) or "none"
        raise ConfigError(f"no profile named '{name}' (known: {known})", hint="`foundry-tui profile list` shows them")
    return config.profiles[name]
