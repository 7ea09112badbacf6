"""The built-in Foundry emulator: a loopback server speaking Foundry's Anthropic Messages protocol.

The demo backend and the test double for the project. See `server` for endpoints and steering
headers, `faults` for fault injection.
"""

from .faults import FAULT_NAMES
from .server import DEFAULT_DEPLOYMENTS, Emulator, EmulatorConfig, EmulatorThread, serve_forever

__all__ = ["DEFAULT_DEPLOYMENTS", "FAULT_NAMES", "Emulator", "EmulatorConfig", "EmulatorThread", "serve_forever"]
