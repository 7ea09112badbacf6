"""What the deployment picker remembers between openings: each deployment's last check and when it
ran, for as long as the profile's endpoint and credentials stay the same."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from foundry_tui.config.profile import Profile
    from foundry_tui.service.check import CheckResult


@dataclass(slots=True)
class PastCheck:
    result: CheckResult
    at: float  # time.time() when it finished


def _identity(profile: Profile) -> tuple[object, ...]:
    """What a check's answer depends on; adding or removing a deployment keeps the others' results."""
    return (profile.name, profile.resource, profile.base_url, profile.auth, profile.entra, profile.azure)


class CheckMemory:
    """The app's one memory of checks; another profile, or an edited one, starts it afresh."""

    def __init__(self) -> None:
        self._identity: tuple[object, ...] | None = None
        self._checks: dict[str, PastCheck] = {}

    def _of(self, profile: Profile) -> dict[str, PastCheck]:
        identity = _identity(profile)
        if identity != self._identity:
            self._identity, self._checks = identity, {}
        return self._checks

    def remember(self, profile: Profile, result: CheckResult) -> None:
        self._of(profile)[result.deployment] = PastCheck(result, time.time())

    def recall(self, profile: Profile, deployment: str) -> PastCheck | None:
        return self._of(profile).get(deployment)
