"""`foundry-tui --demo`: the app on the built-in emulator, with nothing read or written outside.

The emulator runs on its own thread and event loop, so serving the demo never competes with the
app's event loop; the profile and its key live only in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from foundry_tui.config.file import Config
from foundry_tui.config.profile import AzureOptions, Profile
from foundry_tui.config.secrets import Secrets
from foundry_tui.emulator import EmulatorConfig, EmulatorThread
from foundry_tui.emulator.arm import EMULATOR_RESOURCE

DEMO_PROFILE = "demo"
DEMO_DEPLOYMENTS = ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5", "fault-429", "fault-stream-error"]


@dataclass
class Demo:
    emulator: EmulatorThread
    config: Config
    secrets: Secrets

    @property
    def profile(self) -> Profile:
        return self.config.profiles[DEMO_PROFILE]

    def stop(self) -> None:
        self.emulator.stop()


def start_demo(pace: float = 400.0, *, azure: bool = False) -> Demo:
    """`azure`: point deployment discovery at the emulator's Resource Manager (the picker then lists what it finds)."""
    emulator = EmulatorThread(EmulatorConfig(port=0, pace=pace))
    emulator.start()
    profile = Profile(
        name=DEMO_PROFILE,
        base_url=emulator.base_url,
        deployments=list(DEMO_DEPLOYMENTS),
        default_deployment=DEMO_DEPLOYMENTS[0],
        azure=AzureOptions(resource=EMULATOR_RESOURCE, endpoint=emulator.arm_url) if azure else AzureOptions(),
    )
    secrets = Secrets(environ={})
    secrets.hold_in_memory(DEMO_PROFILE, emulator.api_key)
    return Demo(emulator, Config(profiles={DEMO_PROFILE: profile}, default_profile=DEMO_PROFILE), secrets)
