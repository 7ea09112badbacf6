"""`foundry-tui --demo`: the app on the built-in emulator, with nothing read or written outside.

The emulator runs on its own thread and event loop, so serving the demo never competes with the
app's event loop; the profile and its key live only in memory. Its socket is bound at once, so
the profile can name it, but the emulator itself can load after the app's first frame (`serve`).
"""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from foundry_tui.config.file import Config
from foundry_tui.config.profile import AzureOptions, Profile
from foundry_tui.config.secrets import Secrets
from foundry_tui.emulator.address import API_PREFIX, ARM_PREFIX, EMULATOR_RESOURCE, root_url

if TYPE_CHECKING:
    from foundry_tui.emulator.server import EmulatorThread

DEMO_PROFILE = "demo"
DEMO_DEPLOYMENTS = ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5", "fault-429", "fault-stream-error"]
HOST = "127.0.0.1"


@dataclass
class Demo:
    config: Config
    secrets: Secrets
    listener: socket.socket
    api_key: str
    pace: float
    emulator: EmulatorThread | None = field(default=None, init=False)

    @property
    def profile(self) -> Profile:
        return self.config.profiles[DEMO_PROFILE]

    def serve(self) -> None:
        """Start the emulator on the demo's socket (once); returns when it serves."""
        if self.emulator is not None:
            return
        from foundry_tui.emulator.server import EmulatorConfig, EmulatorThread

        self.emulator = EmulatorThread(EmulatorConfig(listener=self.listener, pace=self.pace, api_key=self.api_key))
        self.emulator.start()

    def stop(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()  # closes the socket with the server
        else:
            self.listener.close()


def start_demo(pace: float = 400.0, *, azure: bool = False, serve: bool = True) -> Demo:
    """`azure`: point deployment discovery at the emulator's Resource Manager (the picker then lists
    what it finds). `serve=False` leaves starting the emulator to the caller (`Demo.serve`)."""
    listener = socket.create_server((HOST, 0))
    root = root_url(HOST, listener.getsockname()[1])
    profile = Profile(
        name=DEMO_PROFILE,
        base_url=root + API_PREFIX,
        deployments=list(DEMO_DEPLOYMENTS),
        default_deployment=DEMO_DEPLOYMENTS[0],
        azure=AzureOptions(resource=EMULATOR_RESOURCE, endpoint=root + ARM_PREFIX) if azure else AzureOptions(),
    )
    api_key = "emu-" + secrets.token_urlsafe(18)
    demo_secrets = Secrets(environ={})
    demo_secrets.hold_in_memory(DEMO_PROFILE, api_key)
    config = Config(profiles={DEMO_PROFILE: profile}, default_profile=DEMO_PROFILE)
    demo = Demo(config, demo_secrets, listener, api_key, pace)
    if serve:
        demo.serve()
    return demo
