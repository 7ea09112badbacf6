"""A deadline on Textual's teardown, so a terminal that hung up cannot keep the process alive.

Textual writes to the terminal through a thread with a bounded queue. When the terminal goes away
(SSH drops, tmux server killed, window closed) that thread dies on EIO, the queue fills, and
`driver.close()` waits forever to queue its stop (Textualize/textual#6692): the process stays,
holding the history. Our own teardown (`FoundryApp.on_unmount`) runs before that, so once it is
done nothing is left to lose: if the process is still there after a grace period, end it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

GRACE_SECONDS = 2.5  # Textual's own teardown takes milliseconds on a live terminal


@dataclass
class TeardownDeadline:
    """`arm()` once what we save is saved; `disarm()` once the app has returned. Between the two,
    after `grace` seconds the process exits with `exit_status()`, the status the app would return."""

    exit_status: Callable[[], int]
    grace: float = GRACE_SECONDS
    _returned: threading.Event = field(default_factory=threading.Event)

    def arm(self) -> None:
        threading.Thread(target=self._end_if_stuck, name="teardown-deadline", daemon=True).start()

    def disarm(self) -> None:
        self._returned.set()

    def _end_if_stuck(self) -> None:
        if not self._returned.wait(self.grace):
            os._exit(self.exit_status())  # sys.exit would end only this thread; the main one is stuck
