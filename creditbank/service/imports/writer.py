"""The import's database work on the log's connection, run in order by a task of its own.

The row loop hands each chunk's writes (entries, tiles, outcomes, people, spilled totals) to
``OrderedWriter`` and goes on classifying the next chunk while PostgreSQL (or SQLite's thread)
stores this one. A connection runs one statement at a time, so every use of the log's
connection goes through the writer, in the order submitted. At most ``writes_queued_max`` chunks
wait, which bounds memory; a failed write fails the next ``submit`` or ``finish``, and the
caller's transaction then rolls everything back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["OrderedWriter", "writes_queued_max"]

Work = Callable[[], Awaitable[Any]]

# Chunks of writes waiting behind the one being written: one keeps the database busy while the
# next chunk is classified; more would only hold more rows in memory.
writes_queued_max = 1


class OrderedWriter:
    """Runs submitted work one item at a time, in order."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Work | None] = asyncio.Queue(writes_queued_max)
        self._task = asyncio.create_task(self._run())
        self._failure: BaseException | None = None

    async def submit(self, work: Work) -> None:
        """Queue work; returns as soon as there is room, without waiting for it to run."""
        self._raise_failure()
        await self._queue.put(work)

    async def finish(self) -> None:
        """Wait for every submitted write; raise the first failure."""
        self._raise_failure()
        await self._queue.put(None)
        await self._task
        self._raise_failure()

    async def cancel(self) -> None:
        """Stop without finishing (the import failed elsewhere and will roll back)."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    async def _run(self) -> None:
        while (work := await self._queue.get()) is not None:
            try:
                await work()
            except Exception as error:
                # The caller learns of it at its next submit or finish; what was queued behind
                # it is dropped, so a submit waiting for room does not wait forever.
                self._failure = error
                while not self._queue.empty():
                    self._queue.get_nowait()
                return
