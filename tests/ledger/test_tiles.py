"""Tiles, bundles and integration against the naive reference of ``test_merkle``.

A naive tile is read straight off the definition: tile N of level L holds MTH of the complete
subtrees of height 8L numbered 256N onwards, computed by the RFC's recursion.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from creditbank.errors import TileError
from creditbank.ledger.hashing import EMPTY_ROOT, leaf_hashes
from creditbank.ledger.merkle import Node, consistency_ranges, inclusion_ranges, range_nodes
from creditbank.ledger.tiles import (
    BundleId,
    Segment,
    TileId,
    assemble_tile,
    bundle_path,
    consistency_proof_from_tiles,
    decode_entry_bundle,
    edge_tiles,
    encode_entry_bundle,
    inclusion_proof_from_tiles,
    integrate,
    node_from_tiles,
    parse_tile_path,
    root_from_edge,
    tile_for_node,
    tile_path,
    tiles_for_consistency,
    tiles_for_inclusion,
)
from tests.ledger.rfc9162_reference import ENTRIES, ENTRIES_MAX, mth, path, proof

ALL_LEAF_HASHES = leaf_hashes(ENTRIES)


def naive_tile(tile: TileId) -> bytes:
    """The tile's hashes from the RFC recursion: MTH of each height-8L subtree."""
    height = 8 * tile.level
    first = tile.index * 256
    return b"".join(
        mth(number << height, (number + 1) << height) for number in range(first, first + tile.width)
    )


def all_tiles(size: int) -> list[TileId]:
    """Every tile, full or partial, of a tree of ``size`` leaves."""
    tiles: list[TileId] = []
    level = 0
    while count := size >> (8 * level):
        tiles.extend(
            TileId(level, index, min(256, count - 256 * index)) for index in range(-(-count // 256))
        )
        level += 1
    return tiles


# Paths.


def test_tile_path_examples() -> None:
    """Paths follow tlog-tiles: 3-digit groups, x on all but the last, .p/W only if partial."""
    assert tile_path(TileId(0, 1234067, 5)) == "tile/0/x001/x234/067.p/5"
    assert tile_path(TileId(0, 5, 256)) == "tile/0/005"
    assert tile_path(TileId(1, 1234, 256)) == "tile/1/x001/234"
    assert tile_path(TileId(2, 1000, 1)) == "tile/2/x001/000.p/1"
    assert tile_path(TileId(63, 0, 255)) == "tile/63/000.p/255"
    assert bundle_path(BundleId(1234, 256)) == "tile/entries/x001/234"
    assert bundle_path(BundleId(5, 17)) == "tile/entries/005.p/17"


def test_tile_path_rejects_impossible_tiles() -> None:
    """Width outside 1..256, level outside 0..63 and negative indexes raise TileError."""
    for tile in (TileId(0, 0, 0), TileId(0, 0, 257), TileId(64, 0, 1), TileId(0, -1, 1)):
        with pytest.raises(TileError):
            tile_path(tile)
    for bundle in (BundleId(0, 0), BundleId(-1, 3), BundleId(0, 300)):
        with pytest.raises(TileError):
            bundle_path(bundle)


@settings(max_examples=200, deadline=None)
@given(
    level=st.integers(0, 63),
    index=st.one_of(st.integers(0, 2_000), st.integers(0, 2**64 - 1)),
    width=st.integers(1, 256),
)
def test_paths_round_trip(level: int, index: int, width: int) -> None:
    """parse_tile_path inverts tile_path and bundle_path."""
    tile = TileId(level, index, width)
    assert parse_tile_path(tile_path(tile).removeprefix("tile/")) == tile
    bundle = BundleId(index, width)
    assert parse_tile_path(bundle_path(bundle).removeprefix("tile/")) == bundle


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0",
        "0/",
        "0/5",
        "0/0005",
        "0/x1/005",
        "0/001/002",  # missing x on the first group
        "0/x001/x002",  # x on the last group
        "0/x000/005",  # a leading zero group is not canonical
        "00/001",
        "01/001",
        "64/001",
        "-1/001",
        "+1/001",
        "0/001.p/0",
        "0/001.p/256",
        "0/001.p/05",
        "0/001.p/",
        "0/001.p/5/",
        "0/001.p/5.p/5",
        "/0/001",
        "0/001/",
        " 0/001",
        "0/001 ",
        "0/001\n",
        "tile/0/001",
        "entries/001.p/256",
        "entry/001",
        "0/x001/x002/x003/x004/x005/x006/x007/008",  # more than 64 bits
        "0/x018/x446/x744/x073/x709/x551/616",  # 2**64
        "0/\u0660\u0660\u0665",  # Arabic-Indic digits are not ASCII digits
        "0/00\uff15",
    ],
)
def test_malformed_paths_raise_tile_error(text: str) -> None:
    """Non-canonical or malformed tile paths raise TileError."""
    with pytest.raises(TileError):
        parse_tile_path(text)


