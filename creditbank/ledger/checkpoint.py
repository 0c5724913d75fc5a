"""C2SP transparency-log checkpoints (c2sp.org/tlog-checkpoint): the signed head of the log.

The body of a checkpoint is the text of a signed note::

    <origin>
    <tree size in decimal>
    <base64 of the 32-byte root hash>

Extension lines may follow the third line; the spec makes them opaque, so they are accepted (if
non-empty) and ignored. The first three lines are parsed strictly: the size has no sign and no
leading zeros (except ``0``) and fits in 64 bits, and the root is the canonical base64 of exactly
32 bytes, so each checkpoint has exactly one body and ``parse_checkpoint_body(c.body()) == c``.

Every error a caller can cause is a ``NoteError``: a checkpoint is a note.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from creditbank.errors import NoteError
from creditbank.ledger.note import SignerKey, VerifierKey, decode_base64, open_note, sign_note
from creditbank.limits import hash_bytes

__all__ = [
    "Checkpoint",
    "checkpoint_size_max",
    "open_checkpoint",
    "parse_checkpoint_body",
    "parse_uint64",
    "sign_checkpoint",
]

checkpoint_size_max: Final = (1 << 64) - 1  # tree sizes are uint64 in every tlog implementation
_size_digits_max: Final = len(str(checkpoint_size_max))


def _origin_problem(origin: str) -> str | None:
    if not origin.strip():
        return "origin is empty or only whitespace"
    if "\n" in origin:
        return "origin spans more than one line"
    return None


@dataclass(frozen=True, kw_only=True)
class Checkpoint:
    """A log's origin, tree size and root hash at that size."""

    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        # Our own code builds checkpoints: a bad one is a programmer error.
        assert _origin_problem(self.origin) is None, _origin_problem(self.origin)
        assert 0 <= self.size <= checkpoint_size_max, f"tree size {self.size} out of range"
        assert len(self.root) == hash_bytes, "a root hash is 32 bytes"

    def body(self) -> str:
        """The note text: origin, size and base64 root, each line ending in a newline."""
        root = base64.b64encode(self.root).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root}\n"


def parse_uint64(text: str) -> int | None:
    """A canonical decimal uint64 (ASCII digits, no leading zeros); ``None`` for anything else.

    Tree sizes and entry indices share this spelling in checkpoints and in tlog-proof texts.
    """
    if not text or len(text) > _size_digits_max or not (text.isascii() and text.isdigit()):
        return None
    if text != "0" and text.startswith("0"):
        return None
    value = int(text)
    return value if value <= checkpoint_size_max else None


def _parse_size(line: str) -> int:
    size = parse_uint64(line)
    if size is None:
        raise NoteError(
            f"checkpoint tree size {line[:40]!r} is not a 64-bit decimal without leading zeros"
        )
    return size


def parse_checkpoint_body(text: str) -> Checkpoint:
    """Parse a checkpoint body (the note text); NoteError if it is malformed."""
    if not text.endswith("\n"):
        raise NoteError("checkpoint body does not end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint body has fewer than three lines")
    origin, size_line, root_line, *extensions = lines
    problem = _origin_problem(origin)
    if problem is not None:
        raise NoteError(f"checkpoint {problem}")
    size = _parse_size(size_line)
    root = decode_base64(root_line)
    if root is None or len(root) != hash_bytes:
        raise NoteError(f"checkpoint root is not base64 of {hash_bytes} bytes")
    if any(not line for line in extensions):
        raise NoteError("checkpoint extension lines must not be empty")
    return Checkpoint(origin=origin, size=size, root=root)


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[SignerKey]) -> str:
    """The signed note of ``checkpoint``'s body, one signature per signer."""
    return sign_note(checkpoint.body(), signers)


def open_checkpoint(signed: str, verifiers: Sequence[VerifierKey], origin: str) -> Checkpoint:
    """Verify a signed checkpoint from the log ``origin``; NoteError if it does not verify.

    Only keys named ``origin`` count: a key of another log (another shard, another district)
    must never vouch for this one.
    """
    opened = open_note(signed, [key for key in verifiers if key.name == origin])
    checkpoint = parse_checkpoint_body(opened.text)
    if checkpoint.origin != origin:
        raise NoteError(f"checkpoint is from {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint
