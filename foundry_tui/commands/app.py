"""Open the Textual app: the only command that imports Textual."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from foundry_tui.config.file import load_config
from foundry_tui.config.profile import ConfigError
from foundry_tui.config.secrets import Secrets

if TYPE_CHECKING:
    from foundry_tui.ui.app import FoundryApp


def run(args: argparse.Namespace) -> int:
    if args.demo:
        return _run_demo(args)
    from foundry_tui.ui.app import FoundryApp

    config = load_config()
    try:
        profile = config.select(args.profile, os.environ)
    except ConfigError:
        if args.profile:
            raise
        profile = None  # first run: the app opens the profile setup
    if profile is not None and args.deployment and args.deployment not in profile.deployments:
        profile.deployments.append(args.deployment)
    return exit_status(FoundryApp(config=config, secrets=Secrets(), profile=profile, deployment=args.deployment))


def _run_demo(args: argparse.Namespace) -> int:
    from foundry_tui.demo import start_demo
    from foundry_tui.ui.app import FoundryApp

    demo = start_demo(azure=True, serve=False)  # the emulator loads after the first frame
    try:
        return exit_status(
            FoundryApp(
                config=demo.config, secrets=demo.secrets, profile=demo.profile, deployment=args.deployment,
                persist=False, start_backend=demo.serve,
            )  # fmt: skip
        )
    finally:
        demo.stop()


def exit_status(app: FoundryApp) -> int:
    """Run the app; its return code is non-zero after an unhandled error (1) or a signal (128 + n)."""
    app.run()
    return app.return_code or 0