path_alphabet = st.sampled_from([*"0123456789x/.p", "entries/", "x00", ".p/", "/"])


@settings(max_examples=500, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=40),
        st.lists(path_alphabet, max_size=16).map("".join),
    )
)
def test_parse_tile_path_raises_only_tile_error(text: str) -> None:
    """Arbitrary text either parses to a tile that prints back to it, or raises TileError."""
    try:
        parsed = parse_tile_path(text)
    except TileError:
        return
    printed = bundle_path(parsed) if isinstance(parsed, BundleId) else tile_path(parsed)
    assert printed == "tile/" + text


# Entry bundles.


@settings(max_examples=100, deadline=None)
@given(entries=st.lists(st.binary(max_size=300), min_size=1, max_size=256))
def test_bundles_round_trip(entries: list[bytes]) -> None:
    """decode_entry_bundle inverts encode_entry_bundle."""
    assert decode_entry_bundle(encode_entry_bundle(entries)) == entries


def test_bundle_limits() -> None:
    """Entries up to 65535 bytes encode; longer entries, empty and oversized bundles do not."""
    largest = [b"a" * 65_535, b""]
    encoded = encode_entry_bundle(largest)
    assert encoded[:2] == b"\xff\xff"
    assert decode_entry_bundle(encoded) == largest
    for entries in ([b"a" * 65_536], [], [b"x"] * 257):
        with pytest.raises(TileError):
            encode_entry_bundle(entries)
    with pytest.raises(TileError):
        decode_entry_bundle(b"")
    with pytest.raises(TileError):
        decode_entry_bundle(b"\x00\x00" * 257)


@settings(max_examples=50, deadline=None)
@given(entries=st.lists(st.binary(max_size=20), min_size=1, max_size=20))
def test_truncated_bundles_raise_tile_error(entries: list[bytes]) -> None:
    """Cutting a bundle inside an entry raises TileError; at a boundary it is a shorter bundle."""
    encoded = encode_entry_bundle(entries)
    boundaries: dict[int, int] = {}  # byte offset after an entry -> entries before it
    offset = 0
    for count, entry in enumerate(entries, start=1):
        offset += 2 + len(entry)
        boundaries[offset] = count
    for cut in range(len(encoded)):
        if cut in boundaries:
            assert decode_entry_bundle(encoded[:cut]) == entries[: boundaries[cut]]
        else:
            with pytest.raises(TileError):
                decode_entry_bundle(encoded[:cut])


# Nodes from tiles.


def test_edge_tiles_examples() -> None:
    """Edge tiles are the partial tile of each level with hashes, lowest level first."""
    assert edge_tiles(0) == []
    assert edge_tiles(1) == [TileId(0, 0, 1)]
    assert edge_tiles(256) == [TileId(1, 0, 1)]
    assert edge_tiles(300) == [TileId(0, 1, 44), TileId(1, 0, 1)]
    assert edge_tiles(512) == [TileId(1, 0, 2)]
    assert edge_tiles(65_536) == [TileId(2, 0, 1)]
    assert edge_tiles(70_000) == [TileId(0, 273, 112), TileId(1, 1, 17), TileId(2, 0, 1)]
    with pytest.raises(TileError):
        edge_tiles(-1)


