"""`foundry-tui emulator`: serve the built-in Foundry emulator until Ctrl-C."""

from __future__ import annotations

import argparse

from foundry_tui.emulator.server import EmulatorConfig, serve_forever


def run(args: argparse.Namespace) -> int:
    config = EmulatorConfig(host=args.host, port=args.port, pace=args.pace)
    if args.api_key:
        config.api_key = args.api_key
    return serve_forever(config)
