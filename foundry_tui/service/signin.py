"""Signed in once: a device-code sign-in is kept across starts, like `az login`, not asked for every time.

Two things make the next start silent: azure-identity's persistent token cache (it holds the refresh
token; encrypted by the OS secret store, or, only with the user's consent, a 0600 plain file) and
the `AuthenticationRecord` of the account that signed in (no secret: which account and tenant),
saved per profile in the data dir, 0600. Without a secret store and without consent the sign-in
lasts for the session, and the device-code prompt says so.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foundry_tui.config.file import read_text, write_text
from foundry_tui.config.paths import data_dir
from foundry_tui.config.profile import ConfigError
from foundry_tui.config.secrets import with_timeout

SIGN_INS_FOLDER = "entra-sign-ins"
TOKEN_CACHE_PREFIX = "foundry-tui"
CONSENT_SETTING = "entra.unencrypted_token_cache = true"
LIBSECRET_TIMEOUT = 2.0


@dataclass(frozen=True)
class TokenCacheChoice:
    """Where a profile's Entra tokens are kept, and the sentence that tells the user."""

    persistence: Any  # azure.identity.TokenCachePersistenceOptions, or None: memory only
    note: str


def record_path(profile_name: str) -> Path:
    return data_dir() / SIGN_INS_FOLDER / f"{profile_name}.json"


def load_record(profile_name: str) -> Any:
    """The saved AuthenticationRecord, or None; a damaged or foreign file only means signing in again."""
    from azure.identity import AuthenticationRecord

    try:
        text = read_text(record_path(profile_name))
        return None if text is None else AuthenticationRecord.deserialize(text)
    except (ConfigError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save_record(profile_name: str, record: Any) -> None:
    """Keep the record (owner-only file); failing to keep it costs a sign-in next time, not this one."""
    try:
        write_text(record_path(profile_name), record.serialize())
    except ConfigError:
        pass


@functools.cache
def encrypted_cache_available() -> bool:
    """Whether the OS can encrypt the token cache (macOS Keychain, Windows DPAPI, Linux libsecret).

    Asked once per process, and at most for LIBSECRET_TIMEOUT s: over SSH, D-Bus may never answer.
    """
    if not sys.platform.startswith("linux"):
        return True

    def try_libsecret() -> None:
        from msal_extensions.libsecret import trial_run  # type: ignore[import-untyped]

        trial_run()

    try:
        with_timeout(try_libsecret, LIBSECRET_TIMEOUT)
    except Exception:  # no gi/libsecret, no D-Bus, no unlocked collection, no answer: all mean "not here"
        return False
    return True


def token_cache_choice(
    profile_name: str, *, allow_unencrypted: bool, encrypted: Callable[[], bool] | None = None
) -> TokenCacheChoice:
    """Encrypted when the OS can; a plain 0600 file only when the profile allows it; else memory."""
    from azure.identity import TokenCachePersistenceOptions

    name = f"{TOKEN_CACHE_PREFIX}.{profile_name}"
    if (encrypted or encrypted_cache_available)():
        options = TokenCachePersistenceOptions(name=name)
        return TokenCacheChoice(options, "Your sign-in will be kept, encrypted by the system's secret store.")
    if allow_unencrypted:
        options = TokenCachePersistenceOptions(name=name, allow_unencrypted_storage=True)
        where = Path("~") / ".IdentityService" / name
        return TokenCacheChoice(
            options,
            f"Your sign-in will be kept UNENCRYPTED in {where}* (readable only by you), as this profile allows.",
        )
    return TokenCacheChoice(
        None,
        "No secret store here, so this sign-in lasts for this session only. To keep it in a file only "
        f"you can read (unencrypted), set {CONSENT_SETTING} in the profile.",
    )


class SignedInOnce:
    """A device-code credential that asks the user only when no account was saved for the profile.

    The first sign-in goes through `authenticate()`, whose record is saved; later starts pass the
    record to the credential, which then gets tokens from the persistent cache silently.
    """

    def __init__(self, credential: Any, profile_name: str, record: Any) -> None:
        self.credential = credential
        self._profile_name = profile_name
        self._record = record

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        if self._record is None:
            self._record = self.credential.authenticate(scopes=list(scopes))
            save_record(self._profile_name, self._record)
        return self.credential.get_token(*scopes, **kwargs)