def test_tile_for_node_examples() -> None:
    """A node is read from the tile of level height//8 holding its first level hash."""
    assert tile_for_node(Node(0, 300), 301) == TileId(0, 1, 45)
    assert tile_for_node(Node(3, 36), 300) == TileId(0, 1, 44)
    assert tile_for_node(Node(7, 1), 256) == TileId(0, 0, 256)
    assert tile_for_node(Node(8, 0), 300) == TileId(1, 0, 1)
    assert tile_for_node(Node(9, 1), 1024) == TileId(1, 0, 4)
    assert tile_for_node(Node(16, 0), 70_000) == TileId(2, 0, 1)
    for node, size in ((Node(0, 5), 5), (Node(3, 1), 15), (Node(-1, 0), 4), (Node(0, -1), 4)):
        with pytest.raises(TileError):
            tile_for_node(node, size)


def test_node_from_tiles_needs_its_tile() -> None:
    """A missing or short tile raises TileError; a full one gives MTH of the node."""
    tile = TileId(0, 0, 256)
    tiles = {tile: naive_tile(tile)}
    assert node_from_tiles(tiles, 256, Node(7, 1)) == mth(128, 256)
    assert node_from_tiles(tiles, 256, Node(2, 5)) == mth(20, 24)
    with pytest.raises(TileError):
        node_from_tiles({}, 256, Node(2, 5))
    with pytest.raises(TileError):
        node_from_tiles({tile: tiles[tile][:-32]}, 256, Node(7, 1))
    with pytest.raises(TileError):
        node_from_tiles(tiles, 256, Node(8, 0))  # read from the level-1 tile, not given


