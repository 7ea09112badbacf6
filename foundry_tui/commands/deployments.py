"""`foundry-tui deployments`: the profile's real deployments, read from Azure Resource Manager."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from foundry_tui import exitcodes
from foundry_tui.azure.access import arm_access
from foundry_tui.azure.discovery import Discovery, discover
from foundry_tui.azure.errors import ArmError
from foundry_tui.commands.common import secrets, selected_profile, show_device_code
from foundry_tui.commands.output import paint, print_problem, print_table
from foundry_tui.config.book import ProfileBook
from foundry_tui.config.profile import ConfigError, Profile
from foundry_tui.safetext import terminal_line


def run(args: argparse.Namespace) -> int:
    logging.getLogger("azure").addHandler(logging.NullHandler())  # azure-identity's many-line warnings: the error says it
    profile = selected_profile(args)
    access = arm_access(profile, os.environ, on_device_code=show_device_code)
    print(f"Resource Manager {access.endpoint} with {access.credential_note}", file=sys.stderr)
    try:
        found = discover(profile, access, all_formats=args.all_formats)
    except ArmError as error:
        print_problem(error)
        return exitcodes.for_error_kind(error.kind)
    if found.searched:
        pin_location(profile, found)
    if args.json:
        print(json.dumps([deployment.to_json() for deployment in found.deployments], indent=2))
    else:
        print_report(found)
    return exitcodes.OK


def print_report(found: Discovery) -> None:
    resource = found.resource
    where = f"{resource.name} ({resource.location}, resource group {resource.resource_group}, subscription {resource.subscription})"
    print(f"{paint('resource', '2', sys.stdout)} {terminal_line(where)}")
    if not found.deployments:
        print("no Claude deployments (--all-formats lists the others)")
        return
    rows = [
        [terminal_line(str(value)) for value in (d.name, d.model, d.version, d.sku, "" if d.capacity is None else d.capacity, d.state)]
        for d in found.deployments
    ]
    print_table(("NAME", "MODEL", "VERSION", "SKU", "CAPACITY", "STATE"), rows, right={4})


def pin_location(profile: Profile, found: Discovery) -> None:
    """Remember the subscription and resource group so the next run skips the search.

    Profiles not in the config file (env, --resource) are not pinned.
    """
    try:
        book = ProfileBook(secrets())
        if profile.name not in book.load().profiles:
            return
        book.pin_azure(profile.name, found.resource.subscription, found.resource.resource_group)
    except (ConfigError, OSError) as error:
        print(f"note: could not pin the subscription in the profile: {error}", file=sys.stderr)
