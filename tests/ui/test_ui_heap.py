"""A rendered history is frozen out of full garbage collections, and given back when its turns go."""

from __future__ import annotations

import gc
import weakref

from helpers import SIZE, answered

from foundry_tui.ui.heap import freeze_long_lived, release_removed


async def test_a_rendered_history_is_frozen_out_of_collections_and_given_back_when_its_turns_go(demo_app):
    """In a 200-turn chat a full collection walked ~700,000 rendered objects: 0.5 s on the event loop,
    four times while one reply streamed. Frozen, they cost the collector nothing."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        at_start = gc.get_freeze_count()  # what start-up built is frozen too
        await answered(pilot, "Show me a table and some code")  # a turn ends with the idle render of the rest
        assert gc.get_freeze_count() > at_start + 1000
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert gc.get_freeze_count() == 0
        await answered(pilot, "hello")
        assert gc.get_freeze_count() > 1000


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_what_was_frozen_and_became_garbage_is_freed_at_the_first_freeze_after_a_release() -> None:
    """Removed turns stay referenced for a while (layout caches, finished workers): the full collection
    that frees them waits for the next freeze rather than running, for nothing, at the removal."""
    alive = Cycle()
    freed = weakref.ref(alive)
    freeze_long_lived()
    del alive
    gc.collect()
    assert freed() is not None  # frozen: no collection sees it
    release_removed()
    freeze_long_lived()
    assert freed() is None
