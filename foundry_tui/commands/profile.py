"""`foundry-tui profile`: manage profiles and API keys without the app (handy over SSH).

Every change goes through ProfileBook, with the app's rules and messages.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from foundry_tui.commands.common import secrets
from foundry_tui.commands.output import paint
from foundry_tui.config.book import ProfileBook, known_profile
from foundry_tui.config.env import API_KEY_VAR
from foundry_tui.config.file import Config
from foundry_tui.config.profile import ConfigError, EntraOptions, Profile, resolve_endpoint, validate_profile_name
from foundry_tui.config.secrets import plaintext_key_file
from foundry_tui.safetext import terminal_line


def run(args: argparse.Namespace) -> int:
    book = ProfileBook(secrets())
    action = args.profile_action
    if action == "list":
        return list_profiles(book.load())
    if action == "add":
        return add_profile(book, args)
    if action == "set-key":
        return set_key(book, args.name, args.insecure_plaintext_key_file)
    if action == "remove":
        config, key_problem = book.remove(args.name)
        if key_problem:
            print(f"removed profile '{args.name}', but {key_problem}", file=sys.stderr)
            return 1
        print(f"removed profile '{args.name}' and its stored key")
        if config.default_profile:
            print(f"'{config.default_profile}' is now the default profile")
    else:  # default
        book.set_default(args.name)
        print(f"'{args.name}' is now the default profile")
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


def add_profile(book: ProfileBook, args: argparse.Namespace) -> int:
    name = validate_profile_name(args.name)
    resource, base_url = resolve_endpoint(args.resource, args.base_url)
    entra = EntraOptions(
        credential=args.credential, tenant_id=args.tenant, unencrypted_token_cache=args.unencrypted_token_cache
    )
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
    book.add(profile, make_default=args.default)
    print(f"saved profile '{name}' ({profile.endpoint_url()})")
    if profile.auth == "api-key":
        print(f"next: foundry-tui profile set-key {name}")
    return 0


def set_key(book: ProfileBook, name: str, insecure_plaintext_file: bool) -> int:
    """Store the key; without a keyring, offer the owner-only file (as gh does), before asking for the key.

    This session only means the shell's: a key held in this process would die with it, and exiting
    0 would say it was kept. So the other choice is the environment variable.
    """
    profile = known_profile(book.load(), name)
    status = book.secrets.keyring_status()
    if not status.available and not insecure_plaintext_file:
        reason = status.reason or "no usable keyring"
        session_only = f"export {API_KEY_VAR} in your shell (this session only)"
        if not (sys.stdin.isatty() and _agrees_to_key_file(reason, session_only)):
            raise ConfigError(
                f"cannot store the key: {reason}",
                hint=f"{session_only}, or re-run with --insecure-plaintext-key-file "
                "to keep it in a file only you can read (unencrypted)",
            )
        insecure_plaintext_file = True
    if sys.stdin.isatty():
        key = getpass.getpass(f"API key for '{profile.name}' (input hidden): ")
    else:
        key = sys.stdin.readline()
    source = book.secrets.set_api_key(profile.name, key, insecure_plaintext_file=insecure_plaintext_file)
    print(source.detail)
    return 0


def _agrees_to_key_file(reason: str, session_only: str) -> bool:
    """Ask on the terminal; anything but yes keeps the key off the disk."""
    print(
        f"There is no keyring to keep the key in ({reason}). You can:\n"
        f"  - {session_only}, or\n"
        f"  - keep it UNENCRYPTED in {plaintext_key_file()}, a file only you can read.",
        file=sys.stderr,
    )
    try:
        answer = input("Keep it in that file? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")
