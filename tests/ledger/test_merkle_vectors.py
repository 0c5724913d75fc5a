"""Golden RFC 9162 vectors, kept in tests/ledger/vectors/: the RFC 6962 reference leaves the
certificate-transparency and transparency-dev suites use, with values per RFC 9162 section 2.1
(the file's "source" field). Other implementations check themselves against the same file.

The file is required: a missing or unreadable file fails these tests rather than skipping them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from creditbank.ledger.hashing import EMPTY_ROOT, leaf_hash, leaf_hashes
from creditbank.ledger.merkle import (
    MemoryTree,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from creditbank.ledger.tiles import (
    consistency_proof_from_tiles,
    inclusion_proof_from_tiles,
    integrate,
)

VECTORS = Path(__file__).parent / "vectors" / "rfc9162-merkle.json"


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    """The parsed vector file; an exception here fails every test that uses it."""
    loaded: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def leaves(vectors: dict[str, Any]) -> list[bytes]:
    """The leaf entries."""
    return [bytes.fromhex(leaf) for leaf in vectors["leaves_hex"]]


def hexes(hashes: list[bytes]) -> list[str]:
    """Hashes as lowercase hex, as the vector file writes them."""
    return [hash_value.hex() for hash_value in hashes]


def test_vector_file_is_present() -> None:
    """The vector file is in the repository, so a plain clone runs these tests."""
    assert VECTORS.is_file(), VECTORS


def test_leaf_hashes(vectors: dict[str, Any], leaves: list[bytes]) -> None:
    """leaf_hash and leaf_hashes give the vector leaf hashes."""
    assert [leaf_hash(leaf).hex() for leaf in leaves] == vectors["leaf_hashes_hex"]
    assert hexes(leaf_hashes(leaves)) == vectors["leaf_hashes_hex"]


def test_roots(vectors: dict[str, Any], leaves: list[bytes]) -> None:
    """Roots of sizes 0..8 match by every way we compute them."""
    hashes = leaf_hashes(leaves)
    tree = MemoryTree(hashes)
    assert vectors["roots_hex"]["0"] == EMPTY_ROOT.hex()
    assert sorted(map(int, vectors["roots_hex"])) == list(range(len(leaves) + 1))
    for size_text, expected in vectors["roots_hex"].items():
        size = int(size_text)
        assert root_hash(hashes[:size]).hex() == expected
        assert tree.root(size).hex() == expected
        assert integrate(0, {}, hashes[:size]).root.hex() == expected


def test_inclusion_proofs(vectors: dict[str, Any], leaves: list[bytes]) -> None:
    """Inclusion proofs match the vectors, from memory and from tiles, and verify."""
    hashes = leaf_hashes(leaves)
    tree = MemoryTree(hashes)
    assert vectors["inclusion"]
    for case in vectors["inclusion"]:
        index, size = case["index"], case["tree_size"]
        tiles = integrate(0, {}, hashes[:size]).edge
        assert hexes(tree.inclusion_proof(index, size)) == case["path_hex"]
        assert hexes(inclusion_proof_from_tiles(index, size, tiles)) == case["path_hex"]
        path = [bytes.fromhex(value) for value in case["path_hex"]]
        verify_inclusion(hashes[index], index, size, path, tree.root(size))


def test_consistency_proofs(vectors: dict[str, Any], leaves: list[bytes]) -> None:
    """Consistency proofs match the vectors, from memory and from tiles, and verify."""
    hashes = leaf_hashes(leaves)
    tree = MemoryTree(hashes)
    assert vectors["consistency"]
    for case in vectors["consistency"]:
        old_size, new_size = case["from"], case["to"]
        tiles = integrate(0, {}, hashes[:new_size]).edge
        assert hexes(tree.consistency_proof(old_size, new_size)) == case["proof_hex"]
        from_tiles = consistency_proof_from_tiles(old_size, new_size, tiles)
        assert hexes(from_tiles) == case["proof_hex"]
        proof = [bytes.fromhex(value) for value in case["proof_hex"]]
        verify_consistency(old_size, new_size, tree.root(old_size), tree.root(new_size), proof)
