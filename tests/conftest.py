import gc
import os
from collections.abc import Iterator
from pathlib import Path

import memory_keyring
import pytest
from helpers import write_config

from foundry_tui.config.file import Config
from foundry_tui.config.profile import Profile
from foundry_tui.config.secrets import Secrets, reset_keyring_probe
from foundry_tui.demo import start_demo
from foundry_tui.ui.app import FoundryApp

TESTS_DIR = Path(__file__).parent
FOUNDRY_VARIABLES = (
    "ANTHROPIC_FOUNDRY_API_KEY",
    "ANTHROPIC_FOUNDRY_RESOURCE",
    "ANTHROPIC_FOUNDRY_BASE_URL",
    "FOUNDRY_TUI_DEPLOYMENT",
)


@pytest.fixture(autouse=True)
def collected_and_frozen_after_each_test() -> Iterator[None]:
    """What a test leaves is collected and the rest frozen, as the app does at start-up
    (`foundry_tui.ui.heap`): after a test that gave the heap back to the collector (a new chat), the
    next test's full collections would otherwise walk everything this run has built (~0.4 s)."""
    yield
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def foundry_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Isolate every test (and its subprocesses): its own FOUNDRY_TUI_HOME, an empty in-memory
    keyring, no Foundry variables from the developer's shell. Returns the FOUNDRY_TUI_HOME dir."""
    home = tmp_path / "foundry-home"
    monkeypatch.setenv("FOUNDRY_TUI_HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "memory_keyring.MemoryKeyring")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH")])))
    for name in FOUNDRY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    memory_keyring.MemoryKeyring.store.clear()
    reset_keyring_probe()
    return home


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """No keyring backend at all, as is common over SSH; what the keyring can do is probed again."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    reset_keyring_probe()


@pytest.fixture(scope="session")
def emulator():
    """One built-in Foundry emulator on a real loopback port, as fast as it can stream."""
    from foundry_tui.emulator.server import EmulatorConfig, EmulatorThread

    server = EmulatorThread(EmulatorConfig(port=0, pace=0))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def emulator_process():
    """An emulator in its own process (`foundry-tui emulator`), for faults whose payloads weigh tens of
    megabytes: kept out of the test process, they cannot raise the RSS that later subprocesses inherit."""
    import subprocess
    import sys
    import tempfile
    from types import SimpleNamespace

    log = tempfile.TemporaryFile(mode="w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "foundry_tui", "emulator", "--port", "0", "--pace", "0"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert server.stdout is not None
    url = server.stdout.readline().rsplit(" ", 1)[-1].strip()
    key = server.stdout.readline().rsplit(" ", 1)[-1].strip()

    def logged() -> str:
        log.seek(0)
        return log.read()

    yield SimpleNamespace(base_url=url, api_key=key, logged=logged)
    server.terminate()
    server.wait(timeout=10)
    server.stdout.close()
    assert logged() == "", "the emulator must stay quiet"
    log.close()


@pytest.fixture
def env_for(emulator):
    """Environment variables alone, no config file: what a script over SSH has."""
    return {"ANTHROPIC_FOUNDRY_API_KEY": emulator.api_key, "ANTHROPIC_FOUNDRY_BASE_URL": emulator.base_url}


@pytest.fixture
def make_app(emulator):
    """A real app on the real data dir (FOUNDRY_TUI_HOME is a temporary folder per test)."""

    def make(server=emulator) -> FoundryApp:
        profile = Profile(name="work", base_url=server.base_url, deployments=["claude-sonnet-4-5"])
        secrets = Secrets(environ={})
        secrets.hold_in_memory("work", server.api_key)
        config = Config(profiles={"work": profile}, default_profile="work")
        write_config(config)
        return FoundryApp(config=config, secrets=secrets, profile=profile)

    return make



@pytest.fixture
def demo_app():
    apps = []

    def make(pace: float = 0, deployment: str | None = None) -> FoundryApp:
        demo = start_demo(pace=pace)
        apps.append(demo)
        return FoundryApp(config=demo.config, secrets=demo.secrets, profile=demo.profile, deployment=deployment, persist=False)

    yield make
    for demo in apps:
        demo.stop()
