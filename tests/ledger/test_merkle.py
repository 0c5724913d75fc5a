"""The Merkle tree against a naive recursive reference written literally from RFC 9162 2.1.

The reference (``mth``, ``path``, ``proof``) shares no code with ``creditbank.ledger``: it hashes
entries itself and recurses exactly as the RFC's definitions do, memoised on the leaf range so
that the exhaustive checks stay quick; it lives in ``rfc9162_reference``.
"""

from __future__ import annotations

import hashlib
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.ledger.hashing import EMPTY_ROOT, leaf_hash, leaf_hashes, node_hash
from creditbank.ledger.merkle import (
    MemoryTree,
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    nodes_for_consistency,
    nodes_for_inclusion,
    range_hash,
    range_nodes,
    root_hash,
    split_point,
    verify_consistency,
    verify_inclusion,
)
from tests.ledger.merkle_fixtures import (
    EXHAUSTIVE_SIZE_MAX,
    LARGE_SIZE_MAX,
    LEAF_HASHES,
    TAMPER_SIZE_MAX,
    TREE,
    check_consistency,
    check_inclusion,
    recording,
)
from tests.ledger.rfc9162_reference import ENTRIES, largest_power_of_two_below, mth, path, proof

# Hashing.


def test_hashing_uses_rfc_prefixes() -> None:
    """Leaf and node hashes use the 0x00 and 0x01 prefixes; the empty root is SHA-256("")."""
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert (
        node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    )
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert leaf_hashes(ENTRIES[:50]) == [mth(number, number + 1) for number in range(50)]
    assert leaf_hashes([]) == []


def test_split_point_is_largest_power_of_two_below() -> None:
    """split_point(n) is the largest power of two strictly below n."""
    for n in range(2, 5_000):
        assert split_point(n) == largest_power_of_two_below(n)
    assert split_point(2**60 + 1) == 2**60
    assert split_point(2**60) == 2**59


# Exhaustive agreement with the reference.


def test_roots_match_reference_for_every_size() -> None:
    """root_hash, MemoryTree.root and range_hash give MTH(D[0:n]) for every n up to 300."""
    tree = MemoryTree()
    for size in range(EXHAUSTIVE_SIZE_MAX + 1):
        assert root_hash(LEAF_HASHES[:size]) == mth(0, size)
        assert tree.root() == mth(0, size)
        assert TREE.root(size) == mth(0, size)
        if size < EXHAUSTIVE_SIZE_MAX:
            tree.append([LEAF_HASHES[size]])


def test_inclusion_proofs_match_reference_for_every_size() -> None:
    """Every inclusion proof in every tree up to 300 leaves equals PATH and verifies."""
    for size in range(1, EXHAUSTIVE_SIZE_MAX + 1):
        root = mth(0, size)
        for index in range(size):
            hashes = TREE.inclusion_proof(index, size)
            assert hashes == path(index, 0, size), (index, size)
            verify_inclusion(LEAF_HASHES[index], index, size, hashes, root)


def test_consistency_proofs_match_reference_for_every_pair() -> None:
    """Every consistency proof between trees up to 300 leaves equals PROOF and verifies."""
    for new_size in range(EXHAUSTIVE_SIZE_MAX + 1):
        new_root = mth(0, new_size)
        for old_size in range(new_size + 1):
            hashes = TREE.consistency_proof(old_size, new_size)
            assert hashes == proof(old_size, new_size), (old_size, new_size)
            verify_consistency(old_size, new_size, mth(0, old_size), new_root, hashes)


def test_tampered_inclusion_proofs_are_rejected_for_every_small_size() -> None:
    """Flipped bits, a wrong index, a truncated or extended proof fail; sizes bind by shape."""
    for size in range(1, TAMPER_SIZE_MAX + 1):
        for index in range(size):
            check_inclusion(index, size)


def test_tampered_consistency_proofs_are_rejected_for_every_small_pair() -> None:
    """Flipped bits or roots, a truncated or extended proof fail; sizes bind by shape."""
    for new_size in range(TAMPER_SIZE_MAX + 1):
        for old_size in range(new_size + 1):
            check_consistency(old_size, new_size)


def test_proofs_read_exactly_the_nodes_announced() -> None:
    """nodes_for_inclusion/consistency are sorted, unique and exactly what the proofs read."""
    for size in range(TAMPER_SIZE_MAX * 2):
        for other in range(size + 1):
            record, asked = recording(TREE.node_hash)
            consistency_proof(other, size, record)
            assert nodes_for_consistency(other, size) == sorted(asked)
            if other < size:
                record, asked = recording(TREE.node_hash)
                inclusion_proof(other, size, record)
                assert nodes_for_inclusion(other, size) == sorted(asked)


# Random larger trees.


@settings(max_examples=150, deadline=None)
@given(data=st.data(), size=st.integers(EXHAUSTIVE_SIZE_MAX + 1, LARGE_SIZE_MAX))
def test_large_trees_match_reference(data: st.DataObject, size: int) -> None:
    """In larger trees, roots and proofs equal the reference, verify, and resist tampering."""
    index = data.draw(st.integers(0, size - 1), label="index")
    old_size = data.draw(st.integers(0, size), label="old_size")
    assert root_hash(LEAF_HASHES[:size]) == mth(0, size)
    assert TREE.root(size) == mth(0, size)
    check_inclusion(index, size)
    check_consistency(old_size, size)
    record, asked = recording(TREE.node_hash)
    inclusion_proof(index, size, record)
    assert nodes_for_inclusion(index, size) == sorted(asked)


@settings(max_examples=100, deadline=None)
@given(multiple=st.integers(0, 1_000), size=st.one_of(st.integers(0, 300), st.integers(0, 2**70)))
def test_range_nodes_tile_the_range_by_binary_digits(multiple: int, size: int) -> None:
    """range_nodes covers an aligned range exactly, with heights following size's set bits."""
    start = multiple << max(size.bit_length() - 1, 0)
    nodes = range_nodes(start, start + size)
    assert [node.height for node in nodes] == [
        height for height in range(size.bit_length() - 1, -1, -1) if size >> height & 1
    ]
    position = start
    for node in nodes:
        assert node.index << node.height == position
        position += 1 << node.height
    assert position == start + size


def test_range_hash_is_mth_of_every_proof_range() -> None:
    """range_hash over the proof ranges equals MTH of the same leaves."""
    for size in range(1, 130):
        ranges = {*consistency_ranges(size // 3, size), *inclusion_ranges(size // 2, size)}
        for start, end in ranges:
            assert range_hash(start, end, TREE.node_hash) == mth(start, end)
    assert range_hash(0, 0, TREE.node_hash) == EMPTY_ROOT


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(0, 700), max_size=6))
def test_memory_tree_grows_in_any_batches(cuts: list[int]) -> None:
    """Appending in batches gives the same tree, and old sizes keep their roots."""
    tree = MemoryTree()
    bounds = [0, *sorted(cuts), 700]
    for start, end in itertools.pairwise(bounds):
        tree.append(LEAF_HASHES[start:end])
        assert tree.size == end
        assert tree.root() == mth(0, end)
        assert tree.root(start) == mth(0, start)
