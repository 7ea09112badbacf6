import os
import stat
import subprocess
import sys
import threading
import time
import tomllib

import keyring
import pytest
from helpers import write_config
from keyring.backend import KeyringBackend
from keyring.errors import InitError, KeyringLocked, PasswordSetError
from memory_keyring import MemoryKeyring
from secretstorage.exceptions import SecretServiceNotAvailableException

from foundry_tui.config.file import Config
from foundry_tui.config.profile import ConfigError, Profile
from foundry_tui.config.secrets import (
    SERVICE,
    KeySource,
    Secrets,
    plaintext_key_file,
    probe_keyring,
    reset_keyring_probe,
)

KEY = "sk-test-0123456789abcdef"
MEMORY_DETAIL_END = "; the key is held in memory for this session only"


class RaisingKeyring(KeyringBackend):
    """Raises `error` on every call, counting the calls."""

    priority = 0.1

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error
        self.calls = 0

    def get_password(self, service, username):
        self.calls += 1
        raise self.error

    set_password = delete_password = get_password


class HangingKeyring(KeyringBackend):
    """Blocks like a keyring waiting for an unlock prompt, until the test releases it."""

    priority = 0.1

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service, username):
        self.release.wait(10)

    set_password = delete_password = get_password


class ReadOnlyKeyring(MemoryKeyring):
    """Answers lookups but refuses to store, like a keyring that locked after the probe."""

    priority = 0.1

    def set_password(self, service, username, password):
        raise PasswordSetError("refused")


class UndeletableKeyring(MemoryKeyring):
    priority = 0.1

    def delete_password(self, service, username):
        raise KeyringLocked("locked")


@pytest.fixture
def hanging_keyring():
    backend = HangingKeyring()
    keyring.set_keyring(backend)
    yield backend
    backend.release.set()


def files_containing(root, text: str) -> list:
    return [path for path in root.rglob("*") if path.is_file() and text.encode() in path.read_bytes()]


# --- a working keyring ------------------------------------------------------------------------


def test_memory_backend_is_used_via_environment():
    status = probe_keyring()
    assert status.available and status.reason is None
    assert status.backend == "memory keyring MemoryKeyring"


def test_key_round_trip_through_the_keyring():
    secrets = Secrets(environ={})
    source = secrets.set_api_key("work", f"  {KEY}\n")
    assert source == KeySource("keyring", "saved in the system keyring (memory keyring MemoryKeyring)")
    assert MemoryKeyring.store == {(SERVICE, "work"): KEY}
    assert Secrets(environ={}).get_api_key("work") == (KEY, source)
    secrets.delete_api_key("work")
    assert MemoryKeyring.store == {}
    assert secrets.get_api_key("work") is None


def test_delete_of_a_missing_key_is_fine():
    Secrets().delete_api_key("never-set")


def test_probe_is_cached_per_process():
    backend = RaisingKeyring(KeyringLocked("locked"))
    keyring.set_keyring(backend)
    assert not probe_keyring().available
    assert not probe_keyring().available
    assert backend.calls == 1


# --- no usable keyring ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        ("keyring.backends.fail.Keyring", "no keyring backend (common over SSH)"),
        ("keyring.backends.null.Keyring", "keyring is disabled (null backend)"),
    ],
)
def test_stub_backends_fall_back_to_memory(monkeypatch, backend, reason):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    reset_keyring_probe()
    secrets = Secrets(environ={})
    assert secrets.keyring_status().available is False
    assert secrets.keyring_status().reason == reason
    source = secrets.set_api_key("work", KEY)
    assert source == KeySource("memory", reason + MEMORY_DETAIL_END)
    assert secrets.get_api_key("work") == (KEY, KeySource("memory", "held in memory for this session only"))
    assert Secrets(environ={}).get_api_key("work") is None  # gone with the session


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (KeyringLocked("Failed to unlock the collection!"), "keyring is locked"),
        (InitError("Failed to create the collection"), "keyring failed (InitError)"),
        (ValueError("weird"), "keyring failed (ValueError)"),
    ],
)
def test_failing_backends_are_unavailable(error, reason):
    keyring.set_keyring(RaisingKeyring(error))
    status = probe_keyring()
    assert (status.available, status.backend, status.reason) == (False, "test secrets RaisingKeyring", reason)


def test_dbus_errors_are_recognised_even_when_wrapped():
    try:
        try:
            raise SecretServiceNotAvailableException("Could not connect")
        except SecretServiceNotAvailableException as cause:
            raise InitError("Failed to create the collection") from cause
    except InitError as wrapped:
        keyring.set_keyring(RaisingKeyring(wrapped))
    assert probe_keyring().reason == "D-Bus is not reachable"


def test_hanging_keyring_times_out(hanging_keyring):
    started = time.monotonic()
    secrets = Secrets(environ={}, keyring_timeout=0.1)
    status = secrets.keyring_status()
    assert time.monotonic() - started < 1
    assert (status.available, status.reason) == (False, "keyring did not answer within 0.1 s")
    assert secrets.set_api_key("work", KEY).detail.startswith("keyring did not answer within 0.1 s; ")
    assert time.monotonic() - started < 1


def test_keyring_that_refuses_to_store_falls_back_to_memory():
    keyring.set_keyring(ReadOnlyKeyring())
    secrets = Secrets(environ={})
    source = secrets.set_api_key("work", KEY)
    assert source == KeySource("memory", "keyring failed (PasswordSetError)" + MEMORY_DETAIL_END)


