"""ProfileBook: the one writer of the config file, for the app and the CLI alike.

Every operation re-reads the file under a lock, applies one change to the parsed document and
writes it back atomically (0600), so a change made meanwhile by another process (`foundry-tui
profile add` while the app is open) is kept, and so are hand-written comments, unknown keys and
the key order (tomlkit). An operation that also moves or stores an API key undoes that key change
when the file cannot be written. Operations return the new Config: callers refresh their view
from it and never change a shared Profile before the save succeeded.

A book without a path (the demo) keeps its document in memory and its keys in the session.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Table
from tomlkit.toml_document import TOMLDocument

from .file import Config, config_from_toml, config_to_toml, parse_toml, profile_to_toml, read_text, write_text
from .paths import config_file, make_private_dirs
from .profile import ConfigError, Profile, validate_profile_name
from .secrets import KeySource, Secrets

_LIST_HINT = "`foundry-tui profile list` shows them"


@dataclass(frozen=True)
class Saved:
    """What saving a profile did: the new config, and where the profile's API key is now."""

    config: Config
    key_source: KeySource | None  # None: no key stored (and none in the environment)
    key_problem: str | None = None  # the profile is saved, but its key could not be stored, moved or removed


class ProfileBook:
    """Reads and changes the config file; `path=None` keeps everything in memory (the demo)."""

    def __init__(self, secrets: Secrets, path: Path | None = None, *, memory: Config | None = None) -> None:
        self.secrets = secrets
        self._path = path
        self._in_memory = memory is not None
        self._memory = tomlkit.dumps(config_to_toml(memory)) if memory is not None else ""

    @property
    def path(self) -> Path | None:
        """The file, looked up on every use (like config_file()); None for a book in memory."""
        return None if self._in_memory else self._path or config_file()

    @classmethod
    def in_memory(cls, secrets: Secrets, config: Config) -> ProfileBook:
        return cls(secrets, memory=config)

    @property
    def persistent(self) -> bool:
        return self.path is not None

    def load(self) -> Config:
        """The config as the file says now."""
        return self._parse(self._read())[1]

    # -- operations --------------------------------------------------------------------------------

    def add(self, profile: Profile, *, make_default: bool = False, api_key: str = "", key_in_file: bool = False) -> Saved:
        """A new profile; it becomes the default when asked to or when there is none.

        A typed `api_key` is stored first and removed again if the file cannot be written; without
        a keyring it goes to the owner-only key file if `key_in_file`, else it lasts the session.
        """
        validate_profile_name(profile.name)
        key_source, undo_key, finish_key = self._prepare_key(profile.name, profile.name, api_key, key_in_file)

        def change(document: TOMLDocument, config: Config) -> None:
            if profile.name in config.profiles:
                raise ConfigError(f"a profile named '{profile.name}' already exists", hint="pick another name, or edit that one")
            _profiles(document)[profile.name] = profile_to_toml(profile)
            if make_default or config.default_profile is None:
                document["default_profile"] = profile.name

        return self._save(change, key_source, undo_key, finish_key)

    def replace(self, name: str, profile: Profile, *, api_key: str = "", key_in_file: bool = False) -> Saved:
        """Edit the profile `name` into `profile`, renaming it if the names differ.

        A rename carries the stored key over to the new name; a typed `api_key` is stored under the
        profile's (new) name (see `add` for `key_in_file`). Either key change is undone if the file
        cannot be written.
        """
        validate_profile_name(profile.name)
        key_source, undo_key, finish_key = self._prepare_key(name, profile.name, api_key, key_in_file)

        def change(document: TOMLDocument, config: Config) -> None:
            known_profile(config, name)
            if profile.name != name and profile.name in config.profiles:
                raise ConfigError(f"a profile named '{profile.name}' already exists", hint="pick another name, or edit that one")
            profiles = _profiles(document)
            table = profiles[name]
            assert isinstance(table, Table)
            _merge(table, profile_to_toml(profile), _profile_fields())
            if profile.name != name:
                _rename_key(profiles, name, profile.name)
                if config.default_profile == name:
                    document["default_profile"] = profile.name
            if config.default_profile is None:
                document["default_profile"] = profile.name

        return self._save(change, key_source, undo_key, finish_key)

    def rename(self, old_name: str, new_name: str) -> Saved:
        """Rename a profile; its stored key moves with it."""
        profile = known_profile(self.load(), old_name)
        return self.replace(old_name, replace(profile, name=new_name))

    def remove(self, name: str, *, prefer_default: str | None = None) -> tuple[Config, str | None]:
        """Remove a profile, then its stored key.

        If it was the default, the default passes to `prefer_default` (the profile in use) when it
        exists, else to the first profile left. Returns the config and a problem removing the key.
        """

        def change(document: TOMLDocument, config: Config) -> None:
            known_profile(config, name)
            del _profiles(document)[name]
            if config.default_profile == name:
                left = [other for other in config.profiles if other != name]
                successor = prefer_default if prefer_default in left else next(iter(left), None)
                if successor is None:
                    del document["default_profile"]
                else:
                    document["default_profile"] = successor

        config = self._change(change)
        if not self.persistent:
            return config, None
        try:
            self.secrets.delete_api_key(name)
        except ConfigError as error:
            return config, error.message
        return config, None

    def set_default(self, name: str) -> Config:
        def change(document: TOMLDocument, config: Config) -> None:
            known_profile(config, name)
            document["default_profile"] = name

        return self._change(change)

    def add_deployment(self, profile_name: str, deployment: str) -> Config:
        def change(document: TOMLDocument, config: Config) -> None:
            profile = known_profile(config, profile_name)
            if deployment in profile.deployments:
                raise ConfigError(f"{deployment} is already in profile '{profile_name}'")
            self._put_profile(document, replace(profile, deployments=[*profile.deployments, deployment]))

        return self._change(change)

    def remove_deployment(self, profile_name: str, deployment: str) -> Config:
        """Remove a deployment; if it was the default deployment, the profile has none set."""

        def change(document: TOMLDocument, config: Config) -> None:
            profile = known_profile(config, profile_name)
            if deployment not in profile.deployments:
                raise ConfigError(f"{deployment} is not in profile '{profile_name}'")
            default = None if profile.default_deployment == deployment else profile.default_deployment
            remaining = [name for name in profile.deployments if name != deployment]
            self._put_profile(document, replace(profile, deployments=remaining, default_deployment=default))

        return self._change(change)

    def pin_azure(self, profile_name: str, subscription: str, resource_group: str) -> Config:
        """Remember where discovery found the profile's resource, so the next run skips the search."""

        def change(document: TOMLDocument, config: Config) -> None:
            profile = known_profile(config, profile_name)
            azure = replace(profile.azure, subscription=subscription, resource_group=resource_group)
            self._put_profile(document, replace(profile, azure=azure))

        return self._change(change)

    def set_theme(self, theme: str) -> Config:
        def change(document: TOMLDocument, config: Config) -> None:
            document["theme"] = theme

        return self._change(change)

    # -- the document ------------------------------------------------------------------------------

    def _save(
        self,
        change: Callable[[TOMLDocument, Config], None],
        key_source: KeySource | None,
        undo_key: Callable[[], None],
        finish_key: Callable[[], str | None],
    ) -> Saved:
        """Apply `change` after a key change; undo the key change if the file was not written."""
        try:
            config = self._change(change)
        except BaseException:
            undo_key()
            raise
        return Saved(config, key_source, finish_key())

    def _change(self, change: Callable[[TOMLDocument, Config], None]) -> Config:
        """Read, change, validate and write back, all under the lock."""
        with self._locked():
            document, config = self._parse(self._read())
            change(document, config)
            text = tomlkit.dumps(document)
            # The file was valid before the change, so any mistake now is the change's: no path to name.
            updated = config_from_toml(parse_toml(text, self._label()))
            self._write(text)
        return updated

    def _put_profile(self, document: TOMLDocument, profile: Profile) -> None:
        table = _profiles(document)[profile.name]
        assert isinstance(table, Table)
        _merge(table, profile_to_toml(profile), _profile_fields())

    def _parse(self, text: str) -> tuple[TOMLDocument, Config]:
        config = config_from_toml(parse_toml(text, self._label()), self._label())
        return tomlkit.parse(text), config

    def _label(self) -> Path:
        return self.path or Path("(config in memory)")

    def _read(self) -> str:
        if self.path is None:
            return self._memory
        return read_text(self.path) or ""

    def _write(self, text: str) -> None:
        if self.path is None:
            self._memory = text
        else:
            write_text(self.path, text)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive lock on a sibling lock file, so two writers cannot interleave read and write.

        Where fcntl does not exist (Windows) the atomic rename still keeps the file whole.
        """
        if self.path is None:
            yield
            return
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            yield
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            make_private_dirs(lock_path.parent)
            stream = open(lock_path, "a")  # held for the whole operation
        except OSError as error:
            raise ConfigError(f"{self.path}: cannot write: {error.strerror or error}") from None
        with stream:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(stream.fileno(), fcntl.LOCK_UN)

    # -- API keys ----------------------------------------------------------------------------------

    def _prepare_key(
        self, old_name: str, new_name: str, typed_key: str, key_in_file: bool
    ) -> tuple[KeySource | None, Callable[[], None], Callable[[], str | None]]:
        """Put the key where the saved profile will look for it, before the file is written.

        Returns where the key is, how to undo that if the write fails, and what to do once it
        succeeded (drop the old name's copy), which returns a problem to report, if any.
        """
        found = self.secrets.get_api_key(old_name)
        renamed = new_name != old_name
        if not typed_key and not (renamed and found is not None and found[1].where != "env"):
            return (found[1] if found else None), _nothing, lambda: None
        key = typed_key or (found[0] if found else "")
        plaintext = key_in_file or (found is not None and found[1].where == "plaintext-file")
        before = self.secrets.get_api_key(new_name) if renamed else found
        source = self._store_key(new_name, key, plaintext=plaintext)

        def undo() -> None:
            if not self.persistent:
                return
            with contextlib.suppress(ConfigError):
                if before is not None and before[1].where != "env":
                    self._store_key(new_name, before[0], plaintext=before[1].where == "plaintext-file")
                else:
                    self.secrets.delete_api_key(new_name)

        def finish() -> str | None:
            if not renamed or not self.persistent:
                return None
            try:
                self.secrets.delete_api_key(old_name)
            except ConfigError as error:
                return f"the key under the old name '{old_name}' remains: {error.message}"
            return None

        return source, undo, finish

    def _store_key(self, name: str, key: str, *, plaintext: bool) -> KeySource:
        if not self.persistent:
            return self.secrets.hold_in_memory(name, key)
        return self.secrets.set_api_key(name, key, insecure_plaintext_file=plaintext)


def known_profile(config: Config, name: str) -> Profile:
    """The profile `name` of the file, or a ConfigError listing the known ones."""
    if name not in config.profiles:
        known = ", ".join(sorted(config.profiles)) or "none"
        raise ConfigError(f"no profile named '{name}' (known: {known})", hint=_LIST_HINT)
    return config.profiles[name]


def _nothing() -> None:
    return None


def _profiles(document: TOMLDocument) -> Table:
    """The [profiles] table, created (as a super table, so it is not written out alone) if missing."""
    if "profiles" not in document:
        document["profiles"] = tomlkit.table(is_super_table=True)
    table = document["profiles"]
    if not isinstance(table, Table):
        raise ConfigError("profiles must be a table")
    return table


def _profile_fields() -> dict[str, Any]:
    """The keys a profile table may hold that this version writes: anything else is left alone."""
    return {
        "resource": None,
        "base_url": None,
        "auth": None,
        "deployments": None,
        "default_deployment": None,
        "entra": {"credential": None, "tenant_id": None, "scope": None},
        "azure": {"subscription": None, "resource_group": None, "resource": None, "endpoint": None},
        "defaults": {"max_tokens": None, "temperature": None, "system": None, "prompt_caching": None},
        "prices": "*",
    }


def _merge(table: Table, values: Mapping[str, Any], known: Mapping[str, Any]) -> None:
    """Make `table` say `values` for the `known` keys, changing only what differs (comments stay)."""
    for key, kind in known.items():
        value = values.get(key)
        if value is None:
            if key in table:
                del table[key]
        elif isinstance(kind, dict) and isinstance(table.get(key), Table):
            sub = table[key]
            assert isinstance(sub, Table)
            _merge(sub, value, kind)
        elif kind == "*" and isinstance(table.get(key), Table):
            sub = table[key]
            assert isinstance(sub, Table)
            _merge(sub, value, dict.fromkeys(set(sub.keys()) | set(value), "*"))
        elif _plain(table.get(key)) != value:
            table[key] = value


def _plain(value: Any) -> Any:
    return value.unwrap() if hasattr(value, "unwrap") else value


def _rename_key(table: Table, old: str, new: str) -> None:
    """Rename an entry of `table`, keeping its place among the others."""
    entries = [(key, table[key]) for key in table]
    for key, _ in entries:
        del table[key]
    for key, value in entries:
        table[new if key == old else key] = value
