"""Offline verification of an exported learner archive bundle (pure, no I/O).

A bundle (``schemas.learners.ArchiveBundle``) is a learner's archive, every entry it rests on
with its RFC 9162 inclusion proof, and the signed checkpoint those proofs lead to. Verifying it:

1. the checkpoint is signed by a trusted key named after the log's origin;
2. every entry's bytes are included in that checkpoint's tree at their index, and are a canonical
   entry of this learner that belongs in an archive;
3. the archive says what the entries say. The archive is rebuilt from the verified entries with
   the same ``build_archive`` the bank uses and must agree in every field: each outcome's record
   and award (decided at deposit or granted later), its revocation, its validity (from the
   standard's own entry), each recognition and its reversal, issuer names and programme titles
   (from their entries), and the totals.

What a bundle cannot prove is that it is complete: a bank could leave an outcome out. Its
checkpoint lets the learner hold the bank to every entry it does contain.

Without keys from the caller the bundle's own ``verifier_keys`` are used, which proves only that
the bundle is self-consistent: whoever made it could have signed it. ``VerifiedBundle`` says so.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

import msgspec

from creditbank import limits
from creditbank.audit.bundle_source import about, check_documents, kind_of, source_of
from creditbank.audit.verification import VerificationError, expected_origin, open_trusted
from creditbank.errors import CanonicalError, NoteError, ProofError
from creditbank.learners.archive import ArchiveFilter, ArchiveSource, build_archive
from creditbank.ledger.checkpoint import Checkpoint
from creditbank.ledger.entries import open_entry
from creditbank.ledger.hashing import leaf_hash
from creditbank.ledger.merkle import verify_inclusion
from creditbank.ledger.note import VerifierKey, decode_base64
from schemas.entries import (
    Entry,
)
from schemas.learners import (
    Archive,
    ArchiveBundle,
    ArchiveOutcome,
    ArchiveRecognition,
    BundleEntry,
    ReversalView,
    RevocationView,
    bundle_format,
)

__all__ = ["VerifiedBundle", "verify_bundle"]

_Indexed = TypeVar("_Indexed", ArchiveOutcome, ArchiveRecognition)


@dataclass(frozen=True, kw_only=True)
class VerifiedBundle:
    checkpoint: Checkpoint  # verified; every entry is proved included in its tree
    tree_size: int
    entries_checked: int
    keys_from_bundle: bool  # True: only self-consistency is proved, not who signed
    archive: Archive


class _Head(msgspec.Struct):
    """Just enough of a bundle to tell whether it is one, before decoding it strictly."""

    format: str | None = None


def verify_bundle(
    data: bytes, trusted: list[VerifierKey] | None, *, origin: str | None = None
) -> VerifiedBundle:
    """Verify ``data`` (a bundle's JSON) against ``trusted`` keys, or the bundle's own if None.

    ``origin`` defaults to the one name the keys share. Raises VerificationError at the first
    problem, naming the entry at fault where there is one.
    """
    bundle = _decode(data)
    verifiers = trusted if trusted is not None else _bundle_keys(bundle.verifier_keys)
    checkpoint = _open_checkpoint(bundle.checkpoint, verifiers, origin)
    entries = _verified_entries(bundle.entries, checkpoint)
    source = source_of(bundle.archive, entries)
    _check_archive(bundle.archive, source, checkpoint, entries)
    return VerifiedBundle(
        checkpoint=checkpoint,
        tree_size=checkpoint.size,
        entries_checked=len(entries),
        keys_from_bundle=trusted is None,
        archive=bundle.archive,
    )


def _decode(data: bytes) -> ArchiveBundle:
    try:
        head = msgspec.json.decode(data, type=_Head)
    except msgspec.DecodeError as error:
        raise VerificationError(f"the file is not a JSON object: {error}") from None
    if head.format != bundle_format:
        raise VerificationError(
            f"the file is not a {bundle_format} bundle (its format is {head.format!r})"
        )
    try:
        return msgspec.json.decode(data, type=ArchiveBundle)
    except msgspec.DecodeError as error:
        raise VerificationError(f"the bundle is malformed: {error}") from None


def _bundle_keys(texts: list[str]) -> list[VerifierKey]:
    keys = []
    for text in texts:
        try:
            keys.append(VerifierKey.parse(text))
        except NoteError as error:
            raise VerificationError(f"bad verifier key in the bundle: {error.message}") from None
    return keys


def _open_checkpoint(signed: str, verifiers: list[VerifierKey], origin: str | None) -> Checkpoint:
    return open_trusted(signed, verifiers, expected_origin(verifiers, origin))


def _verified_entries(items: list[BundleEntry], checkpoint: Checkpoint) -> dict[int, Entry]:
    entries: dict[int, Entry] = {}
    for item in items:
        if item.index in entries:
            raise about(item.index, "listed twice")
        entries[item.index] = _verified_entry(item, checkpoint)
    return entries


def _verified_entry(item: BundleEntry, checkpoint: Checkpoint) -> Entry:
    body = decode_base64(item.body)
    if body is None or len(body) > limits.entry_bytes_max:
        raise about(item.index, "body is not standard base64 of at most 65,535 bytes")
    proof = [decode_base64(text) for text in item.proof]
    # The proof is checked before the body is decoded: a changed byte is reported as what it
    # is, bytes the checkpoint does not cover, whether or not they still parse.
    try:
        if None in proof:
            raise ProofError("a proof hash is not standard base64")
        hashes = [node for node in proof if node is not None]  # all of them; typed as bytes
        verify_inclusion(leaf_hash(body), item.index, checkpoint.size, hashes, checkpoint.root)
    except ProofError as error:
        raise about(
            item.index, f"inclusion proof does not verify against the checkpoint ({error.message})"
        ) from None
    try:
        return open_entry(body)
    except CanonicalError as error:
        raise about(item.index, f"not a canonical entry: {error.message}") from None


def _check_archive(
    archive: Archive, source: ArchiveSource, checkpoint: Checkpoint, entries: Mapping[int, Entry]
) -> None:
    if archive.tree_size != checkpoint.size:
        raise VerificationError(
            f"the archive was read at tree size {archive.tree_size}, "
            f"the checkpoint is at {checkpoint.size}"
        )
    if archive.outcomes_total != len(archive.outcomes):
        raise VerificationError(
            f"the archive shows {len(archive.outcomes)} of its {archive.outcomes_total} outcomes; "
            "a bundle must hold them all"
        )
    check_documents(source)
    rebuilt = build_archive(source, ArchiveFilter(page_size=max(1, len(source.outcomes))))
    # Recognitions first: a missing reversal is reported as such, not as the recognised_by of
    # every outcome it would have freed.
    _check_recognitions(archive, rebuilt, entries)
    _check_outcomes(archive, rebuilt, entries)
    _check_totals(archive, rebuilt)


def _check_outcomes(archive: Archive, rebuilt: Archive, entries: Mapping[int, Entry]) -> None:
    claimed = _by_index(archive.outcomes, "outcome")
    actual = {outcome.index: outcome for outcome in rebuilt.outcomes}
    _check_same_indices(claimed, actual, entries, "outcome.recorded")
    for index, outcome in sorted(claimed.items()):
        real = actual[index]
        _check_link(f"archive outcome {index}", outcome.revoked, real.revoked, "revoked")
        _check_fields(f"archive outcome {index}", outcome, real, index)


def _check_recognitions(archive: Archive, rebuilt: Archive, entries: Mapping[int, Entry]) -> None:
    claimed = _by_index(archive.recognitions, "recognition")
    actual = {grant.index: grant for grant in rebuilt.recognitions}
    _check_same_indices(claimed, actual, entries, "recognition.granted")
    for index, grant in sorted(claimed.items()):
        real = actual[index]
        _check_link(f"archive recognition {index}", grant.reversed, real.reversed, "reversed")
        _check_fields(f"archive recognition {index}", grant, real, index)


def _check_totals(archive: Archive, rebuilt: Archive) -> None:
    """The totals are those of the verified awards, valid ones judged by their standards."""
    for name, stated, real in (
        (
            "overall",
            [(archive.credits, archive.valid_credits)],
            [(rebuilt.credits, rebuilt.valid_credits)],
        ),
        ("category", archive.by_category, rebuilt.by_category),
        ("year", archive.by_year, rebuilt.by_year),
    ):
        if stated != real:
            raise VerificationError(
                f"the archive's {name} credit totals are not those of its outcomes"
            )


def _by_index(items: list[_Indexed], what: str) -> dict[int, _Indexed]:
    by_index: dict[int, _Indexed] = {}
    for item in items:
        if by_index.setdefault(item.index, item) is not item:
            raise VerificationError(f"the archive lists {what} {item.index} twice")
    return by_index


def _check_link(
    what: str,
    stated: RevocationView | ReversalView | None,
    real: RevocationView | ReversalView | None,
    change: str,
) -> None:
    """A revocation or reversal is shown exactly when the bundle holds its entry."""
    if stated is not None and real is None:
        raise VerificationError(
            f"{what} is shown {change} by entry {stated.index}, "
            "which is not such an entry in the bundle"
        )
    if stated is None and real is not None:
        raise about(real.index, f"{what} was {change} by this entry; the archive does not say so")


def _check_same_indices(
    claimed: Mapping[int, object],
    actual: Mapping[int, object],
    entries: Mapping[int, Entry],
    kind: str,
) -> None:
    """Every item the archive shows has its entry, and every such entry is shown."""
    if missing := claimed.keys() - actual.keys():
        index = min(missing)
        found = entries.get(index)
        problem = "is not in the bundle" if found is None else f"is a {kind_of(found)}"
        raise VerificationError(
            f"archive {kind.split('.')[0]} {index}: its {kind} entry {problem}", index=index
        )
    if unshown := actual.keys() - claimed.keys():
        raise about(min(unshown), f"this learner's {kind}, which the archive does not show")


def _check_fields(what: str, claimed: msgspec.Struct, actual: msgspec.Struct, index: int) -> None:
    for name in claimed.__struct_fields__:
        stated, real = getattr(claimed, name), getattr(actual, name)
        if stated != real:
            # A nested struct (an award, a revocation) would make an unreadable message.
            nested = isinstance(stated, msgspec.Struct) or isinstance(real, msgspec.Struct)
            detail = (
                ""
                if nested
                else f": {_shown(stated)} in the archive, {_shown(real)} in the entries"
            )
            # A revocation or reversal has its own entry: name that one.
            at = real.index if isinstance(real, RevocationView | ReversalView) else index
            raise VerificationError(f"{what}: {name} does not match entry {at}{detail}", index=at)


def _shown(value: object) -> str:
    """A field's value as a person reads it: dates in ISO form, text in quotes, never a repr."""
    if value is None:
        return "none"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, datetime.date):  # a datetime too
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_shown(item) for item in value) + "]"
    return str(value)
