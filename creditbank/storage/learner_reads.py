"""Reads behind archives and recognition: a learner's rows by learner_ref, entries by index.

Every query starts from an index (``outcome.learner_ref``, ``recognition.learner_ref``, primary
keys), so an archive costs a few indexed look-ups however long the log grows; nothing scans it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.ledger.entries import open_entry
from creditbank.storage.tables import (
    issuer,
    log_entry,
    outcome,
    programme,
    recognition,
    recognition_use,
    standard,
)
from schemas.entries import Entry
from schemas.standards import (
    Programme,
    Standard,
    StandardName,
    parse_standard_name,
    standard_name,
)

__all__ = [
    "OutcomeRow",
    "PublishedProgramme",
    "RecognitionRow",
    "Use",
    "batch_learners",
    "decoded",
    "document_indices",
    "entries_at",
    "issuer_learners",
    "issuer_names",
    "latest_programmes",
    "learner_outcomes",
    "learner_recognitions",
    "outcome_row",
    "programme_document",
    "programme_documents",
    "programme_versions",
    "published_standard_ids",
    "recognition_row",
    "standards_by_name",
    "uses_of",
]

# Indices per IN (...) list: well under SQLite's 32,766 variables and PostgreSQL's 65,535.
indices_per_query = 1_000


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    issuer_id: str
    record_id: str
    entry_index: int
    award_standard: str | None
    revoked_index: int | None
    award_index: int | None  # an award.granted entry, for an award granted after deposit


@dataclass(frozen=True, slots=True)
class RecognitionRow:
    entry_index: int
    learner_ref: str
    programme_id: str
    programme_version: int
    requirement_id: str
    reversed_index: int | None


@dataclass(frozen=True, slots=True)
class PublishedProgramme:
    programme: Programme
    published_index: int


class Use(NamedTuple):
    """One live use of an outcome: the requirement it serves and the recognition that used it."""

    programme_id: str
    requirement_id: str
    recognition_index: int


# The columns of OutcomeRow and RecognitionRow, in their fields' order.
_OUTCOME_ROW = (
    outcome.c.issuer_id,
    outcome.c.record_id,
    outcome.c.entry_index,
    outcome.c.award_standard,
    outcome.c.revoked_index,
    outcome.c.award_index,
)
_RECOGNITION_ROW = (
    recognition.c.entry_index,
    recognition.c.learner_ref,
    recognition.c.programme_id,
    recognition.c.programme_version,
    recognition.c.requirement_id,
    recognition.c.reversed_index,
)


async def learner_outcomes(connection: AsyncConnection, learner_ref: str) -> list[OutcomeRow]:
    rows = await connection.execute(
        sa.select(*_OUTCOME_ROW)
        .where(outcome.c.learner_ref == learner_ref)
        .order_by(outcome.c.entry_index)
    )
    return [OutcomeRow(*row) for row in rows]


async def learner_recognitions(
    connection: AsyncConnection, learner_ref: str
) -> list[RecognitionRow]:
    rows = await connection.execute(
        sa.select(*_RECOGNITION_ROW)
        .where(recognition.c.learner_ref == learner_ref)
        .order_by(recognition.c.entry_index)
    )
    return [RecognitionRow(*row) for row in rows]


def _parts(indices: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(indices))
    for start in range(0, len(ordered), indices_per_query):
        yield ordered[start : start + indices_per_query]


async def entries_at(connection: AsyncConnection, indices: Iterable[int]) -> dict[int, bytes]:
    """The canonical bytes of the entries at these indices (primary-key look-ups)."""
    found: dict[int, bytes] = {}
    for part in _parts(indices):
        rows = await connection.execute(
            sa.select(log_entry.c.idx, log_entry.c.body).where(log_entry.c.idx.in_(part))
        )
        found.update((index, bytes(body)) for index, body in rows)
    return found


def decoded(bodies: dict[int, bytes]) -> dict[int, Entry]:
    return {index: open_entry(body) for index, body in bodies.items()}


async def uses_of(
    connection: AsyncConnection, outcome_indices: Sequence[int]
) -> dict[int, set[Use]]:
    """For each outcome, the (programme, requirement, recognition) of each live use of it."""
    uses: dict[int, set[Use]] = {}
    for part in _parts(outcome_indices):
        rows = await connection.execute(
            sa.select(
                recognition_use.c.outcome_index,
                recognition_use.c.programme_id,
                recognition_use.c.requirement_id,
                recognition_use.c.recognition_index,
            ).where(recognition_use.c.outcome_index.in_(part))
        )
        for index, programme_id, requirement_id, recognition_index in rows:
            uses.setdefault(index, set()).add(Use(programme_id, requirement_id, recognition_index))
    return uses


async def standards_by_name(
    connection: AsyncConnection, names: Iterable[str]
) -> dict[str, Standard]:
    """Published standard documents by ``<id>@<version>`` (retired ones included)."""
    wanted = {parse_standard_name(name) for name in names}
    if not wanted:
        return {}
    rows = await connection.execute(
        sa.select(standard.c.document).where(
            standard.c.standard_id.in_(sorted({name.id for name in wanted}))
        )
    )
    documents = (msgspec.json.decode(text, type=Standard) for (text,) in rows)
    return {
        standard_name(document.id, document.version): document
        for document in documents
        if StandardName(document.id, document.version) in wanted
    }


async def programme_document(
    connection: AsyncConnection, programme_id: str, version: int | None = None
) -> PublishedProgramme | None:
    """A programme version (the latest when ``version`` is None) and its published index."""
    query = sa.select(programme.c.document, programme.c.published_index).where(
        programme.c.programme_id == programme_id
    )
    if version is not None:
        query = query.where(programme.c.version == version)
    row = (await connection.execute(query.order_by(programme.c.version.desc()).limit(1))).first()
    if row is None:
        return None
    return PublishedProgramme(
        programme=msgspec.json.decode(row.document, type=Programme),
        published_index=row.published_index,
    )


async def programme_versions(connection: AsyncConnection, programme_id: str) -> list[Programme]:
    """Every published version of a programme, oldest first."""
    rows = await connection.execute(
        sa.select(programme.c.document)
        .where(programme.c.programme_id == programme_id)
        .order_by(programme.c.version)
    )
    return [msgspec.json.decode(text, type=Programme) for (text,) in rows]


async def programme_documents(
    connection: AsyncConnection, keys: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], Programme]:
    wanted = set(keys)
    if not wanted:
        return {}
    rows = await connection.execute(
        sa.select(programme.c.document).where(
            programme.c.programme_id.in_(sorted({programme_id for programme_id, _ in wanted}))
        )
    )
    documents = (msgspec.json.decode(text, type=Programme) for (text,) in rows)
    return {(d.id, d.version): d for d in documents if (d.id, d.version) in wanted}


async def issuer_names(connection: AsyncConnection, issuer_ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(issuer_ids))
    if not wanted:
        return {}
    rows = await connection.execute(
        sa.select(issuer.c.issuer_id, issuer.c.name).where(issuer.c.issuer_id.in_(wanted))
    )
    return {str(issuer_id): str(name) for issuer_id, name in rows}


async def recognition_row(connection: AsyncConnection, index: int) -> RecognitionRow | None:
    query = sa.select(*_RECOGNITION_ROW).where(recognition.c.entry_index == index)
    row = (await connection.execute(query)).first()
    return None if row is None else RecognitionRow(*row)


async def outcome_row(
    connection: AsyncConnection, issuer_id: str, record_id: str
) -> OutcomeRow | None:
    query = sa.select(*_OUTCOME_ROW).where(
        outcome.c.issuer_id == issuer_id, outcome.c.record_id == record_id
    )
    row = (await connection.execute(query)).first()
    return None if row is None else OutcomeRow(*row)


async def published_standard_ids(connection: AsyncConnection) -> set[str]:
    rows = await connection.execute(sa.select(standard.c.standard_id).distinct())
    return {standard_id for (standard_id,) in rows}


async def document_indices(
    connection: AsyncConnection,
    issuer_ids: Iterable[str],
    standard_names: Iterable[str],
    programmes: Iterable[tuple[str, int]],
) -> list[int]:
    """The entries that registered these issuers and published these standards and programmes."""
    indices: list[int] = []
    if wanted_issuers := sorted(set(issuer_ids)):
        rows = await connection.execute(
            sa.select(issuer.c.entry_index).where(issuer.c.issuer_id.in_(wanted_issuers))
        )
        indices += [index for (index,) in rows]
    for name in sorted(set(standard_names)):
        parsed = parse_standard_name(name)
        rows = await connection.execute(
            sa.select(standard.c.published_index).where(
                standard.c.standard_id == parsed.id, standard.c.version == parsed.version
            )
        )
        indices += [index for (index,) in rows]
    for programme_id, programme_version in sorted(set(programmes)):
        rows = await connection.execute(
            sa.select(programme.c.published_index).where(
                programme.c.programme_id == programme_id, programme.c.version == programme_version
            )
        )
        indices += [index for (index,) in rows]
    return indices


async def batch_learners(
    connection: AsyncConnection, issuer_id: str, first: int, last: int
) -> list[str]:
    """The learners of an issuer's outcomes recorded at entries ``first..last``, in entry order
    (an import batch: to print its learners' activation codes)."""
    rows = await connection.execute(
        sa.select(outcome.c.learner_ref, sa.func.min(outcome.c.entry_index).label("first"))
        .where(outcome.c.issuer_id == issuer_id, outcome.c.entry_index.between(first, last))
        .group_by(outcome.c.learner_ref)
        .order_by("first")
    )
    return [row.learner_ref for row in rows]


async def latest_programmes(connection: AsyncConnection) -> list[PublishedProgramme]:
    """The newest published version of every programme, by id (the public catalogue)."""
    rows = await connection.execute(
        sa.select(programme.c.document, programme.c.published_index).order_by(
            programme.c.programme_id, programme.c.version
        )
    )
    latest: dict[str, PublishedProgramme] = {}
    for row in rows:
        document = msgspec.json.decode(row.document, type=Programme)
        latest[document.id] = PublishedProgramme(
            programme=document, published_index=row.published_index
        )
    return list(latest.values())


async def issuer_learners(
    connection: AsyncConnection, issuer_id: str, learner_refs: list[str]
) -> set[str]:
    """Those of ``learner_refs`` with at least one outcome recorded by ``issuer_id``."""
    found: set[str] = set()
    wanted = sorted({ref for ref in learner_refs if ref})
    for part in _parts_of(wanted):
        rows = await connection.execute(
            sa.select(outcome.c.learner_ref)
            .where(outcome.c.issuer_id == issuer_id, outcome.c.learner_ref.in_(part))
            .distinct()
        )
        found.update(row.learner_ref for row in rows)
    return found


def _parts_of(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), indices_per_query):
        yield values[start : start + indices_per_query]
