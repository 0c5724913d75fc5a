"""What the Merkle tests share: one large tree built once, proof shapes derived from the sizes,
every tampering of a proof, and checks of a proof against the RFC 9162 reference."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from creditbank.errors import ProofError
from creditbank.ledger.hashing import EMPTY_ROOT, leaf_hashes
from creditbank.ledger.merkle import (
    MemoryTree,
    Node,
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
