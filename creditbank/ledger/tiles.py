"""C2SP tlog-tiles: tile and bundle paths, entry bundles, and the pure integration step.

A tile at level L, index N holds the hashes of the complete subtrees of height 8L numbered
256N .. 256N + 255 (fewer while the tile is partial; its width W says how many). A node of height
8L + r is read from one level-L tile by hashing up its 2**r consecutive hashes, so any proof needs
O(log n) tiles. Storage keeps each tile as immutable segments appended over time; a tile's content
is the concatenation of its segments, so no hash is stored twice and nothing is overwritten.

``integrate`` is the Tessera-style pure function: old size, the old tree's partial ("edge") tiles
and the new leaf hashes in; new size, root, segments to store and new edge tiles out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from creditbank.errors import TileError
from creditbank.ledger.hashing import EMPTY_ROOT, parent_hashes
from creditbank.ledger.merkle import (
    Node,
    consistency_proof,
    inclusion_proof,
    nodes_for_consistency,
    nodes_for_inclusion,
    range_hash,
)
from creditbank.limits import entry_bytes_max, hash_bytes, tile_height, tile_width

__all__ = [
    "BundleId",
    "Integration",
    "Segment",
    "TileId",
    "assemble_tile",
    "bundle_path",
    "consistency_proof_from_tiles",
    "decode_entry_bundle",
    "edge_tiles",
    "encode_entry_bundle",
    "inclusion_proof_from_tiles",
    "integrate",
    "node_from_tiles",
    "parse_tile_path",
    "root_from_edge",
    "tile_for_node",
    "tile_path",
    "tiles_for_consistency",
    "tiles_for_inclusion",
    "tiles_for_nodes",
]

tile_level_max = 63  # C2SP tlog-tiles: levels are at most 63
tile_index_groups_max = 7  # 3-digit groups enough for any index below 2**64
_length_prefix_bytes = 2


class TileId(NamedTuple):
    """Hash tile ``index`` at ``level`` holding ``width`` hashes (1..256; 256 is full)."""

    level: int
    # The field shadows tuple.index on purpose (the name is tlog-tiles'); mypy objects to that.
    index: int  # type: ignore[assignment]
    width: int


class BundleId(NamedTuple):
    """Entry bundle ``index`` holding ``width`` entries (1..256; 256 is full)."""

    index: int  # type: ignore[assignment]  # shadows tuple.index, as in TileId
    width: int


class Segment(NamedTuple):
    """Hashes appended to tile (level, tile_index) at positions start .. start + count - 1."""

    level: int
    tile_index: int
    start: int
    hashes: bytes


class Integration(NamedTuple):
    """The result of integrating leaves: the new tree, what to store, and its edge tiles."""

    size: int
    root: bytes
    segments: list[Segment]
    edge: dict[TileId, bytes]


# Paths.

_TILE_PATH = re.compile(
    r"(?P<level>0|[1-9][0-9]?|entries)/(?P<index>(?:x[0-9]{3}/)*[0-9]{3})"
    r"(?:\.p/(?P<width>[1-9][0-9]{0,2}))?"
)


def _encode_index(index: int) -> str:
    groups: list[str] = []
    while True:
        index, group = divmod(index, 1000)
        groups.append(f"{group:03d}")
        if index == 0:
            break
    groups.reverse()
    return "/".join([f"x{group}" for group in groups[:-1]] + groups[-1:])


def _check_index_and_width(index: int, width: int) -> None:
    if index < 0 or not 1 <= width <= tile_width:
        raise TileError(f"no tile has index {index} and width {width}")


def _width_suffix(width: int) -> str:
    return "" if width == tile_width else f".p/{width}"


def tile_path(tile: TileId) -> str:
    """Return ``tile/<L>/<N>[.p/<W>]``."""
    if not 0 <= tile.level <= tile_level_max:
        raise TileError(f"no tile has level {tile.level}")
    _check_index_and_width(tile.index, tile.width)
    return f"tile/{tile.level}/{_encode_index(tile.index)}{_width_suffix(tile.width)}"


def bundle_path(bundle: BundleId) -> str:
    """Return ``tile/entries/<N>[.p/<W>]``."""
    _check_index_and_width(bundle.index, bundle.width)
    return f"tile/entries/{_encode_index(bundle.index)}{_width_suffix(bundle.width)}"


def parse_tile_path(path: str) -> TileId | BundleId:
    """Parse the part of a tile or bundle path after ``tile/``; only canonical paths parse.

    Canonical means ``tile_path`` or ``bundle_path`` gives the same text back, so one tile has
    one path: no leading zeros in the level or width, no ``x000`` group in front, no ``.p/256``.
    """
    match = _TILE_PATH.fullmatch(path)
    if match is None:
        raise TileError(f"not a tile path: {path!r}")
    groups = match["index"].split("/")
    if len(groups) > tile_index_groups_max:
        raise TileError(f"tile index beyond 64 bits: {path!r}")
    if len(groups) > 1 and groups[0] == "x000":
        raise TileError(f"tile index has a leading zero group: {path!r}")
    index = int("".join(group.removeprefix("x") for group in groups))
    width = tile_width if match["width"] is None else int(match["width"])
    if width >= tile_width and match["width"] is not None:
        raise TileError(f"partial tile width must be below {tile_width}: {path!r}")
    if index >= 1 << 64:
        raise TileError(f"tile index beyond 64 bits: {path!r}")
    if match["level"] == "entries":
        return BundleId(index, width)
    level = int(match["level"])
    if level > tile_level_max:
        raise TileError(f"tile level above {tile_level_max}: {path!r}")
    return TileId(level, index, width)


# Entry bundles.


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Return the entries, each prefixed by its length as a big-endian uint16."""
    if not 1 <= len(entries) <= tile_width:
        raise TileError(f"a bundle holds 1 to {tile_width} entries, not {len(entries)}")
    parts: list[bytes] = []
    for entry in entries:
        if len(entry) > entry_bytes_max:
            raise TileError(f"entry of {len(entry)} bytes exceeds {entry_bytes_max}")
        parts.append(len(entry).to_bytes(_length_prefix_bytes, "big"))
        parts.append(entry)
    return b"".join(parts)


