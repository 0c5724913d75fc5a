"""A naive recursive reference for RFC 9162 section 2.1, written literally from the RFC.

It shares no code with ``creditbank.ledger``: it hashes the entries itself and recurses exactly as
the RFC's definitions do, memoised on the leaf range so that exhaustive checks stay quick. Used by
``test_merkle`` and ``test_tiles``.
"""

from __future__ import annotations

import functools
import hashlib

__all__ = [
    "ENTRIES",
    "ENTRIES_MAX",
    "largest_power_of_two_below",
    "mth",
    "path",
    "proof",
    "subproof",
]

ENTRIES_MAX = 70_000  # enough for level-2 tiles in the tile tests

ENTRIES = [b"creditbank test entry %d" % number for number in range(ENTRIES_MAX)]


# The reference: RFC 9162 section 2.1, literally. D[start:end] is ENTRIES[start:end].


def largest_power_of_two_below(n: int) -> int:
    """k: the largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@functools.cache
def mth(start: int, end: int) -> bytes:
    """MTH(D[start:end])."""
    n = end - start
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + ENTRIES[start]).digest()
    k = largest_power_of_two_below(n)
    return hashlib.sha256(b"\x01" + mth(start, start + k) + mth(start + k, end)).digest()


def path(m: int, start: int, end: int) -> list[bytes]:
    """PATH(m, D[start:end])."""
    n = end - start
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return [*path(m, start, start + k), mth(start + k, end)]
    return [*path(m - k, start + k, end), mth(start, start + k)]


def subproof(m: int, start: int, end: int, b: bool) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b)."""
    n = end - start
    if m == n:
        return [] if b else [mth(start, end)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return [*subproof(m, start, start + k, b), mth(start + k, end)]
    return [*subproof(m - k, start + k, end, False), mth(start, start + k)]


def proof(m: int, n: int) -> list[bytes]:
    """PROOF(m, D[n]) for 0 < m < n; the empty proof otherwise (sizes 0 and equal sizes)."""
    if m in (0, n):
        return []
    return subproof(m, 0, n, True)
