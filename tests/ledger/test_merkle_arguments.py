"""The Merkle functions on bad arguments and inputs: impossible sizes and indices, trivial
consistency cases, malformed hashes; whatever the input, a verifier raises only ProofError."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import ProofError
from creditbank.ledger.hashing import EMPTY_ROOT
from creditbank.ledger.merkle import (
    Node,
    consistency_ranges,
    inclusion_ranges,
    range_hash,
    range_nodes,
    verify_consistency,
    verify_inclusion,
)
from tests.ledger.merkle_fixtures import (
    LARGE_SIZE_MAX,
    LEAF_HASHES,
    TREE,
)
from tests.ledger.rfc9162_reference import mth


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