def decode_entry_bundle(data: bytes) -> list[bytes]:
    """Return the entries of a bundle; raise TileError if it is truncated or holds too many."""
    entries: list[bytes] = []
    position, total = 0, len(data)
    while position < total:
        if len(entries) == tile_width:
            raise TileError(f"bundle holds more than {tile_width} entries")
        body = position + _length_prefix_bytes
        if body > total:
            raise TileError(f"bundle truncated in the length of entry {len(entries)}")
        end = body + int.from_bytes(data[position:body], "big")
        if end > total:
            raise TileError(f"bundle truncated in entry {len(entries)}")
        entries.append(data[body:end])
        position = end
    if not entries:
        raise TileError("bundle is empty")
    return entries


# Reading nodes from tiles.


def _split_hashes(data: bytes) -> list[bytes]:
    return [data[offset : offset + hash_bytes] for offset in range(0, len(data), hash_bytes)]


def _tile_width_at(size: int, level: int, index: int) -> int:
    return min(tile_width, (size >> (tile_height * level)) - index * tile_width)


def tile_for_node(node: Node, size: int) -> TileId:
    """Return the tile, at its width in a tree of ``size`` leaves, that node's hash comes from."""
    height, index = node
    if height < 0 or index < 0 or (index + 1) << height > size:
        raise TileError(f"{node} is not a complete subtree of a tree of size {size}")
    level, height_in_tile = divmod(height, tile_height)
    # The node's 2**height_in_tile level hashes are aligned, so they never straddle two tiles.
    tile_index = index >> (tile_height - height_in_tile)
    return TileId(level, tile_index, _tile_width_at(size, level, tile_index))


def tiles_for_nodes(nodes: Iterable[Node], size: int) -> list[TileId]:
    """Return the tiles the given nodes' hashes come from, sorted and unique."""
    return sorted({tile_for_node(node, size) for node in nodes})


def node_from_tiles(tiles: Mapping[TileId, bytes], size: int, node: Node) -> bytes:
    """Return a complete subtree's hash from the tiles of a tree of ``size`` leaves."""
    tile = tile_for_node(node, size)
    data = tiles.get(tile)
    if data is None:
        raise TileError(f"tile {tile_path(tile)} is needed and missing")
    height_in_tile = node.height % tile_height
    first = (node.index << height_in_tile) - tile.index * tile_width
    end = first + (1 << height_in_tile)
    if len(data) < end * hash_bytes:
        raise TileError(f"tile {tile_path(tile)} is too short: {len(data)} bytes")
    hashes = _split_hashes(data[first * hash_bytes : end * hash_bytes])
    for _ in range(height_in_tile):
        hashes = parent_hashes(hashes)
    return hashes[0]


