"""The log desk: the log's read surface (checkpoint, entries, proofs, tiles, receipts), the
service's health, and replay. Reads only; the writes are the other desks'."""

from __future__ import annotations

import base64

from creditbank.audit.replay import replay_log
from creditbank.errors import NotFoundError
from creditbank.ledger.entries import open_entry
from creditbank.ledger.proof_text import encode_tlog_proof
from creditbank.ledger.tiles import BundleId, TileId
from creditbank.service import scope
from creditbank.service.context import WriteContext
from creditbank.storage import reads
from creditbank.tokens import Principal
from schemas.api import ConsistencyProof, Health, InclusionProof, ReplayReport

__all__ = ["LogDesk"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class LogDesk:
    def __init__(self, context: WriteContext) -> None:
        self._context = context

    async def health(self) -> Health:
        """The log's size and whether it accepts writes (a failed start-up check disables them)."""
        async with self._context.connect() as connection:
            head = await reads.log_head(connection)
        disabled = self._context.writes_disabled
        if disabled is not None:
            return Health(
                status="degraded", tree_size=head.tree_size, writes="disabled", detail=disabled
            )
        return Health(status="ok", tree_size=head.tree_size, writes="enabled")

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

    async def replay(self) -> ReplayReport:
        """Re-derive every award and total from the log alone and compare the read tables."""
        return await replay_log(self._context.engine)
