"""The store for code on an event loop (the app, `ask`): no SQLite call ever runs on the loop.

Every call runs on one dedicated thread, so writes happen in the order they were made, and the
connection never crosses threads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from foundry_tui.attachments import Attachment
from foundry_tui.config.file import DEFAULT_USAGE_DAYS
from foundry_tui.store.conversations import STALE_AFTER_SECONDS
from foundry_tui.store.recorder import TurnRecorder
from foundry_tui.store.store import Store
from foundry_tui.store.usage import RequestContext

T = TypeVar("T")


class AsyncStore:
    def __init__(self, store: Store, executor: ThreadPoolExecutor) -> None:
        self._store = store
        self._executor = executor

    @classmethod
    async def open(
        cls,
        path: Path | None = None,
        *,
        prune_days: int | None = DEFAULT_USAGE_DAYS,
        stale_after: float = STALE_AFTER_SECONDS,
    ) -> AsyncStore:
        """Raises StoreError when the file cannot be used."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="foundry-store")
        opening = executor.submit(Store.open, path, prune_days=prune_days, stale_after=stale_after)
        try:
            return cls(await asyncio.wrap_future(opening), executor)
        except BaseException:
            executor.shutdown(wait=False)
            raise

    async def call(self, operation: Callable[[Store], T]) -> T:
        """Run `operation(store)` on the writer thread and wait for its result.

        Shielded: a cancelled caller stops waiting, but a queued write still happens.
        """
        return await asyncio.shield(asyncio.wrap_future(self.submit(operation)))

    def submit(self, operation: Callable[[Store], T]) -> Future[T]:
        """Queue `operation(store)` without waiting: for fire-and-forget writes that must stay in order."""
        return self._executor.submit(operation, self._store)

    async def start_turn(
        self,
        prompt: str,
        context: RequestContext,
        *,
        conversation_id: str | None = None,
        system: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> TurnRecorder:
        """Write the prompt (and an empty streaming reply) before the request is sent; a new
        conversation unless `conversation_id` is given. Feed the returned recorder the events."""
        turn = await self.call(
            lambda store: store.conversations.start_turn(
                prompt,
                profile=context.profile,
                deployment=context.deployment,
                conversation_id=conversation_id,
                system=system,
                attachments=attachments,
            )
        )
        return TurnRecorder(self, turn, context)

    async def aclose(self) -> None:
        """After the queued writes."""
        await self.call(Store.close)
        self._executor.shutdown()