def edge_tiles(size: int) -> list[TileId]:
    """Return the partial tiles of a tree of ``size`` leaves, lowest level first."""
    if size < 0:
        raise TileError(f"no tree has size {size}")
    edge: list[TileId] = []
    level = 0
    while count := size >> (tile_height * level):
        if count % tile_width:
            edge.append(TileId(level, count // tile_width, count % tile_width))
        level += 1
    return edge


def root_from_edge(size: int, edge: Mapping[TileId, bytes]) -> bytes:
    """Return the root of a tree of ``size`` leaves from its edge tiles."""
    if size == 0:
        return EMPTY_ROOT
    return range_hash(0, size, lambda node: node_from_tiles(edge, size, node))


# Proofs from tiles.


def tiles_for_inclusion(index: int, size: int) -> list[TileId]:
    """Return the tiles an inclusion proof of leaf ``index`` in a tree of ``size`` needs."""
    return tiles_for_nodes(nodes_for_inclusion(index, size), size)


def tiles_for_consistency(old_size: int, new_size: int) -> list[TileId]:
    """Return the tiles a consistency proof from ``old_size`` to ``new_size`` needs."""
    return tiles_for_nodes(nodes_for_consistency(old_size, new_size), new_size)


def inclusion_proof_from_tiles(index: int, size: int, tiles: Mapping[TileId, bytes]) -> list[bytes]:
    """Return the audit path of leaf ``index``, reading hashes from ``tiles``."""
    return inclusion_proof(index, size, lambda node: node_from_tiles(tiles, size, node))


def consistency_proof_from_tiles(
    old_size: int, new_size: int, tiles: Mapping[TileId, bytes]
) -> list[bytes]:
    """Return the consistency proof from ``old_size`` to ``new_size``, reading from ``tiles``."""
    return consistency_proof(
        old_size, new_size, lambda node: node_from_tiles(tiles, new_size, node)
    )


# Integration.


def assemble_tile(segments: Sequence[Segment], width: int) -> bytes:
    """Return the first ``width`` hashes of one tile from its segments; TileError on a gap."""
    if not 1 <= width <= tile_width:
        raise TileError(f"no tile has width {width}")
    if len({(segment.level, segment.tile_index) for segment in segments}) > 1:
        raise TileError("segments of different tiles")
    parts: list[bytes] = []
    position = 0
    for segment in sorted(segments, key=lambda segment: segment.start):
        if position >= width:
            break
        count, remainder = divmod(len(segment.hashes), hash_bytes)
        if remainder or not count:
            raise TileError(f"segment at {segment.start} holds {len(segment.hashes)} bytes")
        if segment.start != position:
            raise TileError(f"tile has a gap or overlap at position {position}")
        parts.append(segment.hashes)
        position += count
    if position < width:
        raise TileError(f"tile holds {position} hashes, {width} needed")
    return b"".join(parts)[: width * hash_bytes]


def _segments(level: int, first_index: int, hashes: Sequence[bytes]) -> list[Segment]:
    """Cut new level hashes starting at level index ``first_index`` at tile boundaries."""
    segments: list[Segment] = []
    done = 0
    while done < len(hashes):
        tile_index, start = divmod(first_index + done, tile_width)
        count = min(tile_width - start, len(hashes) - done)
        joined = b"".join(hashes[done : done + count])
        segments.append(Segment(level, tile_index, start, joined))
        done += count
    return segments


def _check_edge(size: int, edge: Mapping[TileId, bytes]) -> None:
    expected = edge_tiles(size)
    if set(edge) != set(expected):
        raise TileError(f"edge tiles of a tree of size {size} must be exactly {expected}")
    for tile in expected:
        if len(edge[tile]) != tile.width * hash_bytes:
            raise TileError(f"edge tile {tile_path(tile)} holds {len(edge[tile])} bytes")


def integrate(size: int, edge: Mapping[TileId, bytes], leaf_hashes: Sequence[bytes]) -> Integration:
    """Extend a tree of ``size`` leaves, given its edge tiles, by ``leaf_hashes``."""
    _check_edge(size, edge)
    assert set(map(len, leaf_hashes)) <= {hash_bytes}, "leaf hashes are 32 bytes"
    new_size = size + len(leaf_hashes)
    segments: list[Segment] = []
    new_edge: dict[TileId, bytes] = {}
    fresh: Sequence[bytes] = leaf_hashes  # the hashes this level gains
    level = 0
    while new_count := new_size >> (tile_height * level):
        old_count = size >> (tile_height * level)
        assert len(fresh) == new_count - old_count
        segments.extend(_segments(level, old_count, fresh))
        # The row is the old partial tile (if any) followed by the new hashes, so it starts at a
        # tile boundary; every complete tile in it was completed by this call.
        first_tile = old_count // tile_width
        old_tile = TileId(level, first_tile, old_count % tile_width)
        row = _split_hashes(edge[old_tile]) if old_tile.width else []
        row.extend(fresh)
        completed = new_count // tile_width - first_tile
        if new_count % tile_width:
            partial = TileId(level, new_count // tile_width, new_count % tile_width)
            new_edge[partial] = b"".join(row[completed * tile_width :])
        # Hash each completed tile up once: eight levels over the whole run of complete tiles
        # give one parent hash per tile, which is the next level's new hashes.
        fresh = row[: completed * tile_width]
        for _ in range(tile_height):
            fresh = parent_hashes(fresh)
        level += 1
    return Integration(new_size, root_from_edge(new_size, new_edge), segments, new_edge)
