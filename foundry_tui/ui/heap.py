"""Full garbage collections stay cheap however long the chat on screen.

A rendered reply is thousands of long-lived objects (strips, segments and their caches): a 200-turn
chat holds ~700,000, and every full collection CPython starts walks them all, ~0.5 s on the event
loop, several times while a reply streams. What the app builds at start-up lives as long as the app,
and nothing in a rendered history is garbage until its turns leave the screen, so both are frozen
out of the collector (`gc.freeze`), after a full collection so that no garbage is frozen with them:
that collection walks only what is not frozen yet, the last turn's objects. When turns are removed,
everything goes back to the collector, and the next freeze's collection frees them (they are still
referenced for a while: Textual's layout caches, finished workers).
"""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    """Leave what exists now out of later collections: at start-up, and once a history is rendered."""
    gc.collect()
    gc.freeze()


def release_removed() -> None:
    """Turns were removed: everything goes back to the collector, to be freed once unreferenced."""
    gc.unfreeze()
