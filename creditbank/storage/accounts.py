"""People's accounts, their one-time links and activation codes, and their sessions.

Every secret handed to a person (a set-password link, an activation code, a session id) is
stored only as its SHA-256: they are random, so a fast hash is enough, and a copy of the
database gives nobody a way in. Passwords are stored as Argon2id hashes (``creditbank.passwords``).
"""

from __future__ import annotations

import datetime
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.learners.invitation_sheet import Invitee
from creditbank.people import Account
from creditbank.storage.tables import account, account_link, activation_code, person, web_session
from creditbank.tokens import Role

# Values per IN (...) list: well under SQLite's and PostgreSQL's limits on bound parameters.
_IN_LIST = 1_000

__all__ = [
    "account_by_learner",
    "account_by_username",
    "accounts",
    "count_accounts",
    "create_account",
    "create_session",
    "delete_session",
    "delete_sessions_of",
    "find_account",
    "invitees",
    "learners_with_accounts",
    "session_account",
    "set_password",
    "store_code",
    "store_link",
    "take_code",
    "take_link",
    "touch_session",
]


def _account(row: sa.Row[tuple[object, ...]]) -> Account:
    return Account(
        account_id=row.account_id,
        username=row.username,
        role=row.role,
        issuer_id=row.issuer_id,
        learner_ref=row.learner_ref,
        password_hash=row.password_hash,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


async def create_account(
    connection: AsyncConnection,
    *,
    role: Role,
    now: datetime.datetime,
    username: str | None = None,
    issuer_id: str | None = None,
    learner_ref: str | None = None,
    password_hash: str | None = None,
) -> Account:
    created = Account(
        account_id=str(uuid.uuid4()),
        username=username,
        role=role,
        issuer_id=issuer_id,
        learner_ref=learner_ref,
        password_hash=password_hash,
        created_at=now,
        disabled_at=None,
    )
    await connection.execute(
        account.insert().values(
            account_id=created.account_id,
            username=username,
            role=role,
            issuer_id=issuer_id,
            learner_ref=learner_ref,
            password_hash=password_hash,
            created_at=now,
        )
    )
    return created


async def _one(connection: AsyncConnection, where: sa.ColumnElement[bool]) -> Account | None:
    row = (await connection.execute(sa.select(account).where(where))).one_or_none()
    return None if row is None else _account(row)


async def find_account(connection: AsyncConnection, account_id: str) -> Account | None:
    return await _one(connection, account.c.account_id == account_id)


async def account_by_username(connection: AsyncConnection, username: str) -> Account | None:
    return await _one(connection, account.c.username == username)


async def account_by_learner(connection: AsyncConnection, learner_ref: str) -> Account | None:
    return await _one(connection, account.c.learner_ref == learner_ref)


async def accounts(connection: AsyncConnection) -> list[Account]:
    """Staff accounts, by username (learners' accounts are theirs, not a list to browse)."""
    rows = await connection.execute(
        sa.select(account).where(account.c.username.is_not(None)).order_by(account.c.username)
    )
    return [_account(row) for row in rows]


async def count_accounts(connection: AsyncConnection) -> int:
    return (await connection.execute(sa.select(sa.func.count()).select_from(account))).scalar_one()


async def set_password(connection: AsyncConnection, account_id: str, password_hash: str) -> None:
    await connection.execute(
        account.update()
        .where(account.c.account_id == account_id)
        .values(password_hash=password_hash)
    )


# One-time links and codes -------------------------------------------------------------------


async def store_link(
    connection: AsyncConnection,
    link_hash: bytes,
    account_id: str,
    now: datetime.datetime,
    expires_at: datetime.datetime,
) -> None:
    await connection.execute(
        account_link.insert().values(
            link_hash=link_hash, account_id=account_id, created_at=now, expires_at=expires_at
        )
    )


async def take_link(
    connection: AsyncConnection, link_hash: bytes, now: datetime.datetime, *, use: bool
) -> str | None:
    """The account a live, unused link is for (and, with ``use``, the link spent); else None."""
    row = (
        await connection.execute(
            sa.select(account_link.c.account_id).where(
                account_link.c.link_hash == link_hash,
                account_link.c.used_at.is_(None),
                account_link.c.expires_at > now,
            )
        )
    ).one_or_none()
    if row is None:
        return None
    if use:
        spent = await connection.execute(
            account_link.update()
            .where(account_link.c.link_hash == link_hash, account_link.c.used_at.is_(None))
            .values(used_at=now)
        )
        if spent.rowcount != 1:  # another request spent it first
            return None
    return str(row.account_id)


async def store_code(
    connection: AsyncConnection,
    code_hash: bytes,
    learner_ref: str,
    issued_by: str,
    now: datetime.datetime,
    expires_at: datetime.datetime,
) -> None:
    """A learner's new code; an unused older one stops working (the newest paper is the one)."""
    await connection.execute(
        activation_code.delete().where(
            activation_code.c.learner_ref == learner_ref, activation_code.c.used_at.is_(None)
        )
    )
    await connection.execute(
        activation_code.insert().values(
            code_hash=code_hash,
            learner_ref=learner_ref,
            issued_by=issued_by,
            created_at=now,
            expires_at=expires_at,
        )
    )


async def take_code(
    connection: AsyncConnection, code_hash: bytes, learner_ref: str, now: datetime.datetime
) -> bool:
    """Spend a live code issued for this learner; False if there is none."""
    spent = await connection.execute(
        activation_code.update()
        .where(
            activation_code.c.code_hash == code_hash,
            activation_code.c.learner_ref == learner_ref,
            activation_code.c.used_at.is_(None),
            activation_code.c.expires_at > now,
        )
        .values(used_at=now)
    )
    return bool(spent.rowcount == 1)


async def learners_with_accounts(connection: AsyncConnection, learner_refs: list[str]) -> set[str]:
    """Those of ``learner_refs`` who have activated an account."""
    found: set[str] = set()
    for start in range(0, len(learner_refs), _IN_LIST):
        rows = await connection.execute(
            sa.select(account.c.learner_ref).where(
                account.c.learner_ref.in_(learner_refs[start : start + _IN_LIST])
            )
        )
        found.update(row.learner_ref for row in rows)
    return found


async def invitees(connection: AsyncConnection, learner_refs: list[str]) -> list[Invitee]:
    """The learners among ``learner_refs`` whose personal data is held, in the order given."""
    found: dict[str, Invitee] = {}
    for start in range(0, len(learner_refs), _IN_LIST):
        rows = await connection.execute(
            sa.select(person.c.learner_ref, person.c.name, person.c.identifier).where(
                person.c.learner_ref.in_(learner_refs[start : start + _IN_LIST])
            )
        )
        for row in rows:
            found[row.learner_ref] = Invitee(
                learner_ref=row.learner_ref, name=row.name, identifier=row.identifier
            )
    return [found[ref] for ref in learner_refs if ref in found]


# Sessions -----------------------------------------------------------------------------------


async def create_session(
    connection: AsyncConnection,
    session_hash: bytes,
    account_id: str,
    now: datetime.datetime,
    expires_at: datetime.datetime,
) -> None:
    await connection.execute(
        web_session.insert().values(
            session_hash=session_hash, account_id=account_id, created_at=now, expires_at=expires_at
        )
    )


async def session_account(
    connection: AsyncConnection, session_hash: bytes, now: datetime.datetime
) -> tuple[Account, datetime.datetime, datetime.datetime] | None:
    """The enabled account of a live session, with the session's start and expiry."""
    row = (
        await connection.execute(
            sa.select(account, web_session.c.created_at.label("session_created"))
            .add_columns(web_session.c.expires_at)
            .join(web_session, web_session.c.account_id == account.c.account_id)
            .where(
                web_session.c.session_hash == session_hash,
                web_session.c.expires_at > now,
                account.c.disabled_at.is_(None),
            )
        )
    ).one_or_none()
    if row is None:
        return None
    return _account(row), row.session_created, row.expires_at


async def touch_session(
    connection: AsyncConnection, session_hash: bytes, expires_at: datetime.datetime
) -> None:
    await connection.execute(
        web_session.update()
        .where(web_session.c.session_hash == session_hash)
        .values(expires_at=expires_at)
    )


async def delete_session(connection: AsyncConnection, session_hash: bytes) -> None:
    await connection.execute(web_session.delete().where(web_session.c.session_hash == session_hash))


async def delete_sessions_of(connection: AsyncConnection, account_id: str) -> None:
    await connection.execute(web_session.delete().where(web_session.c.account_id == account_id))
