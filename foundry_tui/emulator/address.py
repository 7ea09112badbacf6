"""Where the emulator answers and what it calls its resource, in a module that loads nothing else:
the demo names them before it loads the emulator, which starts after the app's first frame."""

API_PREFIX = "/anthropic/"  # Foundry's path; `EmulatorConfig.path_prefix` can play a gateway in front of it
ARM_PREFIX = "/arm"
EMULATOR_RESOURCE = "emulator-foundry"


def root_url(host: str, port: int) -> str:
    """`http://host:port`, without a path (an IPv6 host in brackets)."""
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"
