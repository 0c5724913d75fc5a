"""The archive a bundle's entries say (pure): each verified entry placed where it belongs.

``source_of`` turns the verified entries into the ``ArchiveSource`` the bank's own
``build_archive`` rebuilds the archive from: every entry must be this learner's (or a document:
an issuer's registration, a standard's or programme's publication), and each revocation, grant
and reversal must name an entry of the bundle it can apply to. ``check_documents`` requires the
entry behind every name, title and validity the archive shows.
"""

from __future__ import annotations

from collections.abc import Mapping

from creditbank.audit.verification import VerificationError
from creditbank.learners.archive import ArchiveSource
from schemas.entries import (
    AwardGranted,
    Entry,
    IssuerRegistered,
    OutcomeRecorded,
    OutcomeRevoked,
    ProgrammePublished,
    RecognitionGranted,
    RecognitionReversed,
    StandardPublished,
)
from schemas.learners import Archive
from schemas.standards import standard_name

__all__ = ["about", "check_documents", "kind_of", "source_of"]

_archive_kinds = (
    OutcomeRecorded,
    OutcomeRevoked,
    AwardGranted,
    RecognitionGranted,
    RecognitionReversed,
)
# The entries behind the names, titles and validity an archive shows: anyone's, not the learner's.
_document_kinds = (IssuerRegistered, StandardPublished, ProgrammePublished)


def source_of(archive: Archive, entries: Mapping[int, Entry]) -> ArchiveSource:
    """What ``build_archive`` needs, from the verified entries; each must be this learner's."""
    source = ArchiveSource(
        learner_ref=archive.learner_ref, tree_size=archive.tree_size, today=archive.as_of
    )
    # Ascending order: a revocation or reversal always comes after the entry it refers to.
    for index, entry in sorted(entries.items()):
        if isinstance(entry, _document_kinds):
            _add_document(source, entry)
            continue
        if not isinstance(entry, _archive_kinds):
            raise about(index, f"{kind_of(entry)} entries have no place in a learner's archive")
        if entry.learner_ref != archive.learner_ref:
            raise about(
                index, f"is about another learner ({entry.learner_ref}), not {archive.learner_ref}"
            )
        if isinstance(entry, OutcomeRecorded):
            source.outcomes[index] = entry
        elif isinstance(entry, RecognitionGranted):
            for used in entry.outcomes:
                if used not in source.outcomes:
                    raise about(
                        index, f"recognises outcome {used}, which is not an outcome in the bundle"
                    )
            source.recognitions[index] = entry
        elif isinstance(entry, OutcomeRevoked):
            _add_revocation(source, index, entry)
        elif isinstance(entry, AwardGranted):
            _add_grant(source, index, entry)
        else:
            _add_reversal(source, index, entry)
    return source


def _add_document(
    source: ArchiveSource, entry: IssuerRegistered | StandardPublished | ProgrammePublished
) -> None:
    if isinstance(entry, IssuerRegistered):
        source.issuer_names[entry.issuer_id] = entry.name
    elif isinstance(entry, StandardPublished):
        source.standards[standard_name(entry.standard.id, entry.standard.version)] = entry.standard
    else:
        source.programmes[(entry.programme.id, entry.programme.version)] = entry.programme


def check_documents(source: ArchiveSource) -> None:
    """Every issuer, standard and programme the archive names has its entry in the bundle."""
    for index, outcome in sorted(source.outcomes.items()):
        if outcome.issuer_id not in source.issuer_names:
            raise about(index, f"issuer {outcome.issuer_id}'s registration is not in the bundle")
        named = outcome.award.standard if outcome.award is not None else None
        if index in source.grants:
            named = source.grants[index][1].standard
        if named is not None and named not in source.standards:
            raise about(index, f"the publication of standard {named} is not in the bundle")
    for index, grant in sorted(source.recognitions.items()):
        if (grant.programme_id, grant.programme_version) not in source.programmes:
            raise about(
                index,
                "the publication of programme "
                f"{standard_name(grant.programme_id, grant.programme_version)} "
                "is not in the bundle",
            )


def _named_outcome(
    source: ArchiveSource, index: int, entry: OutcomeRevoked | AwardGranted, verb: str
) -> OutcomeRecorded:
    """The bundle's outcome a revocation or grant names, by index and by record."""
    outcome = source.outcomes.get(entry.outcome_index)
    if outcome is None:
        raise about(
            index, f"{verb} entry {entry.outcome_index}, which is not an outcome in the bundle"
        )
    if (outcome.issuer_id, outcome.record_id) != (entry.issuer_id, entry.record_id):
        raise about(index, f"names a different record than outcome {entry.outcome_index}")
    return outcome


def _add_revocation(source: ArchiveSource, index: int, entry: OutcomeRevoked) -> None:
    _named_outcome(source, index, entry, "revokes")
    if entry.outcome_index in source.revocations:
        raise about(index, f"revokes outcome {entry.outcome_index} a second time")
    source.revocations[entry.outcome_index] = (index, entry)


def _add_grant(source: ArchiveSource, index: int, entry: AwardGranted) -> None:
    """A grant gives an outcome of the bundle, recorded without an award, its only award."""
    outcome = _named_outcome(source, index, entry, "grants")
    if outcome.award is not None or entry.outcome_index in source.grants:
        raise about(index, f"grants outcome {entry.outcome_index}, which holds an award already")
    if entry.outcome_index in source.revocations:
        raise about(index, f"grants outcome {entry.outcome_index} after its revocation")
    source.grants[entry.outcome_index] = (index, entry)


def _add_reversal(source: ArchiveSource, index: int, entry: RecognitionReversed) -> None:
    if entry.recognition_index not in source.recognitions:
        raise about(
            index, f"reverses entry {entry.recognition_index}, not a recognition in the bundle"
        )
    if entry.recognition_index in source.reversals:
        raise about(index, f"reverses recognition {entry.recognition_index} a second time")
    source.reversals[entry.recognition_index] = (index, entry)


def kind_of(entry: Entry) -> str:
    return str(type(entry).__struct_config__.tag)


def about(index: int, problem: str) -> VerificationError:
    return VerificationError(f"entry {index}: {problem}", index=index)
