"""RFC 9162 section 2.1 Merkle trees: roots, audit paths, consistency proofs and their checks.

Proofs are built in two steps so that any storage can serve them. First, pure arithmetic says
which leaf ranges a proof consists of (``inclusion_ranges``, ``consistency_ranges``) and which
complete, aligned subtrees (``Node``) those ranges are made of (``nodes_for_inclusion``,
``nodes_for_consistency``). Then the caller supplies ``hash_of(node)``: an in-memory tree, tiles,
or anything else that knows complete subtree hashes. Nothing here reads storage.

Every RFC subtree D[start:end] that occurs in a proof starts at a multiple of the largest power
of two not above its size, so it is exactly the complete subtrees given by the binary digits of
its size, highest first; its hash folds their hashes from the right.

Verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2 step by step and either returns
``None`` or raises ``ProofError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from creditbank.errors import ProofError
from creditbank.ledger.hashing import EMPTY_ROOT, node_hash, parent_hashes
from creditbank.limits import hash_bytes

__all__ = [
    "MemoryTree",
    "Node",
    "consistency_proof",
    "consistency_ranges",
    "inclusion_proof",
    "inclusion_ranges",
    "nodes_for_consistency",
    "nodes_for_inclusion",
    "range_hash",
    "range_nodes",
    "root_hash",
    "split_point",
    "verify_consistency",
    "verify_inclusion",
]


class Node(NamedTuple):
    """The complete subtree covering leaves [index << height, (index + 1) << height)."""

    height: int
    # The field shadows tuple.index on purpose (the name is the RFC's); mypy objects to that.
    index: int  # type: ignore[assignment]


HashOf = Callable[[Node], bytes]


def split_point(n: int) -> int:
    """Return the largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    assert n >= 2, n
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[Node]:
    """Return the complete aligned subtrees that make up the RFC subtree D[start:end], in order."""
    size = end - start
    if start < 0 or size < 0:
        raise ProofError(f"invalid leaf range [{start}, {end})")
    if size and start % (1 << (size.bit_length() - 1)):
        raise ProofError(f"leaf range [{start}, {end}) is not an RFC 9162 subtree")
    nodes: list[Node] = []
    position = start
    for height in range(size.bit_length() - 1, -1, -1):
        if size >> height & 1:
            nodes.append(Node(height, position >> height))
            position += 1 << height
    return nodes


def range_hash(start: int, end: int, hash_of: HashOf) -> bytes:
    """Return MTH(D[start:end]) from the hashes of its complete subtrees."""
    if start == end == 0:
        return EMPTY_ROOT
    nodes = range_nodes(start, end)
    if not nodes:
        raise ProofError(f"empty leaf range [{start}, {end}) has no hash")
    # The RFC splits at the largest power of two, so the leftmost subtree is the left child of
    # the top node, and the rest recursively the right child: fold from the right.
    result = hash_of(nodes[-1])
    for node in reversed(nodes[:-1]):
        result = node_hash(hash_of(node), result)
    return result


def _check_sizes(index: int, size: int) -> None:
    if index < 0 or index >= size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose hashes form PATH(index, D[0:size]), the leaf's sibling first."""
    _check_sizes(index, size)
    ranges: list[tuple[int, int]] = []
    low, high = 0, size
    # Walk PATH's recursion from the top; each step contributes the half not holding the leaf.
    while high - low > 1:
        middle = low + split_point(high - low)
        if index < middle:
            ranges.append((middle, high))
            high = middle
        else:
            ranges.append((low, middle))
            low = middle
    ranges.reverse()
    return ranges