def test_delete_reports_a_keyring_that_fails():
    keyring.set_keyring(UndeletableKeyring())
    with pytest.raises(ConfigError) as caught:
        Secrets().delete_api_key("work")
    assert str(caught.value) == "could not remove the key from the system keyring: keyring is locked"


# --- plaintext file opt-in --------------------------------------------------------------------


def test_plaintext_file_only_on_request_and_private(no_keyring, foundry_home):
    source = Secrets(environ={}).set_api_key("work", KEY, insecure_plaintext_file=True)
    path = foundry_home / "data" / "insecure-keys.toml"
    assert path == plaintext_key_file()
    assert source.where == "plaintext-file"
    assert source.detail == (
        f"WARNING: no keyring backend (common over SSH), so the key was saved UNENCRYPTED in {path}; "
        "anyone who can read that file can use it"
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("# foundry-tui API keys, stored UNENCRYPTED")
    assert tomllib.loads(path.read_text()) == {"work": KEY}

    found = Secrets(environ={}).get_api_key("work")
    assert found == (KEY, KeySource("plaintext-file", f"read from {path}, which stores keys UNENCRYPTED"))

    Secrets(environ={}).delete_api_key("work")
    assert not path.exists()


def test_plaintext_request_is_ignored_when_the_keyring_works(foundry_home):
    source = Secrets(environ={}).set_api_key("work", KEY, insecure_plaintext_file=True)
    assert source.where == "keyring"
    assert files_containing(foundry_home.parent, KEY) == []


def test_saving_to_the_keyring_removes_an_old_plaintext_copy(no_keyring, monkeypatch):
    Secrets().set_api_key("work", "old-key", insecure_plaintext_file=True)
    Secrets().set_api_key("home", "home-key", insecure_plaintext_file=True)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "memory_keyring.MemoryKeyring")
    reset_keyring_probe()
    Secrets(environ={}).set_api_key("work", KEY)
    assert tomllib.loads(plaintext_key_file().read_text()) == {"home": "home-key"}
    assert Secrets(environ={}).get_api_key("work")[0] == KEY


@pytest.mark.parametrize("backend", ["memory_keyring.MemoryKeyring", "keyring.backends.fail.Keyring"])
def test_no_key_on_disk_without_the_opt_in(monkeypatch, foundry_home, backend):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    reset_keyring_probe()
    secrets = Secrets(environ={})
    secrets.set_api_key("work", KEY)
    write_config(Config(profiles={"work": Profile("work", resource="my-resource")}))
    assert secrets.get_api_key("work")[0] == KEY
    assert foundry_home.exists()
    assert files_containing(foundry_home.parent, KEY) == []


# --- environment and precedence ---------------------------------------------------------------


def test_env_profile_uses_only_the_environment():
    secrets = Secrets(environ={"ANTHROPIC_FOUNDRY_API_KEY": " env-key "})
    secrets.set_api_key("work", KEY)
    assert secrets.get_api_key("env") == ("env-key", KeySource("env", "from ANTHROPIC_FOUNDRY_API_KEY"))
    assert Secrets(environ={}).get_api_key("env") is None


def test_environment_is_the_last_resort_for_other_profiles():
    secrets = Secrets(environ={"ANTHROPIC_FOUNDRY_API_KEY": "env-key"})
    assert secrets.get_api_key("work")[0] == "env-key"
    secrets.set_api_key("work", KEY)
    assert secrets.get_api_key("work")[0] == KEY


def test_session_memory_beats_the_keyring():
    keyring.set_keyring(ReadOnlyKeyring())
    MemoryKeyring.store[(SERVICE, "work")] = "stale-keyring-key"
    secrets = Secrets(environ={})
    secrets.set_api_key("work", KEY)  # the keyring refuses: held in memory
    assert secrets.get_api_key("work")[0] == KEY


def test_setting_a_key_replaces_the_session_copy(no_keyring):
    secrets = Secrets(environ={})
    secrets.set_api_key("work", "old-key")
    secrets.set_api_key("work", KEY, insecure_plaintext_file=True)
    assert secrets.get_api_key("work")[1].where == "plaintext-file"


# --- bad input, and keys never leaking --------------------------------------------------------


@pytest.mark.parametrize("key", ["", "  \n"])
def test_empty_key_is_rejected(key):
    with pytest.raises(ConfigError, match="^the API key is empty$"):
        Secrets().set_api_key("work", key)


@pytest.mark.parametrize(("name", "message"), [("bad name", "invalid profile name"), ("env", "'env' is reserved")])
def test_bad_profile_names_never_echo_the_key(name, message):
    with pytest.raises(ConfigError, match=message) as caught:
        Secrets().set_api_key(name, KEY)
    assert KEY not in f"{caught.value} {caught.value.hint} {caught.value!r}"


def test_reprs_never_show_the_key(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_FOUNDRY_API_KEY", KEY)
    secrets = Secrets()
    sources = [secrets.set_api_key("work", KEY), secrets.get_api_key("env")[1], secrets.keyring_status()]
    for shown in [secrets, *sources]:
        assert KEY not in repr(shown) and KEY not in str(shown)


def test_subprocesses_get_the_memory_keyring(foundry_home):
    code = "from foundry_tui.config.secrets import probe_keyring; print(probe_keyring().backend)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
    assert result.stdout.strip() == "memory keyring MemoryKeyring"
