"""Queries over the log and the read tables. No writes here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.errors import NotFoundError, ProofError
from creditbank.ledger.merkle import Node
from creditbank.ledger.merkle import inclusion_proof as merkle_inclusion_proof
from creditbank.ledger.tiles import (
    BundleId,
    TileId,
    consistency_proof_from_tiles,
    encode_entry_bundle,
    inclusion_proof_from_tiles,
    node_from_tiles,
    tiles_for_consistency,
    tiles_for_inclusion,
)
from creditbank.storage.tables import checkpoint, issuer, log_entry, log_state, outcome
from creditbank.storage.tile_store import read_tiles

__all__ = [
    "ExistingRecord",
    "IssuerListing",
    "IssuerRecord",
    "LogHead",
    "StoredCheckpoint",
    "consistency_proof",
    "entries",
    "entry",
    "find_issuer",
    "find_outcome",
    "inclusion_proof",
    "latest_checkpoint",
    "list_issuers",
    "log_head",
    "read_bundle",
    "read_tile",
]


@dataclass(frozen=True, kw_only=True)
class LogHead:
    tree_size: int
    root: bytes


@dataclass(frozen=True, kw_only=True)
class StoredCheckpoint:
    tree_size: int
    root: bytes
    signed_note: str


@dataclass(frozen=True, kw_only=True)
class ExistingRecord:
    entry_index: int
    content_sha256: bytes


async def log_head(connection: AsyncConnection) -> LogHead:
    row = (
        await connection.execute(
            sa.select(log_state.c.tree_size, log_state.c.root_hash).where(log_state.c.id == 1)
        )
    ).one()
    return LogHead(tree_size=row.tree_size, root=bytes(row.root_hash))


async def latest_checkpoint(connection: AsyncConnection) -> StoredCheckpoint | None:
    row = (
        await connection.execute(
            sa.select(checkpoint.c.tree_size, checkpoint.c.root_hash, checkpoint.c.signed_note)
            .order_by(checkpoint.c.id.desc())
            .limit(1)
        )
    ).one_or_none()
    if row is None:
        return None
    return StoredCheckpoint(
        tree_size=row.tree_size, root=bytes(row.root_hash), signed_note=row.signed_note
    )


async def entry(connection: AsyncConnection, index: int) -> bytes:
    body = (
        await connection.execute(sa.select(log_entry.c.body).where(log_entry.c.idx == index))
    ).scalar_one_or_none()
    if body is None:
        raise NotFoundError(f"no entry {index}")
    return bytes(body)


async def entries(connection: AsyncConnection, start: int, end: int) -> list[bytes]:
    """Entries [start, end) in index order."""
    rows = await connection.execute(
        sa.select(log_entry.c.body)
        .where(log_entry.c.idx >= start, log_entry.c.idx < end)
        .order_by(log_entry.c.idx)
    )
    return [bytes(body) for (body,) in rows]


async def read_tile(connection: AsyncConnection, tile: TileId, tree_size: int) -> bytes:
    """A hash tile, if the tree of ``tree_size`` has it at that width."""
    available = (tree_size >> (8 * tile.level)) - tile.index * 256
    if tile.width > min(available, 256) or available <= 0:
        raise NotFoundError(f"the log has no tile {tile.level}/{tile.index} of width {tile.width}")
    return (await read_tiles(connection, [tile]))[tile]


async def read_bundle(connection: AsyncConnection, bundle: BundleId, tree_size: int) -> bytes:
    start = bundle.index * 256
    end = start + bundle.width
    if end > tree_size:
        raise NotFoundError(f"the log has no entry bundle {bundle.index} of width {bundle.width}")
    return encode_entry_bundle(await entries(connection, start, end))


async def inclusion_proof(connection: AsyncConnection, index: int, tree_size: int) -> list[bytes]:
    await _check_size(connection, tree_size)
    if not 0 <= index < tree_size:
        raise ProofError(f"index {index} is not in a tree of size {tree_size}")
    tiles = await read_tiles(connection, tiles_for_inclusion(index, tree_size))
    return inclusion_proof_from_tiles(index, tree_size, tiles)


# Tiles per query when proving many entries at once (each tile is one OR term).
tiles_per_query = 128


async def inclusion_proofs(
    connection: AsyncConnection, indices: Iterable[int], tree_size: int
) -> dict[int, list[bytes]]:
    """Inclusion proofs of many entries in one tree: the size checked once, each tile read
    once, and each interior node hashed once however many proofs share it."""
    await _check_size(connection, tree_size)
    wanted = sorted(set(indices))
    for index in wanted:
        if not 0 <= index < tree_size:
            raise ProofError(f"index {index} is not in a tree of size {tree_size}")
    needed = sorted({tile for index in wanted for tile in tiles_for_inclusion(index, tree_size)})
    tiles: dict[TileId, bytes] = {}
    for start in range(0, len(needed), tiles_per_query):
        tiles.update(await read_tiles(connection, needed[start : start + tiles_per_query]))
    nodes: dict[Node, bytes] = {}

    def node_hash(node: Node) -> bytes:
        found = nodes.get(node)
        if found is None:
            found = nodes[node] = node_from_tiles(tiles, tree_size, node)
        return found

    return {index: merkle_inclusion_proof(index, tree_size, node_hash) for index in wanted}


async def consistency_proof(
    connection: AsyncConnection, old_size: int, new_size: int
) -> list[bytes]:
    await _check_size(connection, new_size)
    if not 0 <= old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    tiles = await read_tiles(connection, tiles_for_consistency(old_size, new_size))
    return consistency_proof_from_tiles(old_size, new_size, tiles)


async def _check_size(connection: AsyncConnection, tree_size: int) -> None:
    head = await log_head(connection)
    if tree_size > head.tree_size:
        raise NotFoundError(f"the log has {head.tree_size} entries, not {tree_size}")


async def find_outcome(
    connection: AsyncConnection, issuer_id: str, record_id: str
) -> ExistingRecord | None:
    row = (
        await connection.execute(
            sa.select(outcome.c.entry_index, outcome.c.content_sha256).where(
                outcome.c.issuer_id == issuer_id, outcome.c.record_id == record_id
            )
        )
    ).one_or_none()
    if row is None:
        return None
    return ExistingRecord(entry_index=row.entry_index, content_sha256=bytes(row.content_sha256))


@dataclass(frozen=True, kw_only=True)
class IssuerRecord(ExistingRecord):
    kind: str
    public_key: str | None = None


async def find_issuer(connection: AsyncConnection, issuer_id: str) -> IssuerRecord | None:
    row = (
        await connection.execute(
            sa.select(
                issuer.c.entry_index, issuer.c.content_sha256, issuer.c.kind, issuer.c.public_key
            ).where(issuer.c.issuer_id == issuer_id)
        )
    ).one_or_none()
    if row is None:
        return None
    return IssuerRecord(
        entry_index=row.entry_index,
        content_sha256=bytes(row.content_sha256),
        kind=row.kind,
        public_key=row.public_key,
    )


@dataclass(frozen=True, kw_only=True)
class IssuerListing:
    issuer_id: str
    name: str
    kind: str
    district: str | None
    entry_index: int


async def list_issuers(connection: AsyncConnection) -> list[IssuerListing]:
    rows = await connection.execute(
        sa.select(
            issuer.c.issuer_id,
            issuer.c.name,
            issuer.c.kind,
            issuer.c.district,
            issuer.c.entry_index,
        ).order_by(issuer.c.issuer_id)
    )
    return [IssuerListing(**row._asdict()) for row in rows]
