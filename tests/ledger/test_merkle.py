"""The Merkle tree against a naive recursive reference written literally from RFC 9162 2.1.

The reference (``mth``, ``path``, ``proof``) shares no code with ``creditbank.ledger``: it hashes
entries itself and recurses exactly as the RFC's definitions do, memoised on the leaf range so
that the exhaustive checks stay quick; it lives in ``rfc9162_reference``.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import ProofError
from creditbank.ledger.hashing import EMPTY_ROOT, leaf_hash, leaf_hashes, node_hash
from creditbank.ledger.merkle import (
    MemoryTree,
    Node,
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
from tests.ledger.rfc9162_reference import ENTRIES, largest_power_of_two_below, mth, path, proof

EXHAUSTIVE_SIZE_MAX = 300
TAMPER_SIZE_MAX = 48  # every tampering of every proof up to this size
LARGE_SIZE_MAX = 5_000
# Shared fixtures: one tree large enough for every test, built once.

LEAF_HASHES = leaf_hashes(ENTRIES[:LARGE_SIZE_MAX])
TREE = MemoryTree(LEAF_HASHES)


def flip(value: bytes, bit: int = 0) -> bytes:
    """The value with one bit flipped."""
    position = bit % (len(value) * 8)
    changed = bytearray(value)
    changed[position // 8] ^= 1 << (position % 8)
    return bytes(changed)


def path_shape(m: int, n: int) -> list[str]:
    """Which side each hash of PATH(m, D[n]) sits on, from the leaf up."""
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return [*path_shape(m, k), "right"]
    return [*path_shape(m - k, n - k), "left"]


def subproof_shape(m: int, n: int, b: bool) -> list[str]:
    """The structure of SUBPROOF(m, D[n], b): where each hash sits."""
    if m == n:
        return [] if b else ["old"]
    k = largest_power_of_two_below(n)
    if m <= k:
        return [*subproof_shape(m, k, b), "right"]
    return [*subproof_shape(m - k, n - k, False), "left"]


def proof_shape(m: int, n: int) -> list[str]:
    """The structure of a consistency proof, including the two trivial cases."""
    if m == 0:
        return ["empty"]  # any new tree extends the empty tree
    if m == n:
        return ["equal"]
    return subproof_shape(m, n, True)


# An RFC 9162 proof binds the root, not the tree size: the checkpoint signs size and root
# together. The verifier only sees the sizes through the shape of the path they imply, so a
# proof checked against other sizes verifies exactly when those sizes imply the same shape
# (index 0 of a tree of 3 has the path of index 0 of a tree of 4). The tests pin that rule.


def inclusion_tamperings(
    leaf: bytes, index: int, size: int, hashes: list[bytes], root: bytes
) -> Iterator[tuple[bytes, int, int, list[bytes], bytes]]:
    """Ways to break a valid inclusion proof that must always be rejected."""
    for position in range(len(hashes)):
        for bit in (0, 7 * position + 3, 255):
            changed = [*hashes]
            changed[position] = flip(hashes[position], bit)
            yield leaf, index, size, changed, root
    yield flip(leaf), index, size, hashes, root
    yield leaf, index, size, hashes, flip(root, 100)
    for wrong_index in (index - 1, index + 1, size, -1):
        yield leaf, wrong_index, size, hashes, root
    yield leaf, index, 0, hashes, root
    if hashes:
        yield leaf, index, size, hashes[:-1], root
        yield leaf, index, size, hashes[1:], root
    yield leaf, index, size, [*hashes, root], root
    yield leaf, index, size, [leaf, *hashes], root


def consistency_tamperings(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, hashes: list[bytes]
) -> Iterator[tuple[int, int, bytes, bytes, list[bytes]]]:
    """Ways to break a valid consistency proof that must always be rejected."""
    yield old_size, new_size, flip(old_root, 5), new_root, hashes
    yield old_size, new_size, old_root, new_root, [*hashes, new_root]
    yield old_size + new_size + 1, new_size, old_root, new_root, hashes
    yield -1, new_size, old_root, new_root, hashes
    if old_size == 0:
        return  # an empty old tree says nothing about the new tree: only its root can be wrong
    for position in range(len(hashes)):
        for bit in (0, 11 * position + 1, 255):
            changed = [*hashes]
            changed[position] = flip(hashes[position], bit)
            yield old_size, new_size, old_root, new_root, changed
    yield old_size, new_size, old_root, flip(new_root, 200), hashes
    if old_size != new_size:
        yield old_size, new_size, new_root, old_root, hashes
    if hashes:
        yield old_size, new_size, old_root, new_root, hashes[:-1]
        yield old_size, new_size, old_root, new_root, hashes[1:]
        yield old_size, new_size, old_root, new_root, [old_root, *hashes]


def assert_all_rejected(
    verify: Callable[..., None], tamperings: Iterator[tuple[object, ...]]
) -> None:
    """Each set of arguments makes ``verify`` raise ProofError."""
    for arguments in tamperings:
        with pytest.raises(ProofError):
            verify(*arguments)


def nearby_sizes(size: int) -> list[int]:
    """Other sizes to check a proof against."""
    return [other for other in (size - 1, size + 1, 2 * size, size + 2) if other != size]


def check_inclusion(index: int, size: int) -> None:
    """Proof equals the reference and verifies; tampering is rejected; other sizes per shape."""
    hashes = TREE.inclusion_proof(index, size)
    leaf, root = LEAF_HASHES[index], mth(0, size)
    assert hashes == path(index, 0, size)
    verify_inclusion(leaf, index, size, hashes, root)
    assert_all_rejected(verify_inclusion, inclusion_tamperings(leaf, index, size, hashes, root))
    for other in nearby_sizes(size):
        if index < other and path_shape(index, other) == path_shape(index, size):
            verify_inclusion(leaf, index, other, hashes, root)
        else:
            with pytest.raises(ProofError):
                verify_inclusion(leaf, index, other, hashes, root)


def check_consistency(old_size: int, new_size: int) -> None:
    """Proof equals the reference and verifies; tampering is rejected; other sizes per shape."""
    hashes = TREE.consistency_proof(old_size, new_size)
    assert hashes == proof(old_size, new_size)
    old_root, new_root = mth(0, old_size), mth(0, new_size)
    verify_consistency(old_size, new_size, old_root, new_root, hashes)
    assert_all_rejected(
        verify_consistency,
        consistency_tamperings(old_size, new_size, old_root, new_root, hashes),
    )
    shape = proof_shape(old_size, new_size)
    new_root_is_empty = new_root == EMPTY_ROOT
    others = [(old, new_size) for old in nearby_sizes(old_size)]
    others += [(old_size, new) for new in nearby_sizes(new_size)]
    for old, new in others:
        arguments = (old, new, old_root, new_root, hashes)
        # The empty tree has one root, so claiming size 0 for a real root never verifies.
        if 0 <= old <= new and proof_shape(old, new) == shape and (new or new_root_is_empty):
            verify_consistency(*arguments)
        else:
            with pytest.raises(ProofError):
                verify_consistency(*arguments)


def recording(hash_of: Callable[[Node], bytes]) -> tuple[Callable[[Node], bytes], set[Node]]:
    """A hash_of that remembers which nodes it was asked for."""
    asked: set[Node] = set()

    def record(node: Node) -> bytes:
        asked.add(node)
        return hash_of(node)

    return record, asked


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


# Bad arguments and inputs.


def test_bad_proof_arguments_raise_proof_error() -> None:
    """Out-of-range indexes and sizes raise ProofError, never IndexError or ValueError."""
    bad_calls: list[Callable[[], object]] = [
        lambda: inclusion_ranges(5, 5),
        lambda: inclusion_ranges(-1, 5),
        lambda: inclusion_ranges(0, 0),
        lambda: consistency_ranges(6, 5),
        lambda: consistency_ranges(-1, 5),
        lambda: TREE.inclusion_proof(3, LARGE_SIZE_MAX + 1),
        lambda: TREE.consistency_proof(3, LARGE_SIZE_MAX + 1),
        lambda: TREE.root(-1),
        lambda: TREE.node_hash(Node(0, LARGE_SIZE_MAX)),
        lambda: TREE.node_hash(Node(40, 0)),
        lambda: TREE.node_hash(Node(-1, 0)),
        lambda: range_nodes(3, 5),  # not an RFC subtree: 3 is not a multiple of 2
        lambda: range_nodes(5, 4),
        lambda: range_hash(5, 5, TREE.node_hash),
    ]
    for call in bad_calls:
        with pytest.raises(ProofError):
            call()


def test_trivial_consistency_rules() -> None:
    """From size 0 only an empty proof passes; equal sizes need equal roots and no hashes."""
    root = mth(0, 7)
    verify_consistency(0, 7, EMPTY_ROOT, root, [])
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(7, 7, root, root, [])
    for arguments in [
        (0, 7, EMPTY_ROOT, root, [root]),
        (0, 7, root, root, []),
        (0, 0, root, root, []),
        (0, 0, EMPTY_ROOT, root, []),
        (7, 7, root, mth(0, 6), []),
        (7, 7, root, root, [root]),
        (7, 6, root, root, []),
        (-1, 0, EMPTY_ROOT, EMPTY_ROOT, []),
    ]:
        with pytest.raises(ProofError):
            verify_consistency(*arguments)


def test_verifiers_reject_malformed_hashes() -> None:
    """Hashes of the wrong length or type raise ProofError."""
    hashes = TREE.inclusion_proof(3, 10)
    root = mth(0, 10)
    with pytest.raises(ProofError):
        verify_inclusion(LEAF_HASHES[3][:31], 3, 10, hashes, root)
    with pytest.raises(ProofError):
        verify_inclusion(LEAF_HASHES[3], 3, 10, [*hashes[:-1], hashes[-1] + b"\x00"], root)
    with pytest.raises(ProofError):
        verify_inclusion(LEAF_HASHES[3], 3, 10, hashes, root.hex())  # type: ignore[arg-type]
    consistency = TREE.consistency_proof(3, 10)
    with pytest.raises(ProofError):
        verify_consistency(3, 10, mth(0, 3), root, [consistency[0][:16], *consistency[1:]])
    with pytest.raises(ProofError):
        verify_consistency(3, 10, mth(0, 3), b"", consistency)


hash_like = st.one_of(st.binary(min_size=32, max_size=32), st.binary(max_size=40))
sizes = st.one_of(st.integers(-3, 20), st.integers(-(2**70), 2**70))


@settings(max_examples=300, deadline=None)
@given(
    leaf=hash_like,
    index=sizes,
    size=sizes,
    hashes=st.lists(hash_like, max_size=80),
    root=hash_like,
)
def test_verify_inclusion_only_raises_proof_error(
    leaf: bytes, index: int, size: int, hashes: list[bytes], root: bytes
) -> None:
    """Arbitrary inputs to verify_inclusion either verify or raise ProofError."""
    try:
        verify_inclusion(leaf, index, size, hashes, root)
    except ProofError:
        return
    assert 0 <= index < size


@settings(max_examples=300, deadline=None)
@given(
    old_size=sizes,
    new_size=sizes,
    old_root=hash_like,
    new_root=hash_like,
    hashes=st.lists(hash_like, max_size=80),
)
def test_verify_consistency_only_raises_proof_error(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, hashes: Sequence[bytes]
) -> None:
    """Arbitrary inputs to verify_consistency either verify or raise ProofError."""
    try:
        verify_consistency(old_size, new_size, old_root, new_root, hashes)
    except ProofError:
        return
    assert 0 <= old_size <= new_size
