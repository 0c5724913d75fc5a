"""Tokens and personal data: the two mutable tables outside the log."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.outcomes import PersonalData
from creditbank.storage.tables import (
    account,
    activation_code,
    api_token,
    person,
    web_session,
)
from creditbank.tokens import Principal, Role, hash_token, new_token

__all__ = [
    "StoredToken",
    "TokenGrant",
    "count_tokens",
    "create_token",
    "erase_person",
    "list_tokens",
    "mark_used",
    "principal_for_token",
    "revoke_tokens",
    "upsert_person",
]

# A token's public id: the start of its hash, enough to name it in ``tokens revoke``.
token_id_chars = 12


@dataclass(frozen=True, kw_only=True)
class TokenGrant:
    """What a live token grants, and until when."""

    principal: Principal
    expires_at: datetime.datetime | None


@dataclass(frozen=True, kw_only=True)
class StoredToken:
    """A token as ``tokens list`` shows it: never the token itself, which is not stored."""

    token_id: str
    principal: Principal
    label: str | None
    created_at: datetime.datetime
    expires_at: datetime.datetime | None
    revoked_at: datetime.datetime | None
    last_used_at: datetime.datetime | None


def token_id(token_hash: bytes) -> str:
    return token_hash.hex()[:token_id_chars]


async def create_token(
    connection: AsyncConnection,
    principal: Principal,
    label: str | None = None,
    expires_at: datetime.datetime | None = None,
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
            expires_at=expires_at,
        )
    )
    return token


async def principal_for_token(
    connection: AsyncConnection, token_hash: bytes, now: datetime.datetime
) -> TokenGrant | None:
    """The grant of a token that exists, is not revoked and has not expired; else None."""
    row = (
        await connection.execute(
            sa.select(
                api_token.c.role,
                api_token.c.issuer_id,
                api_token.c.learner_ref,
                api_token.c.expires_at,
                api_token.c.revoked_at,
            ).where(api_token.c.token_hash == token_hash)
        )
    ).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    expires_at = row.expires_at
    if expires_at is not None and expires_at <= now:
        return None
    role: Role = row.role
    principal = Principal(role=role, issuer_id=row.issuer_id, learner_ref=row.learner_ref)
    return TokenGrant(principal=principal, expires_at=expires_at)


async def list_tokens(connection: AsyncConnection) -> list[StoredToken]:
    rows = await connection.execute(sa.select(api_token).order_by(api_token.c.created_at))
    return [
        StoredToken(
            token_id=token_id(bytes(row.token_hash)),
            principal=Principal(
                role=row.role, issuer_id=row.issuer_id, learner_ref=row.learner_ref
            ),
            label=row.label,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
        )
        for row in rows
    ]


async def revoke_tokens(
    connection: AsyncConnection, token_id_prefix: str, now: datetime.datetime
) -> list[bytes]:
    """Revoke the live tokens whose id starts with the prefix; their hashes."""
    prefix = token_id_prefix.lower()
    rows = await connection.execute(
        sa.select(api_token.c.token_hash).where(api_token.c.revoked_at.is_(None))
    )
    hashes = [
        bytes(row.token_hash) for row in rows if token_id(bytes(row.token_hash)).startswith(prefix)
    ]
    if hashes:
        await connection.execute(
            api_token.update().where(api_token.c.token_hash.in_(hashes)).values(revoked_at=now)
        )
    return hashes


async def mark_used(connection: AsyncConnection, used: dict[bytes, datetime.datetime]) -> None:
    """Record when each token was last used (a later time only)."""
    for token_hash, when in used.items():
        await connection.execute(
            api_token.update()
            .where(
                api_token.c.token_hash == token_hash,
                sa.or_(api_token.c.last_used_at.is_(None), api_token.c.last_used_at < when),
            )
            .values(last_used_at=when)
        )


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


async def erase_person(connection: AsyncConnection, learner_ref: str) -> bool:
    """Erase a learner's personal data (ID number, name) and their account. The log never held
    either; what stays is the pseudonym in the log and, on each outcome row, the age band at
    completion and the sex derived at deposit, so statistics at any signed size count what
    they counted before. False: nothing was held."""
    erased = await connection.execute(person.delete().where(person.c.learner_ref == learner_ref))
    accounts = sa.select(account.c.account_id).where(account.c.learner_ref == learner_ref)
    await connection.execute(web_session.delete().where(web_session.c.account_id.in_(accounts)))
    await connection.execute(
        activation_code.delete().where(activation_code.c.learner_ref == learner_ref)
    )
    await connection.execute(account.delete().where(account.c.learner_ref == learner_ref))
    return bool(erased.rowcount)
