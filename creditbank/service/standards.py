"""The accreditation desk: drafts, validation, publication and retirement of standards.

Drafts are mutable working documents outside the log. Publishing validates the draft against
every published standard under the log's write lock (so two publications cannot both pass an
ambiguity check that each would fail against the other) and appends ``standard.published`` with
the full document; from then on that id and version are immutable and a change is a new version.
Retiring appends ``standard.retired``. The compiled rule book lives in ``service.rulebooks``.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.errors import ConflictError, MalformedError, NotFoundError, StandardInvalidError
from creditbank.ledger.entries import SealedEntry
from creditbank.outcomes import format_timestamp
from creditbank.rules.validate import validate_standard
from creditbank.service.context import WriteContext
from creditbank.storage import standards as stored
from creditbank.storage.append import LogTransaction
from creditbank.storage.standards import PublishedStandard, ValidationContext
from schemas.api import ProblemField, StandardView, ValidationReport
from schemas.entries import StandardPublished, StandardRetired
from schemas.standards import Standard, standard_name

__all__ = ["StandardsDesk", "validation_report"]


class StandardsDesk:
    def __init__(self, context: WriteContext) -> None:
        self._context = context

    # Drafts ----------------------------------------------------------------------------------

    async def create_draft(self, document: Standard) -> StandardView:
        async with self._context.begin() as connection:
            if await _find(connection, document.id, document.version) is not None:
                raise ConflictError(
                    f"{standard_name(document.id, document.version)} already exists"
                )
            await stored.insert_draft(connection, document, self._context.now())
        return StandardView(status="draft", standard=document)

    async def update_draft(
        self, standard_id: str, version: int, document: Standard
    ) -> StandardView:
        if (document.id, document.version) != (standard_id, version):
            raise MalformedError("id", "the document's id and version must match the path")
        async with self._context.begin() as connection:
            if not await stored.update_draft(connection, document, self._context.now()):
                if await stored.find_published(connection, standard_id, version) is not None:
                    raise ConflictError(
                        f"{standard_name(standard_id, version)} is published and immutable: "
                        "draft a new version"
                    )
                raise NotFoundError(f"no draft {standard_name(standard_id, version)}")
        return StandardView(status="draft", standard=document)

    async def view(self, standard_id: str, version: int, *, drafts: bool) -> StandardView:
        async with self._context.connect() as connection:
            found = await _find(connection, standard_id, version)
        if found is None or (found.status == "draft" and not drafts):
            raise NotFoundError(f"no standard {standard_name(standard_id, version)}")
        return found

    async def catalogue(self, *, drafts: bool) -> list[StandardView]:
        async with self._context.connect() as connection:
            views = [_view(row) for row in await stored.list_published(connection)]
            if drafts:
                views.extend(
                    StandardView(status="draft", standard=document)
                    for document in await stored.list_drafts(connection)
                )
        return views

    # Validation and publication ----------------------------------------------------------------

    async def validate_draft(self, standard_id: str, version: int) -> ValidationReport:
        async with self._context.connect() as connection:
            draft = await _draft(connection, standard_id, version)
            context = await stored.validation_context(connection)
        return validation_report(draft, context)

    async def validate(self, document: Standard) -> ValidationReport:
        """A document (from a file, not a draft) checked against everything published."""
        async with self._context.connect() as connection:
            context = await stored.validation_context(connection)
        return validation_report(document, context)

    async def publish_draft(self, standard_id: str, version: int) -> StandardView:
        """Publish a draft; reading and removing it in the same transaction, so an edit that
        lands meanwhile is either published or refused, never lost."""
        async with self._context.transaction() as transaction:
            draft = await _draft(transaction.connection, standard_id, version)
            view = await self._publish(transaction, draft)
            await stored.delete_draft(transaction.connection, standard_id, version)
            await transaction.commit()
        return view

    async def publish(self, document: Standard) -> StandardView:
        """Validate against everything published and append ``standard.published``."""
        async with self._context.transaction() as transaction:
            view = await self._publish(transaction, document)
            await transaction.commit()
        return view

    async def _publish(self, transaction: LogTransaction, document: Standard) -> StandardView:
        # Under the write lock: two publications cannot both pass a tie check each would fail.
        context = await stored.validation_context(transaction.connection)
        validate_standard(document, context.published, retired=context.retired)
        entry = StandardPublished(standard=document, published_at=self._now())
        appended = await transaction.append([SealedEntry(entry)])
        return StandardView(
            status="published", standard=document, published_index=appended.first_index
        )

    async def retire(self, standard_id: str, version: int, reason: str) -> StandardView:
        async with self._context.transaction() as transaction:
            found = await stored.find_published(transaction.connection, standard_id, version)
            if found is None:
                raise NotFoundError(f"no published standard {standard_name(standard_id, version)}")
            if found.status == "retired":
                raise ConflictError(f"{standard_name(standard_id, version)} is already retired")
            entry = StandardRetired(
                standard_id=standard_id, version=version, reason=reason, retired_at=self._now()
            )
            appended = await transaction.append([SealedEntry(entry)])
            await transaction.commit()
        return StandardView(
            status="retired",
            standard=found.document,
            published_index=found.published_index,
            retired_index=appended.first_index,
        )

    def _now(self) -> str:
        return format_timestamp(self._context.now())


def _view(found: PublishedStandard) -> StandardView:
    return StandardView(
        status=found.status,
        standard=found.document,
        published_index=found.published_index,
        retired_index=found.retired_index,
    )


async def _find(connection: AsyncConnection, standard_id: str, version: int) -> StandardView | None:
    """The version as published or retired, else as a draft, else None."""
    found = await stored.find_published(connection, standard_id, version)
    if found is not None:
        return _view(found)
    draft = await stored.find_draft(connection, standard_id, version)
    return None if draft is None else StandardView(status="draft", standard=draft)


async def _draft(connection: AsyncConnection, standard_id: str, version: int) -> Standard:
    draft = await stored.find_draft(connection, standard_id, version)
    if draft is None:
        raise NotFoundError(f"no draft {standard_name(standard_id, version)}")
    return draft


def validation_report(document: Standard, context: ValidationContext) -> ValidationReport:
    try:
        validate_standard(document, context.published, retired=context.retired)
    except StandardInvalidError as error:
        problems = [ProblemField(field=field, reason=reason) for field, reason in error.problems]
        return ValidationReport(valid=False, problems=problems)
    return ValidationReport(valid=True, problems=[])
