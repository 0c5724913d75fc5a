"""The log desk: the log's read surface (checkpoint, entries, proofs, tiles, receipts), the
service's health, and replay. Reads only; the writes are the other desks'."""

from __future__ import annotations

import asyncio
import base64
import shutil
from pathlib import Path
from typing import Literal

from creditbank import limits
from creditbank.audit.replay import replay_log
from creditbank.errors import DatabaseBusyError, NotFoundError, StorageFullError
from creditbank.ledger.checkpoint import Checkpoint, open_checkpoint
from creditbank.ledger.entries import open_entry
from creditbank.ledger.merkle import verify_consistency
from creditbank.ledger.proof_text import encode_tlog_proof, verify_tlog_proof
from creditbank.ledger.tiles import BundleId, TileId
from creditbank.service import scope
from creditbank.service.context import WriteContext
from creditbank.service.faults import unavailable_for
from creditbank.storage import audit_reads, reads
from creditbank.tokens import Principal
from schemas.api import ConsistencyProof, Health, InclusionProof, ReplayReport

__all__ = ["LogDesk"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class LogDesk:
    def __init__(self, context: WriteContext, data_dir: Path) -> None:
        self._context = context
        self._data_dir = data_dir

    async def health(self) -> Health:
        """Live and ready: whether the database answers in time, the disk's free space, the
        log's size and whether it accepts writes (a failed start-up check disables them)."""
        disk_free = _free_bytes(self._data_dir)
        tree_size: int | None = None
        database: Literal["ok", "unavailable", "busy", "full"] = "ok"
        detail = self._context.writes_disabled
        try:
            tree_size = await asyncio.wait_for(self._tree_size(), limits.health_database_seconds)
        except Exception as error:
            fault = unavailable_for(error)
            if fault is None:
                raise
            database = _database_state(fault)
            detail = fault.message
        if database == "ok" and disk_free < limits.disk_free_bytes_min:
            database, detail = "full", f"the data directory has {disk_free} bytes free"
        ready = database == "ok"
        writes: Literal["enabled", "disabled"] = "disabled"
        if self._context.writes_disabled is None:
            writes = "enabled"
        status: Literal["ok", "degraded", "unavailable"] = "unavailable"
        if ready:
            status = "ok" if writes == "enabled" else "degraded"
        return Health(
            status=status,
            live=True,
            ready=ready,
            database=database,
            disk_free_bytes=disk_free,
            tree_size=tree_size,
            writes=writes,
            detail=detail,
        )

    async def _tree_size(self) -> int:
        async with self._context.connect() as connection:
            return (await reads.log_head(connection)).tree_size

    async def checkpoint(self) -> str:
        async with self._context.connect() as connection:
            stored = await reads.latest_checkpoint(connection)
        if stored is None:
            raise NotFoundError("the log has no checkpoint yet")
        return stored.signed_note

    def verifier_keys(self) -> list[str]:
        return self._context.keys.active_verifier_keys()

    async def entry(self, index: int) -> bytes:
        async with self._context.connect() as connection:
            return await reads.entry(connection, index)

    async def inclusion_proof(self, index: int, tree_size: int) -> InclusionProof:
        async with self._context.connect() as connection:
            hashes = await reads.inclusion_proof(connection, index, tree_size)
        return InclusionProof(index=index, tree_size=tree_size, hashes=[_b64(h) for h in hashes])

    async def consistency_proof(self, old_size: int, new_size: int) -> ConsistencyProof:
        async with self._context.connect() as connection:
            hashes = await reads.consistency_proof(connection, old_size, new_size)
        return ConsistencyProof(
            from_size=old_size, to_size=new_size, hashes=[_b64(h) for h in hashes]
        )

    async def tile(self, tile: TileId | BundleId) -> bytes:
        async with self._context.connect() as connection:
            head = await reads.log_head(connection)
            if isinstance(tile, BundleId):
                return await reads.read_bundle(connection, tile, head.tree_size)
            return await reads.read_tile(connection, tile, head.tree_size)

    async def receipt(self, principal: Principal, index: int) -> str:
        """The entry's c2sp.org/tlog-proof@v1 against the latest checkpoint."""
        async with self._context.connect() as connection:
            body = await reads.entry(connection, index)
            scope.sees_entry(principal, open_entry(body), index)
            stored = await reads.latest_checkpoint(connection)
            if stored is None or stored.tree_size <= index:
                raise NotFoundError(f"no signed checkpoint covers entry {index} yet")
            path = await reads.inclusion_proof(connection, index, stored.tree_size)
        return encode_tlog_proof(index, path, stored.signed_note)

    async def checked_receipt(self, principal: Principal, index: int) -> tuple[str, Checkpoint]:
        """The entry's receipt and the checkpoint it was verified against, as a reader's own
        verifier would: the proof from the entry's bytes to a root our keys signed."""
        text = await self.receipt(principal, index)
        async with self._context.connect() as connection:
            body = await reads.entry(connection, index)
        keys = self._context.keys
        return text, verify_tlog_proof(text, body, keys.verifiers, keys.origin)

    async def recent_checkpoints(self, count: int) -> list[Checkpoint]:
        """The newest ``count`` signed checkpoints, newest first, each verified."""
        async with self._context.connect() as connection:
            notes = await audit_reads.recent_signed_notes(connection, count)
        keys = self._context.keys
        return [open_checkpoint(note, keys.verifiers, keys.origin) for note in notes]

    async def checked_consistency(
        self, old_size: int, new_size: int
    ) -> tuple[ConsistencyProof, Checkpoint, Checkpoint]:
        """The consistency proof between two signed checkpoints, verified against both roots."""
        async with self._context.connect() as connection:
            notes = await audit_reads.signed_notes_of_sizes(connection, (old_size, new_size))
        keys = self._context.keys
        opened = {
            checkpoint.size: checkpoint
            for checkpoint in (open_checkpoint(note, keys.verifiers, keys.origin) for note in notes)
        }
        if old_size not in opened or new_size not in opened:
            raise NotFoundError("compare two sizes the log has signed checkpoints for")
        proof = await self.consistency_proof(old_size, new_size)
        verify_consistency(
            old_size,
            new_size,
            opened[old_size].root,
            opened[new_size].root,
            [base64.b64decode(node) for node in proof.hashes],
        )
        return proof, opened[old_size], opened[new_size]

    async def replay(self) -> ReplayReport:
        """Re-derive every award and total from the log alone and compare the read tables."""
        return await replay_log(self._context.engine)


def _free_bytes(directory: Path) -> int:
    """Free bytes on the disk holding ``directory`` (or its nearest existing parent)."""
    for candidate in (directory, *directory.resolve().parents):
        if candidate.exists():
            return shutil.disk_usage(candidate).free
    return 0


def _database_state(fault: Exception) -> Literal["unavailable", "busy", "full"]:
    if isinstance(fault, StorageFullError):
        return "full"
    if isinstance(fault, DatabaseBusyError):
        return "busy"
    return "unavailable"
