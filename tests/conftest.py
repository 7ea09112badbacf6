import os
from pathlib import Path

import memory_keyring
import pytest

from foundry_tui.config.secrets import reset_keyring_probe

TESTS_DIR = Path(__file__).parent
FOUNDRY_VARIABLES = (
    "ANTHROPIC_FOUNDRY_API_KEY",
    "ANTHROPIC_FOUNDRY_RESOURCE",
    "ANTHROPIC_FOUNDRY_BASE_URL",
    "FOUNDRY_TUI_DEPLOYMENT",
)


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


@pytest.fixture(scope="session")
def emulator():
    """One built-in Foundry emulator on a real loopback port, as fast as it can stream."""
    from foundry_tui.emulator import EmulatorConfig, EmulatorThread

    server = EmulatorThread(EmulatorConfig(port=0, pace=0))
    server.start()
    yield server
    server.stop()
