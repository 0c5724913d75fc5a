"""The accreditation desk: drafts, validation, publication and retirement of standards.

Drafts are mutable working documents outside the log. Publishing validates the draft against
every published standard under the log's write lock (so two publications cannot both pass an
ambiguity check that each would fail against the other) and appends ``standard.published`` with
the full document; from then on that id and version are immutable and a change is a new version.
Retiring appends ``standard.retired``. The engine's rule book is compiled from the published,
unretired standards and cached until that set changes.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from creditbank.errors import (
    ConflictError,
    MalformedError,
    NotFoundError,
    StandardInvalidError,
)
from creditbank.keys import KeyRing
from creditbank.ledger.entries import SealedEntry
from creditbank.outcomes import format_timestamp
from creditbank.rules.engine import RuleBook, compile_rulebook
from creditbank.rules.validate import validate_standard
from creditbank.storage.append import LogTransaction, log_transaction
from creditbank.storage.tables import standard as standard_table
from creditbank.storage.tables import standard_draft
from schemas.api import ProblemField, StandardView, ValidationReport
from schemas.entries import StandardPublished, StandardRetired
from schemas.standards import Standard

__all__ = ["StandardsDesk", "published_standards", "validation_context", "validation_report"]

Clock = Callable[[], datetime.datetime]
_decoder = msgspec.json.Decoder(Standard)


def _document(text: str) -> Standard:
    return _decoder.decode(text)


async def validation_context(
    connection: AsyncConnection,
) -> tuple[list[Standard], set[tuple[str, int]]]:
    """Every version ever published, and which of them are retired: what a new one is checked
    against (retired versions keep their numbers taken but no longer overlap anything)."""
    rows = await connection.execute(
        sa.select(standard_table.c.document, standard_table.c.status).order_by(
            standard_table.c.published_index
        )
    )
    published, retired = [], set()
    for text, status in rows:
        document = _document(text)
        published.append(document)
        if status == "retired":
            retired.add((document.id, document.version))
    return published, retired


async def published_standards(
    connection: AsyncConnection, *, in_force_only: bool = True
) -> list[Standard]:
    """Published standards in publication order (only the unretired ones by default)."""
    query = sa.select(standard_table.c.document).order_by(standard_table.c.published_index)
    if in_force_only:
        query = query.where(standard_table.c.status == "published")
    return [_document(text) for (text,) in await connection.execute(query)]


class StandardsDesk:
    def __init__(self, *, engine: AsyncEngine, keys: KeyRing, clock: Clock) -> None:
        self._engine = engine
        self.keys = keys
        self._clock = clock
        self._rulebook: RuleBook | None = None
        self._rulebook_key: frozenset[tuple[str, int]] = frozenset()

    # Drafts ----------------------------------------------------------------------------------

    async def create_draft(self, document: Standard) -> StandardView:
        async with self._engine.begin() as connection:
            if await self._find(connection, document.id, document.version) is not None:
                raise ConflictError(f"{document.id}@{document.version} already exists")
            await connection.execute(
                standard_draft.insert().values(
                    standard_id=document.id,
                    version=document.version,
                    document=msgspec.json.encode(document).decode(),
                    updated_at=self._clock(),
                )
            )
        return StandardView(status="draft", standard=document)

    async def update_draft(
        self, standard_id: str, version: int, document: Standard
    ) -> StandardView:
        if (document.id, document.version) != (standard_id, version):
            raise MalformedError("id", "the document's id and version must match the path")
        async with self._engine.begin() as connection:
            updated = await connection.execute(
                standard_draft.update()
                .where(
                    standard_draft.c.standard_id == standard_id,
                    standard_draft.c.version == version,
                )
                .values(document=msgspec.json.encode(document).decode(), updated_at=self._clock())
            )
            if updated.rowcount == 0:
                await self._require_draft_or_explain(connection, standard_id, version)
        return StandardView(status="draft", standard=document)

    async def view(self, standard_id: str, version: int, *, drafts: bool) -> StandardView:
        async with self._engine.connect() as connection:
            found = await self._find(connection, standard_id, version)
        if found is None or (found.status == "draft" and not drafts):
            raise NotFoundError(f"no standard {standard_id}@{version}")
        return found

    async def catalogue(self, *, drafts: bool) -> list[StandardView]:
        async with self._engine.connect() as connection:
            views = [
                StandardView(
                    status=row.status,
                    standard=_document(row.document),
                    published_index=row.published_index,
                    retired_index=row.retired_index,
                )
                for row in await connection.execute(
                    sa.select(standard_table).order_by(
                        standard_table.c.standard_id, standard_table.c.version
                    )
                )
            ]
            if drafts:
                rows = await connection.execute(
                    sa.select(standard_draft.c.document).order_by(
                        standard_draft.c.standard_id, standard_draft.c.version
                    )
                )
                views.extend(StandardView(status="draft", standard=_document(t)) for (t,) in rows)
        return views

    # Validation and publication ----------------------------------------------------------------

    async def validate_draft(self, standard_id: str, version: int) -> ValidationReport:
        async with self._engine.connect() as connection:
            draft = await self._draft(connection, standard_id, version)
            published, retired = await validation_context(connection)
        return validation_report(draft, published, retired)

    async def publish_draft(self, standard_id: str, version: int) -> StandardView:
        """Publish a draft; reading and removing it in the same transaction, so an edit that
        lands meanwhile is either published or refused, never lost."""
        async with log_transaction(self._engine, self.keys) as transaction:
            draft = await self._draft(transaction.connection, standard_id, version)
            view = await self._publish(transaction, draft)
            await transaction.connection.execute(
                standard_draft.delete().where(
                    standard_draft.c.standard_id == standard_id,
                    standard_draft.c.version == version,
                )
            )
            await transaction.commit()
        return view

    async def publish(self, document: Standard) -> StandardView:
        """Validate against everything published and append ``standard.published``."""
        async with log_transaction(self._engine, self.keys) as transaction:
            view = await self._publish(transaction, document)
            await transaction.commit()
        return view

    async def _publish(self, transaction: LogTransaction, document: Standard) -> StandardView:
        # Under the write lock: two publications cannot both pass a tie check each would fail.
        published, retired = await validation_context(transaction.connection)
        validate_standard(document, published, retired=retired)
        entry = StandardPublished(standard=document, published_at=self._now())
        appended = await transaction.append([SealedEntry(entry)])
        return StandardView(
            status="published", standard=document, published_index=appended.first_index
        )

    async def retire(self, standard_id: str, version: int, reason: str) -> StandardView:
        async with log_transaction(self._engine, self.keys) as transaction:
            found = await self._find(transaction.connection, standard_id, version)
            if found is None or found.status == "draft":
                raise NotFoundError(f"no published standard {standard_id}@{version}")
            if found.status == "retired":
                raise ConflictError(f"{standard_id}@{version} is already retired")
            entry = StandardRetired(
                standard_id=standard_id, version=version, reason=reason, retired_at=self._now()
            )
            appended = await transaction.append([SealedEntry(entry)])
            await transaction.commit()
        return StandardView(
            status="retired",
            standard=found.standard,
            published_index=found.published_index,
            retired_index=appended.first_index,
        )

    # The engine's view ------------------------------------------------------------------------

    async def rulebook(self, connection: AsyncConnection) -> RuleBook:
        """The compiled standards in force, recompiled only when that set has changed."""
        rows = await connection.execute(
            sa.select(standard_table.c.standard_id, standard_table.c.version).where(
                standard_table.c.status == "published"
            )
        )
        key = frozenset((row.standard_id, row.version) for row in rows)
        if self._rulebook is None or key != self._rulebook_key:
            self._rulebook = compile_rulebook(await published_standards(connection))
            self._rulebook_key = key
        return self._rulebook

    # Helpers ----------------------------------------------------------------------------------

    def _now(self) -> str:
        return format_timestamp(self._clock())

    async def _find(
        self, connection: AsyncConnection, standard_id: str, version: int
    ) -> StandardView | None:
        row = (
            await connection.execute(
                sa.select(standard_table).where(
                    standard_table.c.standard_id == standard_id,
                    standard_table.c.version == version,
                )
            )
        ).one_or_none()
        if row is not None:
            return StandardView(
                status=row.status,
                standard=_document(row.document),
                published_index=row.published_index,
                retired_index=row.retired_index,
            )
        try:
            return StandardView(
                status="draft", standard=await self._draft(connection, standard_id, version)
            )
        except NotFoundError:
            return None

    async def _draft(self, connection: AsyncConnection, standard_id: str, version: int) -> Standard:
        text = (
            await connection.execute(
                sa.select(standard_draft.c.document).where(
                    standard_draft.c.standard_id == standard_id,
                    standard_draft.c.version == version,
                )
            )
        ).scalar_one_or_none()
        if text is None:
            raise NotFoundError(f"no draft {standard_id}@{version}")
        return _document(text)

    async def _require_draft_or_explain(
        self, connection: AsyncConnection, standard_id: str, version: int
    ) -> None:
        await self._refuse_if_published(connection, standard_id, version)
        raise NotFoundError(f"no draft {standard_id}@{version}")

    async def _refuse_if_published(
        self, connection: AsyncConnection, standard_id: str, version: int
    ) -> None:
        published = (
            await connection.execute(
                sa.select(standard_table.c.status).where(
                    standard_table.c.standard_id == standard_id,
                    standard_table.c.version == version,
                )
            )
        ).scalar_one_or_none()
        if published is not None:
            raise ConflictError(
                f"{standard_id}@{version} is published and immutable: draft a new version"
            )


def validation_report(
    document: Standard, published: list[Standard], retired: set[tuple[str, int]]
) -> ValidationReport:
    try:
        validate_standard(document, published, retired=retired)
    except StandardInvalidError as error:
        problems = [ProblemField(field=field, reason=reason) for field, reason in error.problems]
        return ValidationReport(valid=False, problems=problems)
    return ValidationReport(valid=True, problems=[])
