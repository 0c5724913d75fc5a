"""The single append path: the only code that writes the log.

``log_transaction`` opens a transaction holding the log's write lock (PostgreSQL: a row lock on
``log_state``; SQLite: ``BEGIN IMMEDIATE``). Inside it a caller may read the read tables (to decide
``exists`` under the lock) and append once: ``append`` with a whole batch, or ``stream`` for a
bulk import, which adds its entries chunk by chunk and seals them as one append. Either way:

1. checks that ``log_state`` is the last checkpoint and that the tiles reproduce its root,
2. assigns contiguous indices from the current size (sequencing),
3. inserts the entries (COPY on PostgreSQL) and the new tile segments (integrating),
4. projects the entries into the read tables,
5. adds the awards to learners' totals, signs and stores one new checkpoint for everything
   added (publishing), and updates ``log_state``.

Nothing is visible until ``commit``; leaving the block without it rolls everything back, so a
crash leaves the log at the previous checkpoint.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
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
from creditbank.ledger.tiles import Segment, TileId, edge_tiles, integrate, root_from_edge
from creditbank.rules.engine import TotalKey
from creditbank.storage.bulk import bulk_insert
from creditbank.storage.engine import WRITE_LOCK_OPTION, is_sqlite
from creditbank.storage.projections import Demography, add_totals, project
from creditbank.storage.reads import latest_checkpoint
from creditbank.storage.tables import checkpoint, log_entry, log_state
from creditbank.storage.tile_store import insert_segments, read_tiles

__all__ = [
    "AppendStream",
    "Appended",
    "CheckpointSigner",
    "LogTransaction",
    "Placed",
    "StagedEntries",
    "log_transaction",
    "store_checkpoint",
]


# Staged leaves integrated per step: one step's segments are one insert.
_STAGED_LEAVES_PER_INTEGRATION = 65_536


class StagedEntries(Protocol):
    """Entries staged in a temporary table ``(idx, body)``, numbered from ``first_index``."""

    @property
    def first_index(self) -> int: ...

    @property
    def leaf_hashes(self) -> bytes: ...

    @property
    def entries_table(self) -> str: ...


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
        self.signer = signer
        self.tree_size, self.root = head
        self._signed_head = signed_head
        self._appended = False
        self.committed = False

    async def append(
        self,
        entries: Sequence[SealedEntry],
        total_deltas: Iterable[tuple[TotalKey, int]] = (),
        demography: Demography | None = None,
    ) -> Appended:
        """Append the batch; ``total_deltas`` are the engine's changes to learners' totals."""
        assert 0 < len(entries) <= limits.append_batch_entries_max
        stream = await self.stream()
        await stream.add(entries, demography=demography)
        return await stream.seal(total_deltas)

    async def stream(self) -> AppendStream:
        """Start the transaction's one append, to be fed in pieces and sealed once.

        A bulk import adds its entries chunk by chunk so memory does not grow with the file;
        nothing is signed until ``seal``, and the whole append is still one transaction.
        """
        assert not self._appended, "one append, one checkpoint per transaction"
        self._appended = True
        size = self.tree_size
        if self._signed_head != (size, self.root):
            raise IntegrityError(
                f"the log state (size {size}) is not the last checkpoint: refusing to sign"
            )
        edge = await read_tiles(self.connection, edge_tiles(size))
        if root_from_edge(size, edge) != self.root:
            raise IntegrityError(
                f"the stored tiles do not reproduce the root of the tree of size {size}"
            )
        return AppendStream(self, size, edge)

    async def commit(self) -> None:
        await self.connection.commit()
        self.committed = True


class AppendStream:
    """One append in pieces: entries are sequenced, stored and integrated as they are added."""

    def __init__(
        self, transaction: LogTransaction, size: int, edge: Mapping[TileId, bytes]
    ) -> None:
        self._transaction = transaction
        self.first_index = size
        self.size = size
        self._edge = edge
        self._root = transaction.root
        self._sealed = False
        self._unstored = 0

    @property
    def connection(self) -> AsyncConnection:
        return self._transaction.connection

    async def add(
        self,
        entries: Sequence[SealedEntry],
        content_digests: Sequence[bytes] | None = None,
        demography: Demography | None = None,
    ) -> int:
        """Sequence, store, integrate and project entries; return the first one's index.

        ``content_digests`` may give each entry's ``content_sha256`` when the caller has already
        computed it (the import has, to classify the row), saving a second canonical encoding;
        ``demography`` the birth date and sex of the outcomes' learners (see ``project``).
        """
        placed = self.sequence(entries, content_digests, demography)
        await placed.store()
        return placed.first_index

    def sequence(
        self,
        entries: Sequence[SealedEntry],
        content_digests: Sequence[bytes] | None = None,
        demography: Demography | None = None,
    ) -> Placed:
        """Give entries their indices and integrate them into the tree, without waiting for the
        database: a bulk import classifies its next chunk while this one is stored.

        The caller must ``store`` every placement, in order, before ``seal``. A stream has no
        entry limit: it holds one chunk at a time, so any import file within the file limit
        fits (``limits.append_batch_entries_max`` bounds appends built whole in memory).
        """
        assert not self._sealed
        first = self.size
        self._unstored += 1
        if not entries:
            return Placed(self, first, entries, [], content_digests, demography)
        integration = integrate(first, self._edge, [entry.leaf_hash for entry in entries])
        self.size, self._root, self._edge = integration.size, integration.root, integration.edge
        return Placed(self, first, entries, integration.segments, content_digests, demography)

    def _stored(self) -> None:
        self._unstored -= 1

    async def add_staged(
        self,
        staged: StagedEntries,
        project_staged: Callable[[AsyncConnection, int], Awaitable[None]],
    ) -> int:
        """Integrate entries an import prepared without the lock, in a temporary table of this
        transaction's connection, numbered from ``staged.first_index``: their leaf hashes (32
        bytes each, in order) extend the tree, the entries are copied into the log on the
        server shifted to their indices, and ``project_staged(connection, shift)`` moves their
        read-table rows. Returns the first index."""
        assert not self._sealed
        leaf_hashes = staged.leaf_hashes
        assert len(leaf_hashes) % limits.hash_bytes == 0
        first = self.size
        step = _STAGED_LEAVES_PER_INTEGRATION * limits.hash_bytes
        for start in range(0, len(leaf_hashes), step):
            part = leaf_hashes[start : start + step]
            hashes = [part[at : at + limits.hash_bytes] for at in range(0, len(part), 32)]
            integration = integrate(self.size, self._edge, hashes)
            self.size, self._root, self._edge = integration.size, integration.root, integration.edge
            await insert_segments(self.connection, integration.segments)
        shift = first - staged.first_index
        await self.connection.execute(
            sa.text(
                f"INSERT INTO {log_entry.name} (idx, body) "  # noqa: S608 - our own names
                f"SELECT idx + :shift, body FROM {staged.entries_table}"
            ),
            {"shift": shift},
        )
        await project_staged(self.connection, shift)
        return first

    async def seal(self, total_deltas: Iterable[tuple[TotalKey, int]] = ()) -> Appended:
        """Apply the totals, sign the checkpoint of everything added and update the log state."""
        assert not self._sealed
        assert self.size > self.first_index, "an append adds entries"
        assert self._unstored == 0, "every sequenced entry is stored before the checkpoint"
        self._sealed = True
        transaction = self._transaction
        connection = transaction.connection
        await add_totals(connection, total_deltas)
        signed = await store_checkpoint(connection, transaction.signer, self.size, self._root)
        await connection.execute(
            log_state.update()
            .where(log_state.c.id == 1)
            .values(tree_size=self.size, root_hash=self._root)
        )
        transaction.tree_size, transaction.root = self.size, self._root
        return Appended(
            first_index=self.first_index,
            tree_size=self.size,
            root=self._root,
            signed_checkpoint=signed,
        )


class Placed:
    """Entries given their indices and tree positions, waiting to be stored."""

    def __init__(
        self,
        stream: AppendStream,
        first_index: int,
        entries: Sequence[SealedEntry],
        segments: Sequence[Segment],
        content_digests: Sequence[bytes] | None,
        demography: Demography | None,
    ) -> None:
        self._stream = stream
        self.first_index = first_index
        self._entries = entries
        self._segments = segments
        self._content_digests = content_digests
        self._demography = demography

    async def store(self) -> None:
        """Insert the entries and tile segments and project the entries into the read tables."""
        connection = self._stream.connection
        if self._entries:
            await _insert_entries(connection, self.first_index, self._entries)
            await insert_segments(connection, self._segments)
            await project(
                connection,
                self.first_index,
                self._entries,
                self._content_digests,
                self._demography,
            )
        self._stream._stored()


@asynccontextmanager
async def log_transaction(
    engine: AsyncEngine, signer: CheckpointSigner, *, on: AsyncConnection | None = None
) -> AsyncIterator[LogTransaction]:
    """Take the log's write lock for the duration of the block, on a new connection or ``on``
    one the caller holds (an import's, whose temporary tables hold what it prepared)."""
    async with contextlib.AsyncExitStack() as stack:
        plain = on if on is not None else await stack.enter_async_context(engine.connect())
        if plain.in_transaction():
            await plain.commit()  # what the caller's connection did before is its own
        connection = await plain.execution_options(**{WRITE_LOCK_OPTION: True})
        await connection.begin()
        transaction: LogTransaction | None = None
        try:
            row = (await connection.execute(_lock_query(connection))).one()
            # A separate statement, after the lock is ours: PostgreSQL re-reads only the locked
            # row of the statement that waited for it, so a checkpoint joined into that
            # statement could be one that an appender committed before us has superseded.
            last = await latest_checkpoint(connection)
            signed_head = (0, EMPTY_ROOT) if last is None else (last.tree_size, last.root)
            transaction = LogTransaction(
                connection, signer, (row.tree_size, bytes(row.root_hash)), signed_head
            )
            yield transaction
        finally:
            if transaction is None or not transaction.committed:
                await connection.rollback()
            if on is not None:
                await on.execution_options(**{WRITE_LOCK_OPTION: False})


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
