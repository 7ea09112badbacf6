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


def test_garbage_is_never_frozen_and_what_is_released_is_freed_at_the_next_freeze() -> None:
    """A freeze comes after a full collection, which walks only what is not frozen yet: old garbage
    frozen with the history would never be freed. Removed turns stay referenced for a while (layout
    caches, finished workers): released, they are freed by the next freeze's collection."""
    old = Cycle()
    gc.collect()  # old enough to sit in the oldest generation
    garbage = weakref.ref(old)
    del old
    freeze_long_lived()
    assert garbage() is None

    alive = Cycle()
    freed = weakref.ref(alive)
    freeze_long_lived()
    del alive
    gc.collect()
    assert freed() is not None  # frozen: no collection sees it
    release_removed()
    freeze_long_lived()
    assert freed() is None
