"""RFC 9162 section 2.1 hashing: the only place the leaf and node prefixes are written.

A leaf hash is SHA-256(0x00 || entry) and an interior node SHA-256(0x01 || left || right); the
distinct prefixes keep a leaf from ever being passed off as an interior node (second preimages).
The root of the empty tree is SHA-256 of nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

__all__ = ["EMPTY_ROOT", "leaf_hash", "leaf_hashes", "node_hash", "parent_hashes"]

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """Return SHA-256(0x00 || entry)."""
    return hashlib.sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def leaf_hashes(entries: Iterable[bytes]) -> list[bytes]:
    """Return the leaf hash of every entry, in order.

    This is on the bulk-import hot path. Copying a hasher already primed with the prefix avoids
    concatenating (and so copying) every entry: 15-30% faster on 100-600 byte entries here.
    """
    primed = hashlib.sha256(_LEAF_PREFIX)
    hashes: list[bytes] = []
    append = hashes.append
    for entry in entries:
        hasher = primed.copy()
        hasher.update(entry)
        append(hasher.digest())
    return hashes


def parent_hashes(children: Sequence[bytes]) -> list[bytes]:
    """Return the node hash of each consecutive pair of children; an odd last child is ignored.

    One level of a tree at once: the root and tile computations spend nearly all their time here,
    and a single comprehension measured faster than map chains or slicing one joined buffer.
    """
    sha256 = hashlib.sha256
    pairs = iter(children)
    return [
        sha256(_NODE_PREFIX + left + right).digest()
        for left, right in zip(pairs, pairs, strict=False)
    ]
