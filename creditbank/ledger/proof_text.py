"""Offline-verifiable receipts in the c2sp.org/tlog-proof@v1 text format.

A receipt proves that an entry is in the log::

    c2sp.org/tlog-proof@v1
    extra <base64>                  (optional, opaque, unauthenticated)
    index <N>                       (decimal, no leading zeros)
    <base64 hash>                   (zero or more: the inclusion path, leaf's sibling first)

    <the signed checkpoint, verbatim>

Parsing is strict (every hash is the canonical base64 of 32 bytes, at most 64 of them, since no
tree of 64-bit size is deeper) and raises ``ProofError``. Verification opens the checkpoint with
the trusted keys and checks the RFC 9162 inclusion of the entry's leaf hash against its root.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from creditbank.errors import NoteError, ProofError
from creditbank.ledger.checkpoint import (
    Checkpoint,
    checkpoint_size_max,
    open_checkpoint,
    parse_checkpoint_body,
    parse_uint64,
)
from creditbank.ledger.hashing import leaf_hash
from creditbank.ledger.merkle import verify_inclusion
from creditbank.ledger.note import VerifierKey, decode_base64
from creditbank.limits import hash_bytes

__all__ = ["TlogProof", "encode_tlog_proof", "parse_tlog_proof", "verify_tlog_proof"]

proof_header: Final = "c2sp.org/tlog-proof@v1"
proof_path_hashes_max: Final = 64  # the depth of a tree of 2**64 leaves
_EXTRA_PREFIX: Final = "extra "
_INDEX_PREFIX: Final = "index "


@dataclass(frozen=True, kw_only=True)
class TlogProof:
    """A parsed receipt; nothing in it is verified until ``verify_tlog_proof``."""

    index: int
    path: tuple[bytes, ...]
    signed_checkpoint: str
    extra: bytes | None = None


def _encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def encode_tlog_proof(
    index: int, path: Sequence[bytes], signed_checkpoint: str, extra: bytes | None = None
) -> str:
    """The tlog-proof text for the entry at ``index`` with its inclusion ``path``."""
    # Our own code supplies these: a bad value is a programmer error.
    assert 0 <= index <= checkpoint_size_max, f"index {index} out of range"
    assert len(path) <= proof_path_hashes_max, "inclusion path longer than any tree is deep"
    assert all(len(hash_value) == hash_bytes for hash_value in path), "path hashes are 32 bytes"
    assert signed_checkpoint.endswith("\n"), "a signed checkpoint ends with a newline"
    lines = [proof_header]
    if extra is not None:
        lines.append(_EXTRA_PREFIX + _encode_base64(extra))
    lines.append(f"{_INDEX_PREFIX}{index}")
    lines.extend(_encode_base64(hash_value) for hash_value in path)
    return "\n".join(lines) + "\n\n" + signed_checkpoint


def _parse_index(line: str) -> int:
    if not line.startswith(_INDEX_PREFIX):
        raise ProofError("tlog-proof has no 'index' line")
    digits = line[len(_INDEX_PREFIX) :]
    index = parse_uint64(digits)
    if index is None:
        raise ProofError(
            f"tlog-proof index {digits[:40]!r} is not a 64-bit decimal without leading zeros"
        )
    return index


def _parse_path(lines: Sequence[str]) -> tuple[bytes, ...]:
    if len(lines) > proof_path_hashes_max:
        raise ProofError(f"tlog-proof has more than {proof_path_hashes_max} path hashes")
    path = []
    for position, line in enumerate(lines):
        hash_value = decode_base64(line)
        if hash_value is None or len(hash_value) != hash_bytes:
            raise ProofError(f"tlog-proof path line {position} is not base64 of {hash_bytes} bytes")
        path.append(hash_value)
    return tuple(path)


def _check_checkpoint_form(signed_checkpoint: str) -> None:
    """The embedded checkpoint must look like one; its signatures are checked by verification."""
    split = signed_checkpoint.rfind("\n\n")
    if split < 0 or not signed_checkpoint.endswith("\n"):
        raise ProofError("tlog-proof checkpoint is not a signed note")
    try:
        parse_checkpoint_body(signed_checkpoint[: split + 1])
    except NoteError as error:
        raise ProofError(f"tlog-proof checkpoint: {error.message}") from error


def parse_tlog_proof(text: str) -> TlogProof:
    """Parse a tlog-proof text; ProofError if it is malformed. Verifies nothing."""
    head, separator, signed_checkpoint = text.partition("\n\n")
    if not separator:
        raise ProofError("tlog-proof has no blank line before its checkpoint")
    _check_checkpoint_form(signed_checkpoint)
    lines = head.split("\n")
    if lines[0] != proof_header:
        raise ProofError(f"tlog-proof does not start with {proof_header!r}")
    position = 1
    extra = None
    if position < len(lines) and lines[position].startswith(_EXTRA_PREFIX):
        extra = decode_base64(lines[position][len(_EXTRA_PREFIX) :])
        if extra is None:
            raise ProofError("tlog-proof 'extra' line is not base64")
        position += 1
    if position >= len(lines):
        raise ProofError("tlog-proof has no 'index' line")
    index = _parse_index(lines[position])
    path = _parse_path(lines[position + 1 :])
    return TlogProof(index=index, path=path, signed_checkpoint=signed_checkpoint, extra=extra)


def verify_tlog_proof(
    text: str, entry: bytes, verifiers: Sequence[VerifierKey], origin: str
) -> Checkpoint:
    """Check that ``entry`` is in the log ``origin`` per the receipt ``text``.

    Returns the verified checkpoint; raises ProofError if the text is malformed, its checkpoint
    does not verify with ``verifiers`` (the note's error is kept as the cause), or the inclusion
    proof fails.
    """
    proof = parse_tlog_proof(text)
    try:
        checkpoint = open_checkpoint(proof.signed_checkpoint, verifiers, origin)
    except NoteError as error:
        raise ProofError(f"tlog-proof checkpoint: {error.message}") from error
    if proof.index >= checkpoint.size:
        raise ProofError(f"index {proof.index} is not in a tree of size {checkpoint.size}")
    verify_inclusion(leaf_hash(entry), proof.index, checkpoint.size, proof.path, checkpoint.root)
    return checkpoint
