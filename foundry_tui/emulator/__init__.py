"""The built-in Foundry emulator: a loopback server speaking Foundry's Anthropic Messages protocol.

The demo backend and the test double for the project. See `server` for endpoints and steering
headers, `faults` for fault injection. Importing the package loads nothing: the demo loads the
server only after the app's first frame.
"""
