"""The single append path: the only code that writes the log.

``log_transaction`` opens a transaction holding the log's write lock (PostgreSQL: a row lock on
``log_state``; SQLite: ``BEGIN IMMEDIATE``). Inside it a caller may read the read tables (to decide
``exists`` under the lock) and call ``append`` once with a whole batch, which:

1. checks that ``log_state`` is the last checkpoint and that the tiles reproduce its root,
2. assigns contiguous indices from the current size (sequencing),
3. inserts the entries (COPY on PostgreSQL) and the new tile segments (integrating),
4. projects the entries into the read tables and adds the awards to learners' totals,
5. signs and stores the new checkpoint (publishing), and updates ``log_state``.

Nothing is visible until ``commit``; leaving the block without it rolls everything back, so a
crash leaves the log at the previous checkpoint.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from creditbank import limits
from creditbank.errors import IntegrityError
from creditbank.ledger.checkpoint import Checkpoint
from creditbank.ledger.entries import SealedEntry
from creditbank.ledger.hashing import EMPTY_ROOT
from creditbank.ledger.tiles import edge_tiles, integrate, root_from_edge
from creditbank.rules.engine import TotalKey
from creditbank.storage.bulk import bulk_insert
from creditbank.storage.engine import WRITE_LOCK_OPTION, is_sqlite
from creditbank.storage.projections import add_totals, project
from creditbank.storage.reads import latest_checkpoint
from creditbank.storage.tables import checkpoint, log_entry, log_state
from creditbank.storage.tile_store import insert_segments, read_tiles

__all__ = ["Appended", "CheckpointSigner", "LogTransaction", "log_transaction", "store_checkpoint"]


class CheckpointSigner(Protocol):
    @property
    def origin(self) -> str: ...

    def sign_checkpoint(self, checkpoint: Checkpoint) -> str: ...


@dataclass(frozen=True, kw_only=True)
class Appended:
    first_index: int
    tree_size: int
    root: bytes
    signed_checkpoint: str


class LogTransaction:
    """A transaction holding the log's write lock; rolls back unless ``commit`` is called."""

    def __init__(
        self,
        connection: AsyncConnection,
        signer: CheckpointSigner,
        head: tuple[int, bytes],
        signed_head: tuple[int, bytes],
    ) -> None:
        self.connection = connection
        self._signer = signer
        self.tree_size, self.root = head
        self._signed_head = signed_head
        self._appended = False
        self.committed = False

    async def append(
        self,
        entries: Sequence[SealedEntry],
        total_deltas: Iterable[tuple[TotalKey, int]] = (),
    ) -> Appended:
        """Append the batch; ``total_deltas`` are the engine's changes to learners' totals."""
        assert not self._appended, "one append, one checkpoint per transaction"
        assert 0 < len(entries) <= limits.append_batch_entries_max
        self._appended = True
        old_size = self.tree_size
        if self._signed_head != (old_size, self.root):
            raise IntegrityError(
                f"the log state (size {old_size}) is not the last checkpoint: refusing to sign"
            )
        edge = await read_tiles(self.connection, edge_tiles(old_size))
        if root_from_edge(old_size, edge) != self.root:
            raise IntegrityError(
                f"the stored tiles do not reproduce the root of the tree of size {old_size}"
            )
        integration = integrate(old_size, edge, [entry.leaf_hash for entry in entries])
        await _insert_entries(self.connection, old_size, entries)
        await insert_segments(self.connection, integration.segments)
        await project(self.connection, old_size, entries)
        await add_totals(self.connection, total_deltas)
        signed = await store_checkpoint(
            self.connection, self._signer, integration.size, integration.root
        )
        await self.connection.execute(
            log_state.update()
            .where(log_state.c.id == 1)
            .values(tree_size=integration.size, root_hash=integration.root)
        )
        self.tree_size, self.root = integration.size, integration.root
        return Appended(
            first_index=old_size,
            tree_size=integration.size,
            root=integration.root,
            signed_checkpoint=signed,
        )

    async def commit(self) -> None:
        await self.connection.commit()
        self.committed = True


@asynccontextmanager
async def log_transaction(
    engine: AsyncEngine, signer: CheckpointSigner
) -> AsyncIterator[LogTransaction]:
    """Take the log's write lock for the duration of the block."""
    async with engine.connect() as plain:
        connection = await plain.execution_options(**{WRITE_LOCK_OPTION: True})
        await connection.begin()
        row = (await connection.execute(_lock_query(connection))).one()
        # A separate statement, after the lock is ours: PostgreSQL re-reads only the locked row
        # of the statement that waited for it, so a checkpoint joined into that statement could
        # be one that an appender committed before us has already superseded.
        last = await latest_checkpoint(connection)
        signed_head = (0, EMPTY_ROOT) if last is None else (last.tree_size, last.root)
        transaction = LogTransaction(
            connection, signer, (row.tree_size, bytes(row.root_hash)), signed_head
        )
        try:
            yield transaction
        finally:
            if not transaction.committed:
                await connection.rollback()


def _lock_query(connection: AsyncConnection) -> sa.Select[Any]:
    """The head, read by the statement that takes the lock."""
    query = sa.select(log_state.c.tree_size, log_state.c.root_hash).where(log_state.c.id == 1)
    if is_sqlite(connection):
        return query  # BEGIN IMMEDIATE already holds the lock
    return query.with_for_update()


async def store_checkpoint(
    connection: AsyncConnection, signer: CheckpointSigner, size: int, root: bytes
) -> str:
    signed = signer.sign_checkpoint(Checkpoint(origin=signer.origin, size=size, root=root))
    await connection.execute(
        checkpoint.insert().values(
            tree_size=size,
            root_hash=root,
            signed_note=signed,
            created_at=datetime.datetime.now(datetime.UTC),
        )
    )
    return signed


async def _insert_entries(
    connection: AsyncConnection, first_index: int, entries: Sequence[SealedEntry]
) -> None:
    rows = [(first_index + offset, entry.body) for offset, entry in enumerate(entries)]
    await bulk_insert(connection, log_entry, ("idx", "body"), rows)
