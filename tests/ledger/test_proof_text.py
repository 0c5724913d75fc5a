"""c2sp.org/tlog-proof@v1 receipts: exact text, strict parsing, offline verification."""

from __future__ import annotations

import base64
import contextlib
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import ProofError
from creditbank.ledger.checkpoint import Checkpoint, sign_checkpoint
from creditbank.ledger.hashing import leaf_hash
from creditbank.ledger.merkle import MemoryTree
from creditbank.ledger.note import SignerKey, VerifierKey
from creditbank.ledger.proof_text import (
    TlogProof,
    encode_tlog_proof,
    parse_tlog_proof,
    verify_tlog_proof,
)

ORIGIN = "creditbank.test/ledger"
SIGNER = SignerKey.generate(ORIGIN)
VERIFIER = VerifierKey.parse(SIGNER.verifier_key())
STRANGER = SignerKey.generate(ORIGIN)
ENTRIES = [f'{{"kind":"test","n":{n}}}'.encode() for n in range(13)]
TREE = MemoryTree(leaf_hash(entry) for entry in ENTRIES)
SIGNED = sign_checkpoint(Checkpoint(origin=ORIGIN, size=TREE.size, root=TREE.root()), [SIGNER])
HASH = hashlib.sha256(b"h").digest()
HASH_BASE64 = base64.b64encode(HASH).decode()


def receipt(index: int, *, signed: str = SIGNED, extra: bytes | None = None) -> str:
    return encode_tlog_proof(index, TREE.inclusion_proof(index), signed, extra)


def test_text_layout_follows_the_spec() -> None:
    """Header, optional extra, index, one hash per line, a blank line, the checkpoint verbatim."""
    text = encode_tlog_proof(73894, [HASH, HASH], SIGNED, extra=b"age")
    assert text == (
        f"c2sp.org/tlog-proof@v1\nextra YWdl\nindex 73894\n{HASH_BASE64}\n{HASH_BASE64}\n\n{SIGNED}"
    )
    assert encode_tlog_proof(0, [], SIGNED) == f"c2sp.org/tlog-proof@v1\nindex 0\n\n{SIGNED}"


@given(
    index=st.integers(min_value=0, max_value=(1 << 64) - 1),
    path=st.lists(st.binary(min_size=32, max_size=32), max_size=64),
    extra=st.none() | st.binary(max_size=40),
)
def test_text_round_trips(index: int, path: list[bytes], extra: bytes | None) -> None:
    """Parsing an encoded receipt gives back index, path, extra and the checkpoint verbatim."""
    text = encode_tlog_proof(index, path, SIGNED, extra)
    assert parse_tlog_proof(text) == TlogProof(
        index=index, path=tuple(path), signed_checkpoint=SIGNED, extra=extra
    )


def test_every_entry_verifies() -> None:
    """Each entry's receipt verifies offline and yields the signed checkpoint."""
    for index, entry in enumerate(ENTRIES):
        checkpoint = verify_tlog_proof(receipt(index), entry, [VERIFIER], ORIGIN)
        assert (checkpoint.size, checkpoint.root) == (TREE.size, TREE.root())
    assert verify_tlog_proof(receipt(4, extra=b"x"), ENTRIES[4], [VERIFIER], ORIGIN).size == 13


def test_single_entry_log_has_an_empty_path() -> None:
    """In a one-entry log the path is empty and the root is the leaf hash."""
    tree = MemoryTree([leaf_hash(b"only")])
    signed = sign_checkpoint(Checkpoint(origin=ORIGIN, size=1, root=tree.root()), [SIGNER])
    text = encode_tlog_proof(0, [], signed)
    assert verify_tlog_proof(text, b"only", [VERIFIER], ORIGIN).size == 1


def test_wrong_entry_or_index_is_rejected() -> None:
    """A receipt proves one entry at one index, nothing else."""
    with pytest.raises(ProofError):
        verify_tlog_proof(receipt(3), ENTRIES[4], [VERIFIER], ORIGIN)
    moved = receipt(3).replace("\nindex 3\n", "\nindex 2\n")
    with pytest.raises(ProofError):
        verify_tlog_proof(moved, ENTRIES[3], [VERIFIER], ORIGIN)
    beyond = receipt(3).replace("\nindex 3\n", "\nindex 13\n")
    with pytest.raises(ProofError, match="not in a tree of size 13"):
        verify_tlog_proof(beyond, ENTRIES[3], [VERIFIER], ORIGIN)


def test_tampered_paths_are_rejected() -> None:
    """A changed, missing or extra path hash fails the inclusion check."""
    path = TREE.inclusion_proof(5)
    changed = [HASH, *path[1:]]
    for bad_path in (changed, path[:-1], [*path, HASH]):
        text = encode_tlog_proof(5, bad_path, SIGNED)
        with pytest.raises(ProofError):
            verify_tlog_proof(text, ENTRIES[5], [VERIFIER], ORIGIN)


