"""API keys: in the OS keyring when there is one, otherwise in memory for the session.

Over SSH or in containers there is often no keyring, or one that hangs waiting for an unlock
prompt or a D-Bus that never answers; so every keyring call runs in a daemon thread with a time
limit, and an unusable keyring degrades to a session-only key instead of an error. Writing keys to
disk in plaintext happens only when the user chooses it (the setup screen's choice, or
--insecure-plaintext-key-file / a yes to `profile set-key`): a file only its owner can read.

Keys never appear in messages, reprs or any file other than that opt-in one.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from .env import API_KEY_VAR, env_api_key
from .file import read_toml, write_toml
from .paths import data_dir
from .profile import ENV_PROFILE_NAME, ConfigError, validate_profile_name

SERVICE = "foundry-tui"  # keyring service name; the username is the profile name
PLAINTEXT_FILE_NAME = "insecure-keys.toml"
_PROBE_USERNAME = "probe"
_NO_BACKEND = "no keyring backend (common over SSH)"
_PLAINTEXT_HEADER = """\
# foundry-tui API keys, stored UNENCRYPTED because there was no keyring and you chose this file.
# Anyone who can read this file can use these keys. Prefer the system keyring or
# ANTHROPIC_FOUNDRY_API_KEY, and delete this file when you can.
"""

T = TypeVar("T")


@dataclass(frozen=True)
class KeyringStatus:
    available: bool
    backend: str
    reason: str | None = None  # one line for the user when unavailable


@dataclass(frozen=True)
class KeySource:
    """Where a key came from or went to, with a sentence to show the user."""

    where: Literal["keyring", "env", "memory", "plaintext-file"]
    detail: str


@dataclass(frozen=True)
class _Probe:
    status: KeyringStatus
    backend: Any  # the keyring backend to use, None when unavailable


_probe: _Probe | None = None
_probe_lock = threading.Lock()


class _KeyringFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def probe_keyring(timeout: float = 2.0) -> KeyringStatus:
    """Whether the keyring works, checked once per process with a harmless lookup."""
    return _probed(timeout).status


def reset_keyring_probe() -> None:
    """Forget the probe, and let keyring pick its backend again (tests switch PYTHON_KEYRING_BACKEND)."""
    global _probe
    with _probe_lock:
        _probe = None
        if "keyring" in sys.modules:  # else keyring has not picked a backend yet
            import keyring.core

            keyring.core.init_backend()


def plaintext_key_file() -> Path:
    return data_dir() / PLAINTEXT_FILE_NAME


def clean_api_key(key: str) -> str:
    key = key.strip()
    if not key:
        raise ConfigError("the API key is empty")
    return key


class Secrets:
    """Finds and stores API keys per profile; the env profile always uses ANTHROPIC_FOUNDRY_API_KEY."""

    def __init__(self, *, environ: Mapping[str, str] = os.environ, keyring_timeout: float = 2.0) -> None:
        self._environ = environ
        self._timeout = keyring_timeout
        self._memory: dict[str, str] = {}

    def keyring_status(self) -> KeyringStatus:
        return probe_keyring(self._timeout)

    def get_api_key(self, profile_name: str) -> tuple[str, KeySource] | None:
        """The key and where it came from: session memory, keyring, plaintext file, then the environment."""
        if profile_name == ENV_PROFILE_NAME:
            return self._from_env()
        for lookup in (self._from_memory, self._from_keyring, _from_plaintext_file):
            found = lookup(profile_name)
            if found is not None:
                return found
        return self._from_env()

    def set_api_key(self, profile_name: str, key: str, *, insecure_plaintext_file: bool = False) -> KeySource:
        """Store in the keyring; without one, in the plaintext file if asked to, else in memory for this session.

        Copies of an older key elsewhere are dropped so they cannot shadow or outlive the new one.
        """
        validate_profile_name(profile_name)
        key = clean_api_key(key)
        self._memory.pop(profile_name, None)
        status = self.keyring_status()
        reason = status.reason
        if status.available:
            try:
                self._keyring_call(lambda backend: backend.set_password(SERVICE, profile_name, key))
            except _KeyringFailed as failure:
                reason = failure.reason
            else:
                _forget_plaintext_key(profile_name)
                return KeySource("keyring", f"saved in the system keyring ({status.backend})")
        if insecure_plaintext_file:
            path = _save_plaintext_key(profile_name, key)
            return KeySource(
                "plaintext-file",
                f"WARNING: {reason}, so the key was saved UNENCRYPTED in {path}; "
                "anyone who can read that file can use it",
            )
        _forget_plaintext_key(profile_name)
        self._memory[profile_name] = key
        return KeySource("memory", f"{reason}; the key is held in memory for this session only")

    def hold_in_memory(self, profile_name: str, key: str) -> KeySource:
        """Keep a key for this session only, touching no keyring or file (the demo, or by choice)."""
        self._memory[profile_name] = clean_api_key(key)
        return KeySource("memory", "held in memory for this session only")

    def delete_api_key(self, profile_name: str) -> None:
        """Remove the key from memory, the keyring and the plaintext file; a missing key is fine."""
        self._memory.pop(profile_name, None)
        if self.keyring_status().available:
            try:
                self._keyring_call(lambda backend: _delete_password(backend, profile_name))
            except _KeyringFailed as failure:
                raise ConfigError(f"could not remove the key from the system keyring: {failure.reason}") from None
        _forget_plaintext_key(profile_name)

    def _from_env(self) -> tuple[str, KeySource] | None:
        key = env_api_key(self._environ)
        return (key, KeySource("env", f"from {API_KEY_VAR}")) if key else None

    def _from_memory(self, profile_name: str) -> tuple[str, KeySource] | None:
        key = self._memory.get(profile_name)
        return (key, KeySource("memory", "held in memory for this session only")) if key else None

    def _from_keyring(self, profile_name: str) -> tuple[str, KeySource] | None:
        status = self.keyring_status()
        if not status.available:
            return None
        try:
            key = self._keyring_call(lambda backend: backend.get_password(SERVICE, profile_name))
        except _KeyringFailed:
            return None  # the keyring went away since the probe: look elsewhere
        return (key, KeySource("keyring", f"saved in the system keyring ({status.backend})")) if key else None

    def _keyring_call(self, operation: Callable[[Any], T]) -> T:
        backend = _probed(self._timeout).backend
        try:
            return with_timeout(lambda: operation(backend), self._timeout)
        except Exception as error:
            raise _KeyringFailed(_unavailable_reason(error, self._timeout)) from None


def _probed(timeout: float) -> _Probe:
    global _probe
    with _probe_lock:
        if _probe is None:
            _probe = _probe_now(timeout)
        return _probe


def _probe_now(timeout: float) -> _Probe:
    identified: list[str] = []  # filled in before the lookup that may hang, so a timeout still names the backend

    def check() -> tuple[Any, str | None]:
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
        identified.append(_backend_name(backend))
        if isinstance(backend, fail.Keyring):
            return backend, _NO_BACKEND
        if isinstance(backend, null.Keyring):
            return backend, "keyring is disabled (null backend)"
        backend.get_password(SERVICE, _PROBE_USERNAME)
        return backend, None

    try:
        backend, reason = with_timeout(check, timeout)
    except Exception as error:
        backend, reason = None, _unavailable_reason(error, timeout)
    name = identified[0] if identified else "unknown"
    if reason is not None:
        return _Probe(KeyringStatus(False, name, reason), None)
    return _Probe(KeyringStatus(True, name), backend)


def with_timeout(function: Callable[[], T], timeout: float) -> T:
    """Run `function` in a daemon thread (which cannot keep the app from exiting) and wait at most `timeout` s.

    Raises TimeoutError when it did not finish; for anything that may wait on D-Bus or an unlock prompt."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = function()
        except BaseException as error:  # handed to the waiting thread
            outcome["error"] = error

    thread = threading.Thread(target=run, name="foundry-tui-keyring", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


def _unavailable_reason(error: BaseException, timeout: float) -> str:
    """One line for the user; never the exception's text, which is the backend's to word."""
    from keyring.errors import KeyringLocked, NoKeyringError

    if isinstance(error, TimeoutError):
        return f"keyring did not answer within {timeout:g} s"
    if isinstance(error, NoKeyringError):
        return _NO_BACKEND
    if isinstance(error, KeyringLocked):
        return "keyring is locked"
    if _is_dbus_error(error):
        return "D-Bus is not reachable"
    return f"keyring failed ({type(error).__name__})"


def _is_dbus_error(error: BaseException | None) -> bool:
    """Whether D-Bus or the Secret Service is behind `error` (keyring often wraps their exceptions)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        package = type(error).__module__.split(".")[0]
        text = str(error).lower()
        if package in ("secretstorage", "jeepney", "dbus") or "d-bus" in text or "dbus" in text:
            return True
        error = error.__cause__ or error.__context__
    return False


def _backend_name(backend: Any) -> str:
    """"SecretService", "macOS", "Windows WinVaultKeyring"; a chainer names the backends it chains."""
    from keyring.backends.chainer import ChainerBackend

    backends = backend.backends if isinstance(backend, ChainerBackend) else [backend]
    return ", ".join(item.name.removesuffix(" Keyring") for item in backends)


def _delete_password(backend: Any, profile_name: str) -> None:
    from keyring.errors import PasswordDeleteError

    try:
        backend.delete_password(SERVICE, profile_name)
    except PasswordDeleteError:
        pass  # nothing stored: nothing to remove


def _from_plaintext_file(profile_name: str) -> tuple[str, KeySource] | None:
    key = _plaintext_keys().get(profile_name)
    if not key:
        return None
    return key, KeySource("plaintext-file", f"read from {plaintext_key_file()}, which stores keys UNENCRYPTED")


def _plaintext_keys() -> dict[str, str]:
    data = read_toml(plaintext_key_file()) or {}
    return {name: key.strip() for name, key in data.items() if isinstance(key, str)}


def _save_plaintext_key(profile_name: str, key: str) -> Path:
    keys = _plaintext_keys()
    keys[profile_name] = key
    write_toml(plaintext_key_file(), keys, header=_PLAINTEXT_HEADER)
    return plaintext_key_file()


def _forget_plaintext_key(profile_name: str) -> None:
    keys = _plaintext_keys()
    if profile_name not in keys:
        return
    del keys[profile_name]
    if keys:
        write_toml(plaintext_key_file(), keys, header=_PLAINTEXT_HEADER)
    else:
        plaintext_key_file().unlink(missing_ok=True)
