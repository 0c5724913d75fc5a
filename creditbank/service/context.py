"""The write context: the one object through which the service reaches the log.

It owns the engine, the signing keys, the clock and the writes-disabled state, and it is the only
way a desk opens a log transaction: ``transaction()`` refuses with ``writes_disabled`` itself, so
no desk can forget the check. Single writes go through ``grouped``, which queues them for the
group committer (one transaction and one checkpoint for a run of concurrent writes); bulk
imports and standards publications take ``transaction()`` for themselves. Desks receive this
object, never the whole ``Bank``, so they cannot reach one another through it.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from creditbank.errors import WritesDisabledError
from creditbank.keys import KeyRing
from creditbank.service.group_commit import Apply, GroupCommitter, Write
from creditbank.storage.append import LogTransaction, log_transaction
from creditbank.storage.engine import snapshot

__all__ = ["Clock", "WriteContext", "utc_now"]

Clock = Callable[[], datetime.datetime]
T = TypeVar("T")


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class WriteContext:
    """Engine, keys, clock and whether the log accepts writes; fixed when the bank is built."""

    def __init__(self, *, engine: AsyncEngine, keys: KeyRing, clock: Clock = utc_now) -> None:
        self._engine = engine
        self._keys = keys
        self._clock = clock
        self._writes_disabled: str | None = None
        self.committer = GroupCommitter(self.transaction)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def keys(self) -> KeyRing:
        return self._keys

    def now(self) -> datetime.datetime:
        return self._clock()

    def today(self) -> datetime.date:
        return self._clock().astimezone(datetime.UTC).date()

    # Writes ------------------------------------------------------------------------------------

    @property
    def writes_disabled(self) -> str | None:
        """Why the log refuses writes (a failed start-up check), or None when it accepts them."""
        return self._writes_disabled

    def disable_writes(self, reason: str) -> None:
        self._writes_disabled = reason

    def enable_writes(self) -> None:
        self._writes_disabled = None

    def require_writable(self) -> None:
        """Refuse before any work is done (an upload, a validation) when writes are disabled."""
        if self._writes_disabled is not None:
            raise WritesDisabledError(f"the log refuses writes: {self._writes_disabled}")

    @asynccontextmanager
    async def transaction(self, on: AsyncConnection | None = None) -> AsyncIterator[LogTransaction]:
        """The log's write lock and its one append; refused while writes are disabled. ``on``:
        the caller's connection (an import's, holding what it staged), else a new one."""
        self.require_writable()
        async with log_transaction(self._engine, self._keys, on=on) as transaction:
            yield transaction

    async def grouped(self, write: Write[T]) -> T:
        """Run ``write`` in the next group commit's transaction (``service.group_commit``): the
        path of single writes, which share the log's lock, append and checkpoint under load."""
        self.require_writable()
        return await self.committer.write(write)

    async def grouped_batch(self, apply: Apply[T], payload: Any) -> T:
        """Queue ``payload`` for ``apply``, which applies a run of such writes together."""
        self.require_writable()
        return await self.committer.submit(apply, payload)

    @asynccontextmanager
    async def serialised(self) -> AsyncIterator[AsyncConnection]:
        """The log's write lock without an append: for a write outside the log that two
        processes must not race (the first admin token), allowed even while writes are
        disabled, since it signs nothing."""
        async with log_transaction(self._engine, self._keys) as transaction:
            yield transaction.connection
            await transaction.commit()

    # Reads and writes outside the log ------------------------------------------------------------

    def connect(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection for reads that need not agree with each other."""
        return self._engine.connect()

    def begin(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A transaction for tables outside the log (drafts, tokens, import jobs)."""
        return self._engine.begin()

    def snapshot(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """One consistent view of the log and its read tables, for reads that must agree."""
        return snapshot(self._engine)