def test_proofs_need_few_tiles() -> None:
    """Proofs in huge trees name O(log n) tiles: at most three per level."""
    for size in (2**40 + 12_345, 2**63 - 1, 10**18):
        levels = -(-size.bit_length() // 8)
        for index in (0, size // 3, size - 1):
            assert len(tiles_for_inclusion(index, size)) <= 3 * levels
        for old_size in (1, size // 7, size - 1):
            assert len(tiles_for_consistency(old_size, size)) <= 3 * levels


# Integration.


def test_integrate_rejects_wrong_edges() -> None:
    """The edge must be exactly the old tree's partial tiles, each at its width."""
    first = integrate(0, {}, ALL_LEAF_HASHES[:300])
    tile0, tile1 = TileId(0, 1, 44), TileId(1, 0, 1)
    assert set(first.edge) == {tile0, tile1}
    wrong_edges = [
        {tile0: first.edge[tile0]},
        {**first.edge, TileId(0, 0, 256): naive_tile(TileId(0, 0, 256))},
        {**first.edge, tile0: first.edge[tile0][:-32]},
        {**first.edge, tile1: first.edge[tile1] + b"\x00" * 32},
    ]
    for edge in wrong_edges:
        with pytest.raises(TileError):
            integrate(300, edge, ALL_LEAF_HASHES[300:310])
    with pytest.raises(TileError):
        integrate(-1, {}, [])


def test_integrating_nothing_keeps_the_tree() -> None:
    """An empty batch changes nothing and stores nothing."""
    empty = integrate(0, {}, [])
    assert empty == (0, EMPTY_ROOT, [], {})
    first = integrate(0, {}, ALL_LEAF_HASHES[:1000])
    again = integrate(1000, first.edge, [])
    assert again == (1000, first.root, [], first.edge)


def test_assemble_tile_rejects_gaps_and_mixed_tiles() -> None:
    """A tile assembled from segments must be contiguous from position 0 and of one tile."""
    first, second = Segment(0, 3, 0, b"a" * 64), Segment(0, 3, 2, b"b" * 32)
    assert assemble_tile([second, first], 3) == b"a" * 64 + b"b" * 32
    assert assemble_tile([second, first], 1) == b"a" * 32
    bad = [
        ([second], 3),
        ([first], 3),
        ([first, Segment(0, 3, 1, b"c" * 64)], 3),
        ([first, Segment(0, 4, 2, b"b" * 32)], 3),
        ([first, Segment(0, 3, 2, b"b" * 31)], 3),
        ([first, second], 0),
        ([first, second], 257),
    ]
    for segments, width in bad:
        with pytest.raises(TileError):
            assemble_tile(segments, width)


@st.composite
def batches(draw: st.DrawFn) -> list[tuple[int, int]]:
    """A number of leaves cut into batches (some empty); mostly small, sometimes large."""
    large = draw(st.integers(0, 9)) == 0
    total = draw(st.integers(0, 70_000 if large else 1_500))
    cuts = draw(st.lists(st.integers(0, total), max_size=8))
    bounds = [0, *sorted(cuts), total]
    return list(itertools.pairwise(bounds))


def check_proofs_from_segments(
    segments: dict[tuple[int, int], list[Segment]], old_size: int, size: int
) -> None:
    """Proofs at ``size``, read from tiles assembled out of stored segments, equal the RFC's."""
    for index in {0, size // 2, size - 1}:
        wanted = tiles_for_inclusion(index, size)
        tiles = {
            tile: assemble_tile(segments[tile.level, tile.index], tile.width) for tile in wanted
        }
        assert inclusion_proof_from_tiles(index, size, tiles) == path(index, 0, size)
    wanted = tiles_for_consistency(old_size, size)
    tiles = {tile: assemble_tile(segments[tile.level, tile.index], tile.width) for tile in wanted}
    assert consistency_proof_from_tiles(old_size, size, tiles) == proof(old_size, size)


@settings(max_examples=80, deadline=None)
@given(cuts=batches())
@example(cuts=[(0, 1), (1, 65_535), (65_535, 65_536), (65_536, 65_536), (65_536, 70_000)])
@example(cuts=[(0, 30_000), (30_000, 69_999), (69_999, ENTRIES_MAX)])
def test_integrate_matches_reference(cuts: list[tuple[int, int]]) -> None:
    """Chained integrations give RFC roots, edges, tiles made of disjoint segments, and proofs."""
    size = 0
    edge: dict[TileId, bytes] = {}
    segments: dict[tuple[int, int], list[Segment]] = defaultdict(list)
    for start, end in cuts:
        assert start == size
        result = integrate(size, edge, ALL_LEAF_HASHES[start:end])
        assert result.size == end
        assert result.root == mth(0, end)
        assert result.root == root_from_edge(end, result.edge)
        assert list(result.edge) == edge_tiles(end)
        assert all(content == naive_tile(tile) for tile, content in result.edge.items())
        for segment in result.segments:
            count = len(segment.hashes) // 32
            assert count > 0
            assert len(segment.hashes) == 32 * count
            assert segment.start + count <= 256  # never straddles a tile boundary
            segments[segment.level, segment.tile_index].append(segment)
        if end:
            check_proofs_from_segments(segments, start, end)
        size, edge = result.size, result.edge
    expected_tiles = all_tiles(size)
    assert sorted(segments) == sorted((tile.level, tile.index) for tile in expected_tiles)
    for tile in expected_tiles:
        stored = segments[tile.level, tile.index]
        # Every hash is stored exactly once: the segments add up to the width, no more.
        assert sum(len(segment.hashes) for segment in stored) == 32 * tile.width
        assert assemble_tile(stored, tile.width) == naive_tile(tile)


def test_proof_ranges_come_from_the_tiles_announced() -> None:
    """Every node of every proof range is in a tile that tiles_for_* names."""
    for size in (1, 255, 256, 257, 65_535, 65_536, 69_999):
        for index in (0, size // 2, size - 1):
            tiles = set(tiles_for_inclusion(index, size))
            for start, end in inclusion_ranges(index, size):
                assert {tile_for_node(node, size) for node in range_nodes(start, end)} <= tiles
        for old_size in (1, size // 2, size - 1):
            tiles = set(tiles_for_consistency(old_size, size))
            for start, end in consistency_ranges(old_size, size):
                assert {tile_for_node(node, size) for node in range_nodes(start, end)} <= tiles
