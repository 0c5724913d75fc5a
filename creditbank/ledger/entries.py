"""Sealing entries: the only place an entry's canonical bytes and leaf hash are computed.

A ``SealedEntry`` cannot be built from bytes and a hash supplied by a caller, so a leaf hash in
the tree is always the hash of the bytes stored beside it (Tessera's rule: derived values cannot
be forged).
"""

from __future__ import annotations

import hashlib

import msgspec

from creditbank import limits
from creditbank.errors import CanonicalError
from creditbank.ledger.canonical import canonical_bytes, decode_canonical
from creditbank.ledger.hashing import leaf_hash
from creditbank.ledger.outcome_bytes import OutcomeDraft
from schemas.entries import Award, Entry, IssuerRegistered, OutcomeRecorded

__all__ = ["OutcomeDraft", "SealedEntry", "content_sha256", "open_entry"]


class SealedEntry:
    """An entry together with its canonical bytes and RFC 9162 leaf hash."""

    __slots__ = ("body", "entry", "leaf_hash")

    def __init__(self, entry: Entry) -> None:
        self._seal(entry, canonical_bytes(entry))

    @classmethod
    def outcome(cls, draft: OutcomeDraft, award: Award | None) -> SealedEntry:
        """An outcome with its award, from the draft's one encoding (see ``outcome_bytes``)."""
        sealed = cls.__new__(cls)
        sealed._seal(*draft.with_award(award))
        return sealed

    def _seal(self, entry: Entry, body: bytes) -> None:
        if len(body) > limits.entry_bytes_max:
            raise CanonicalError(
                f"an entry is at most {limits.entry_bytes_max} bytes, this one {len(body)}"
            )
        self.entry: Entry = entry
        self.body: bytes = body
        self.leaf_hash: bytes = leaf_hash(body)

    def __repr__(self) -> str:
        return f"SealedEntry({self.entry.__class__.__name__}, {len(self.body)} bytes)"


def open_entry(body: bytes) -> Entry:
    """Decode stored bytes, requiring them to be exactly the canonical form of the entry."""
    return decode_canonical(body, Entry)  # type: ignore[arg-type]


_CONTENT_EPOCH = "1970-01-01T00:00:00Z"


def content_sha256(entry: Entry) -> bytes:
    """SHA-256 of what the submitter said, without what the bank added (times, award).

    Two submissions under the same client id are "the same" exactly when these digests match.
    """
    if isinstance(entry, OutcomeRecorded):
        entry = msgspec.structs.replace(entry, recorded_at=_CONTENT_EPOCH, award=None)
    elif isinstance(entry, IssuerRegistered):
        entry = msgspec.structs.replace(entry, registered_at=_CONTENT_EPOCH)
    return hashlib.sha256(canonical_bytes(entry)).digest()