def test_checkpoint_failures_become_proof_errors() -> None:
    """An unknown key, another origin or a tampered checkpoint rejects the receipt."""
    foreign = sign_checkpoint(Checkpoint(origin=ORIGIN, size=13, root=TREE.root()), [STRANGER])
    other_origin = sign_checkpoint(
        Checkpoint(origin="other.example/log", size=13, root=TREE.root()), [SIGNER]
    )
    tampered = SIGNED.replace("\n13\n", "\n14\n")
    for signed in (foreign, other_origin, tampered):
        with pytest.raises(ProofError, match="checkpoint"):
            verify_tlog_proof(receipt(1, signed=signed), ENTRIES[1], [VERIFIER], ORIGIN)


HEADER = "c2sp.org/tlog-proof@v1"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"index 0\n\n{SIGNED}", id="no header"),
        pytest.param(f"c2sp.org/tlog-proof@v2\nindex 0\n\n{SIGNED}", id="other version"),
        pytest.param(f"{HEADER}\r\nindex 0\n\n{SIGNED}", id="CRLF"),
        pytest.param(f"{HEADER}\n\n{SIGNED}", id="no index"),
        pytest.param(f"{HEADER}\nindex 01\n\n{SIGNED}", id="leading zero"),
        pytest.param(f"{HEADER}\nindex -1\n\n{SIGNED}", id="negative"),
        pytest.param(f"{HEADER}\nindex +1\n\n{SIGNED}", id="plus sign"),
        pytest.param(f"{HEADER}\nindex  1\n\n{SIGNED}", id="two spaces"),
        pytest.param(f"{HEADER}\nindex\n\n{SIGNED}", id="no number"),
        pytest.param(f"{HEADER}\nindex 1 \n\n{SIGNED}", id="trailing space"),
        pytest.param(f"{HEADER}\nindex \u0661\n\n{SIGNED}", id="arabic digit"),
        pytest.param(f"{HEADER}\nindex {1 << 64}\n\n{SIGNED}", id="beyond 64 bits"),
        pytest.param(f"{HEADER}\nindex {'9' * 5000}\n\n{SIGNED}", id="huge index"),
        pytest.param(f"{HEADER}\nIndex 1\n\n{SIGNED}", id="capitalised"),
        pytest.param(f"{HEADER}\nextra !!\nindex 1\n\n{SIGNED}", id="extra not base64"),
        pytest.param(f"{HEADER}\nextra\nindex 1\n\n{SIGNED}", id="extra without space"),
        pytest.param(f"{HEADER}\nindex 1\nextra YWdl\n\n{SIGNED}", id="extra after index"),
        pytest.param(f"{HEADER}\nextra YWdl\nextra YWdl\nindex 1\n\n{SIGNED}", id="two extras"),
        pytest.param(f"{HEADER}\nindex 1\n{HASH_BASE64[:-1]}\n\n{SIGNED}", id="no padding"),
        pytest.param(f"{HEADER}\nindex 1\n{HASH_BASE64[:-2]}B=\n\n{SIGNED}", id="non-canonical"),
        pytest.param(f"{HEADER}\nindex 1\nYWdl\n\n{SIGNED}", id="short hash"),
        pytest.param(f"{HEADER}\nindex 1\n{HASH_BASE64} \n\n{SIGNED}", id="hash with space"),
        pytest.param(
            f"{HEADER}\nindex 1\n" + f"{HASH_BASE64}\n" * 65 + f"\n{SIGNED}", id="65 hashes"
        ),
        pytest.param(f"{HEADER}\nindex 1\n{SIGNED}", id="no blank line"),
        pytest.param(f"{HEADER}\nindex 1\n\n", id="no checkpoint"),
        pytest.param(f"{HEADER}\nindex 1\n\n{SIGNED[:-1]}", id="checkpoint unterminated"),
        pytest.param(f"{HEADER}\nindex 1\n\n\n{SIGNED}", id="two blank lines"),
        pytest.param(f"{HEADER}\nindex 1\n\nnot a checkpoint\n", id="not a note"),
        pytest.param(f"{HEADER}\nindex 1\n\na\n007\n{HASH_BASE64}\n\n— a AAAA\n", id="bad body"),
        pytest.param("", id="empty"),
    ],
)
def test_malformed_receipts_are_rejected(text: str) -> None:
    """Every line of a receipt is parsed strictly."""
    with pytest.raises(ProofError):
        parse_tlog_proof(text)


@settings(max_examples=300)
@given(st.text())
def test_arbitrary_text_raises_only_proof_error(text: str) -> None:
    """Parsing or verifying arbitrary text never leaks another exception type."""
    for candidate in (text, f"{HEADER}\nindex 1\n{text}\n\n{SIGNED}"):
        with contextlib.suppress(ProofError):
            parse_tlog_proof(candidate)
    with contextlib.suppress(ProofError):
        verify_tlog_proof(text, b"entry", [VERIFIER], ORIGIN)


@settings(max_examples=300)
@given(st.integers(min_value=0), st.text(max_size=4))
def test_mutated_receipts_raise_only_proof_error(position: int, inserted: str) -> None:
    """Inserting characters anywhere in a receipt either still verifies or raises ProofError."""
    text = receipt(6)
    at = position % (len(text) + 1)
    try:
        checkpoint = verify_tlog_proof(
            text[:at] + inserted + text[at:], ENTRIES[6], [VERIFIER], ORIGIN
        )
    except ProofError:
        return
    assert checkpoint.root == TREE.root()
