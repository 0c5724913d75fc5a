"""Reading hashes back from the tile segments.

Tiles are stored as immutable segments (see ``creditbank.ledger.tiles.Segment``): a tile's hashes
are the concatenation of its segments ordered by ``start``. One query reads any set of tiles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.errors import IntegrityError, TileError
from creditbank.ledger.tiles import Segment, TileId, assemble_tile
from creditbank.storage.bulk import bulk_insert
from creditbank.storage.tables import tile_segment

__all__ = ["insert_segments", "read_tiles"]

_SEGMENT_COLUMNS = ("level", "tile_index", "start", "hashes")


async def read_tiles(connection: AsyncConnection, tiles: Iterable[TileId]) -> dict[TileId, bytes]:
    """The hashes of each tile at the width asked for (TileError if the log lacks them)."""
    wanted = sorted(set(tiles))
    if not wanted:
        return {}
    keys = {(tile.level, tile.index) for tile in wanted}
    condition = sa.or_(
        *(
            sa.and_(tile_segment.c.level == level, tile_segment.c.tile_index == index)
            for level, index in sorted(keys)
        )
    )
    rows = await connection.execute(
        sa.select(
            tile_segment.c.level,
            tile_segment.c.tile_index,
            tile_segment.c.start,
            tile_segment.c.hashes,
        )
        .where(condition)
        .order_by(tile_segment.c.level, tile_segment.c.tile_index, tile_segment.c.start)
    )
    segments: dict[tuple[int, int], list[Segment]] = defaultdict(list)
    for level, index, start, hashes in rows:
        segments[(level, index)].append(Segment(level, index, start, bytes(hashes)))
    try:
        return {
            tile: assemble_tile(segments[(tile.level, tile.index)], tile.width) for tile in wanted
        }
    except TileError as error:
        # Callers ask only for tiles the log must have: a gap is damage, not a bad request.
        raise IntegrityError(f"the stored tiles are damaged: {error.message}") from error


async def insert_segments(connection: AsyncConnection, segments: Sequence[Segment]) -> None:
    await bulk_insert(connection, tile_segment, _SEGMENT_COLUMNS, segments)