def _check_consistency_sizes(old_size: int, new_size: int) -> None:
    if old_size < 0 or new_size < old_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose hashes form PROOF(old_size, D[0:new_size]), in RFC order."""
    _check_consistency_sizes(old_size, new_size)
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    low, high = 0, new_size
    old_end = old_size  # the old tree is always D[0:old_end] of the current subtree's leaves
    old_is_whole_subtree = True  # SUBPROOF's flag b
    # Walk SUBPROOF's recursion from the top; each step contributes the half the old tree does
    # not decide, until the current subtree is exactly the old tree's rightmost part.
    while old_end != high:
        middle = low + split_point(high - low)
        if old_end <= middle:
            ranges.append((middle, high))
            high = middle
        else:
            ranges.append((low, middle))
            low = middle
            old_is_whole_subtree = False
    if not old_is_whole_subtree:
        ranges.append((low, high))
    ranges.reverse()
    return ranges


def _nodes_of(ranges: Iterable[tuple[int, int]]) -> list[Node]:
    return sorted({node for start, end in ranges for node in range_nodes(start, end)})


def nodes_for_inclusion(index: int, size: int) -> list[Node]:
    """Return the complete subtrees whose hashes an inclusion proof needs, sorted and unique."""
    return _nodes_of(inclusion_ranges(index, size))


def nodes_for_consistency(old_size: int, new_size: int) -> list[Node]:
    """Return the complete subtrees whose hashes a consistency proof needs, sorted and unique."""
    return _nodes_of(consistency_ranges(old_size, new_size))


def inclusion_proof(index: int, size: int, hash_of: HashOf) -> list[bytes]:
    """Return the RFC 9162 audit path of leaf ``index`` in the tree of ``size`` leaves."""
    return [range_hash(start, end, hash_of) for start, end in inclusion_ranges(index, size)]


def consistency_proof(old_size: int, new_size: int, hash_of: HashOf) -> list[bytes]:
    """Return the RFC 9162 consistency proof from ``old_size`` to ``new_size``."""
    ranges = consistency_ranges(old_size, new_size)
    return [range_hash(start, end, hash_of) for start, end in ranges]


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return MTH over the given leaf hashes, level by level in O(n)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    assert set(map(len, level)) == {hash_bytes}, "leaf hashes are 32 bytes"
    # Promoting a trailing odd node unchanged to the next level gives the same tree as the RFC's
    # split at the largest power of two: both put the complete subtrees first, from the left.
    while len(level) > 1:
        carry = level[-1] if len(level) % 2 else None
        level = parent_hashes(level)
        if carry is not None:
            level.append(carry)
    return level[0]


class MemoryTree:
    """A Merkle tree kept in memory as one list of complete-subtree hashes per height."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self.append(leaf_hashes)

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    def append(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append leaf hashes and every complete subtree they finish."""
        levels = self._levels
        added = list(leaf_hashes)
        assert all(len(leaf) == hash_bytes for leaf in added), "leaf hashes are 32 bytes"
        levels[0].extend(added)
        height = 0
        while len(levels[height]) >= 2:
            if height + 1 == len(levels):
                levels.append([])
            below, above = levels[height], levels[height + 1]
            # Only pairs not hashed before: start at the first child of the first missing parent.
            above.extend(parent_hashes(below[2 * len(above) :]))
            height += 1

    def node_hash(self, node: Node) -> bytes:
        """Return the hash of a complete subtree of the current tree."""
        height, index = node
        if height < 0 or index < 0 or height >= len(self._levels):
            raise ProofError(f"{node} is not a complete subtree of a tree of size {self.size}")
        level = self._levels[height]
        if index >= len(level):
            raise ProofError(f"{node} is not a complete subtree of a tree of size {self.size}")
        return level[index]

    def _size_or_current(self, size: int | None) -> int:
        if size is None:
            return self.size
        if size < 0 or size > self.size:
            raise ProofError(f"size {size} is beyond the tree's {self.size} leaves")
        return size

    def root(self, size: int | None = None) -> bytes:
        """Return the root of the first ``size`` leaves (default: all)."""
        return range_hash(0, self._size_or_current(size), self.node_hash)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Return the audit path of leaf ``index`` in the tree of the first ``size`` leaves."""
        return inclusion_proof(index, self._size_or_current(size), self.node_hash)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Return the consistency proof from ``old_size`` to ``new_size`` leaves."""
        new_size = self._size_or_current(new_size)
        return consistency_proof(old_size, new_size, self.node_hash)


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != hash_bytes:
        raise ProofError(f"{what} is not a {hash_bytes}-byte hash")


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an RFC 9162 inclusion proof (section 2.1.3.2); raise ProofError if it fails."""
    _check_hash(leaf_hash, "leaf hash")
    _check_hash(root, "root")
    for position, hash_value in enumerate(proof):
        _check_hash(hash_value, f"proof hash {position}")
    # 1. If leaf_index is greater than or equal to tree_size, fail.
    if index < 0 or index >= size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    # 2. Set fn to leaf_index and sn to tree_size - 1.
    fn, sn = index, size - 1
    # 3. Set r to hash.
    r = leaf_hash
    # 4. For each value p in the inclusion_path array:
    for p in proof:
        # 4a. If sn is 0, stop the iteration and fail.
        if sn == 0:
            raise ProofError("inclusion proof is longer than the path")
        # 4b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # 4b.i. Set r to HASH(0x01 || p || r).
            r = node_hash(p, r)
            # 4b.ii. If LSB(fn) is not set, right-shift fn and sn equally until either LSB(fn)
            # is set or fn is 0.
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            # 4b. Otherwise: set r to HASH(0x01 || r || p).
            r = node_hash(r, p)
        # 4c. Right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 5. Succeed if sn is 0 and r equals root_hash; otherwise fail.
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the path")
    if r != root:
        raise ProofError("inclusion proof does not lead to the root")


def _verify_trivial_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Sizes the RFC's algorithm does not cover: an empty old tree, or no growth."""
    if proof:
        raise ProofError(f"consistency proof from {old_size} to {new_size} must be empty")
    if old_size == 0 and old_root != EMPTY_ROOT:
        raise ProofError("the root of the empty tree is SHA-256 of nothing")
    if old_size == new_size and old_root != new_root:
        raise ProofError(f"two different roots for size {old_size}")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check an RFC 9162 consistency proof (section 2.1.4.2); raise ProofError if it fails."""
    _check_hash(old_root, "old root")
    _check_hash(new_root, "new root")
    for position, hash_value in enumerate(proof):
        _check_hash(hash_value, f"proof hash {position}")
    _check_consistency_sizes(old_size, new_size)
    if old_size == 0 or old_size == new_size:
        _verify_trivial_consistency(old_size, new_size, old_root, new_root, proof)
        return
    # 1. If consistency_path is an empty array, stop and fail.
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    # 2. If first is an exact power of 2, prepend first_hash to the consistency_path array.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # 3. Set fn to first - 1 and sn to second - 1.
    fn, sn = old_size - 1, new_size - 1
    # 4. If LSB(fn) is set, right-shift both fn and sn equally until LSB(fn) is not set.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. Set both fr and sr to the first value in the consistency_path array.
    fr = sr = path[0]
    # 6. For each subsequent value c in the consistency_path array:
    for c in path[1:]:
        # 6a. If sn is 0, stop the iteration and fail.
        if sn == 0:
            raise ProofError("consistency proof is longer than the path")
        # 6b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # 6b.i. Set fr to HASH(0x01 || c || fr) and sr to HASH(0x01 || c || sr).
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            # 6b.ii. If LSB(fn) is not set, right-shift fn and sn equally until either LSB(fn)
            # is set or fn is 0.
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            # 6b. Otherwise: set sr to HASH(0x01 || sr || c).
            sr = node_hash(sr, c)
        # 6c. Right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 7. Succeed if fr equals first_hash, sr equals second_hash and sn is 0.
    if sn != 0:
        raise ProofError("consistency proof is shorter than the path")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root")
