"""The headless commands behind `foundry-tui`'s subcommands; each exposes `run(args) -> int`."""
