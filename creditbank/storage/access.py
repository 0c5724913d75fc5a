"""Tokens and personal data: the two mutable tables outside the log."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.outcomes import PersonalData
from creditbank.storage.tables import api_token, person
from creditbank.tokens import Principal, Role, hash_token, new_token

__all__ = ["count_tokens", "create_token", "principal_for_token", "upsert_person"]


async def create_token(
    connection: AsyncConnection, principal: Principal, label: str | None = None
) -> str:
    """Store a new token's hash and return the token: the only time it is ever seen."""
    token = new_token()
    await connection.execute(
        api_token.insert().values(
            token_hash=hash_token(token),
            role=principal.role,
            issuer_id=principal.issuer_id,
            learner_ref=principal.learner_ref,
            label=label,
            created_at=datetime.datetime.now(datetime.UTC),
        )
    )
    return token


async def principal_for_token(connection: AsyncConnection, token: str) -> Principal | None:
    row = (
        await connection.execute(
            sa.select(api_token.c.role, api_token.c.issuer_id, api_token.c.learner_ref).where(
                api_token.c.token_hash == hash_token(token)
            )
        )
    ).one_or_none()
    if row is None:
        return None
    role: Role = row.role
    return Principal(role=role, issuer_id=row.issuer_id, learner_ref=row.learner_ref)


async def count_tokens(connection: AsyncConnection) -> int:
    return (
        await connection.execute(sa.select(sa.func.count()).select_from(api_token))
    ).scalar_one()


async def upsert_person(connection: AsyncConnection, personal: PersonalData) -> None:
    """Keep the personal data behind a learner_ref; the first name given is kept."""
    learner_ref, name = personal.learner_ref, personal.name
    now = datetime.datetime.now(datetime.UTC)
    existing = (
        await connection.execute(
            sa.select(person.c.name).where(person.c.learner_ref == learner_ref)
        )
    ).one_or_none()
    if existing is None:
        await connection.execute(
            person.insert().values(
                learner_ref=learner_ref,
                id_type=personal.id_type,
                identifier=personal.identifier,
                name=name,
                updated_at=now,
            )
        )
    elif name is not None and existing.name is None:
        # Fill a missing name, never replace one: any issuer may send a name, and one issuer's
        # typo must not rename the learner in everyone's records.
        await connection.execute(
            person.update()
            .where(person.c.learner_ref == learner_ref)
            .values(name=name, updated_at=now)
        )
