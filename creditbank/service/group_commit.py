"""Group commit: concurrent single writes share one transaction and one checkpoint.

Deposits, issuer registrations, revocations and recognitions arrive one request at a time. Each
used to take the log's write lock, append, sign a checkpoint and sync on its own, so under load
every request queued behind every other's checkpoint. Now they queue here instead: while one
group's transaction is in flight the next gathers, and it is appended as one transaction with one
checkpoint (the first write of a quiet moment goes at once, alone: nothing waits on a timer).

Within a group the writes are applied in arrival order, each seeing what the ones before it
appended (the same transaction), so ``exists``, conflicts and caps are decided exactly as if they
had come one at a time: the log is that of the serial order in which they arrived. Consecutive
writes of one kind are applied together by that kind's ``Apply`` (deposits batch their reads);
a group never mixes kinds, so order across kinds is kept too.

Isolation: a write refused with a typed error before it appended anything fails alone. A write
that fails after it appended, or on something that is not a typed error, takes the group's
transaction down with it: that write gets its error, and the others go back to the front of the
queue to be applied again in a fresh transaction. A failure of the store itself (the database
gone, locked, full) is every write's answer, and nothing of the group is written. Answers are
given only after the commit, so "recorded" is durable.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.errors import CreditbankError
from creditbank.ledger.entries import SealedEntry
from creditbank.rules.engine import TotalKey
from creditbank.storage.append import AppendStream, LogTransaction
from creditbank.storage.projections import Demography, add_totals

__all__ = ["Apply", "GroupCommitter", "GroupSlot", "Pending", "Placement", "group_writes_max"]

# A group is bounded so one transaction stays short: past this, the rest form the next group.
group_writes_max = 1_000

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Where a write's entries went: its first index, and the tree size just after them."""

    first_index: int
    tree_size: int


class GroupSlot:
    """The group's transaction as one write sees it: the connection (reads see everything the
    group appended so far) and ``append``, which adds entries and their totals at once."""

    def __init__(self, transaction: LogTransaction) -> None:
        self._transaction = transaction
        self._stream: AppendStream | None = None
        self.appended = False  # by the write being applied (reset before each)

    @property
    def connection(self) -> AsyncConnection:
        return self._transaction.connection

    async def next_index(self) -> int:
        """The index the next appended entry gets."""
        return (await self._open()).size

    async def append(
        self,
        entries: Sequence[SealedEntry],
        total_deltas: Iterable[tuple[TotalKey, int]] = (),
        content_digests: Sequence[bytes] | None = None,
        demography: Demography | None = None,
    ) -> Placement:
        """Sequence, store and project ``entries`` and add ``total_deltas`` to the totals now,
        so the group's next write sees both; signed with the group, at its end."""
        assert entries, "an append adds entries"
        stream = await self._open()
        self.appended = True
        first = await stream.add(entries, content_digests, demography)
        await add_totals(self.connection, total_deltas)
        return Placement(first_index=first, tree_size=stream.size)

    async def seal(self) -> None:
        """Sign one checkpoint for everything the group appended (nothing, if it appended none)."""
        if self._stream is not None and self._stream.size > self._stream.first_index:
            await self._stream.seal()

    async def _open(self) -> AppendStream:
        if self._stream is None:
            self._stream = await self._transaction.stream()
        return self._stream


class Pending(Generic[T]):
    """One queued write: what its kind applies, and its answer once the group commits."""

    __slots__ = ("_answer", "_error", "apply", "future", "payload")

    def __init__(self, apply: Apply[Any], payload: Any, future: asyncio.Future[T]) -> None:
        self.apply = apply
        self.payload = payload
        self.future = future
        self._answer: T | None = None
        self._error: BaseException | None = None

    def answer(self, value: T) -> None:
        self._answer, self._error = value, None

    def refuse(self, error: BaseException) -> None:
        self._error = error

    def settle(self) -> None:
        if self.future.done():  # the caller went away; the write stands
            return
        if self._error is not None:
            self.future.set_exception(self._error)
        else:
            self.future.set_result(self._answer)  # type: ignore[arg-type]


# Applies a run of pending writes of one kind in the group's transaction: each gets an answer
# or a typed refusal; raising anything fails (or, as _Abort, retries) the group.
Apply = Callable[[GroupSlot, list[Pending[T]]], Awaitable[None]]
Write = Callable[[GroupSlot], Awaitable[T]]


class _Abort(Exception):
    """A write failed after appending, or not with a typed error: the transaction is spoilt."""

    def __init__(self, pending: Pending[Any], error: BaseException) -> None:
        super().__init__(repr(error))
        self.pending = pending
        self.error = error


async def apply_one_by_one(slot: GroupSlot, pendings: list[Pending[Any]]) -> None:
    """The kind of writes that run their own code (``GroupCommitter.write``), in order."""
    for pending in pendings:
        slot.appended = False
        write: Write[Any] = pending.payload
        try:
            pending.answer(await write(slot))
        except CreditbankError as error:
            if slot.appended:
                raise _Abort(pending, error) from error
            pending.refuse(error)
        except Exception as error:
            raise _Abort(pending, error) from error


class GroupCommitter:
    """The process's queue of single writes; ``open_transaction`` is the write context's."""

    def __init__(self, open_transaction: Callable[[], Any]) -> None:
        self._open_transaction = open_transaction
        self._queue: collections.deque[Pending[Any]] = collections.deque()
        self._draining: asyncio.Task[None] | None = None
        self.groups = 0  # groups committed or failed, for tests and the load harness

    async def write(self, write: Write[T]) -> T:
        """Run ``write`` in the next group's transaction; its answer once that commits."""
        return await self.submit(apply_one_by_one, write)

    async def submit(self, apply: Apply[T], payload: Any) -> T:
        """Queue ``payload`` for ``apply`` (consecutive ones with the same ``apply`` are
        applied together); its answer once its group commits."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(Pending(apply, payload, future))
        if self._draining is None:
            self._draining = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._queue:
                await self._commit(self._take())
        finally:
            self._draining = None

    def _take(self) -> list[Pending[Any]]:
        first = self._queue.popleft()
        group = [first]
        while self._queue and len(group) < group_writes_max and self._queue[0].apply == first.apply:
            group.append(self._queue.popleft())
        return group

    async def _commit(self, group: list[Pending[Any]]) -> None:
        self.groups += 1
        try:
            async with self._open_transaction() as transaction:
                slot = GroupSlot(transaction)
                await group[0].apply(slot, group)
                await slot.seal()
                await transaction.commit()
        except _Abort as abort:
            abort.pending.refuse(abort.error)
            abort.pending.settle()
            self._queue.extendleft(reversed([p for p in group if p is not abort.pending]))
            return
        except BaseException as error:
            for pending in group:
                pending.refuse(error)
                pending.settle()
            if not isinstance(error, Exception):
                raise
            return
        for pending in group:
            pending.settle()
