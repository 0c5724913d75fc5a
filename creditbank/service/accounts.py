"""The account desk: people's accounts, sign-in, activation codes and sessions.

Machines use bearer tokens (``service.access``); people use the web pages and sign in here.
Staff accounts are made by an admin and get a one-time link to set their password. Learners
activate themselves: the ID number they were recorded under plus a one-time code their school,
employer or the bank printed for them. Activating again with a new code sets a new password,
which is how a learner who forgot theirs gets back in, without a helpdesk reading ID numbers.

An account acts as the ``Principal`` its role and scope describe, so every desk applies the same
scope rules to a person as to a token. The ID number is used only to compute the learner_ref;
it is never stored here, logged or put in a URL.
"""

from __future__ import annotations

import asyncio
import datetime
import re
import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank import limits
from creditbank.errors import (
    AccountExistsError,
    InvalidLearnerIdError,
    LinkInvalidError,
    MalformedError,
    NotFoundError,
    SignInFailedError,
    TooManyAttemptsError,
    UnknownIssuerError,
)
from creditbank.learners.invitation_sheet import Invitation
from creditbank.passwords import (
    code_hash,
    hash_password,
    new_activation_code,
    new_secret,
    normalise_code,
    password_matches,
    secret_hash,
)
from creditbank.people import Account
from creditbank.privacy import Pseudonymizer, normalise_identifier
from creditbank.service.context import WriteContext
from creditbank.storage import accounts as stored
from creditbank.storage import reads
from creditbank.storage.learner_reads import batch_learners, issuer_learners
from creditbank.throttle import FailureWindow
from creditbank.tokens import Principal, Role

__all__ = ["AccountDesk", "SignedIn", "principal_of", "staff_roles"]

staff_roles: tuple[Role, ...] = ("issuer", "accreditor", "auditor", "admin")
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
_SIGN_IN_IDS = ("cn_resident_id", "passport")
first_admin_username = "admin"


@dataclass(frozen=True, kw_only=True)
class SignedIn:
    """A live session: the account, and the session id (for the cookie) when it is new."""

    account: Account
    session_id: str


def principal_of(account: Account) -> Principal:
    return Principal(
        role=account.role, issuer_id=account.issuer_id, learner_ref=account.learner_ref
    )


class AccountDesk:
    def __init__(self, context: WriteContext, pseudonymizer: Pseudonymizer) -> None:
        self._context = context
        self._pseudonymizer = pseudonymizer
        self._per_key = FailureWindow(limits.sign_in_failures_max, limits.sign_in_window_seconds)
        self._per_address = FailureWindow(
            limits.sign_in_failures_per_address_max, limits.sign_in_window_seconds
        )

    # Staff accounts and their links ---------------------------------------------------------

    async def create_staff(
        self, role: Role, username: str, issuer_id: str | None = None
    ) -> tuple[Account, str]:
        """A staff account without a password, and the one-time link secret to set it."""
        if role not in staff_roles:
            raise MalformedError("role", f"a staff role is one of: {', '.join(staff_roles)}")
        if not _USERNAME.fullmatch(username):
            raise MalformedError(
                "username", "2 to 64 lowercase letters, digits, dots, dashes or underscores"
            )
        if (role == "issuer") != (issuer_id is not None and issuer_id != ""):
            raise MalformedError("issuer", "an issuer officer, and only one, names an issuer")
        now = self._context.now()
        async with self._context.begin() as connection:
            if issuer_id and await reads.find_issuer(connection, issuer_id) is None:
                raise UnknownIssuerError(f"issuer {issuer_id} is not registered")
            if await stored.account_by_username(connection, username) is not None:
                raise AccountExistsError(f"there is already an account named {username}")
            created = await stored.create_account(
                connection, role=role, now=now, username=username, issuer_id=issuer_id or None
            )
            link = await self._new_link(connection, created.account_id)
        return created, link

    async def password_link(self, username: str) -> str:
        """A new one-time link to set the password of an existing staff account."""
        async with self._context.begin() as connection:
            found = await stored.account_by_username(connection, username)
            if found is None:
                raise NotFoundError(f"no account named {username}")
            return await self._new_link(connection, found.account_id)

    async def bootstrap_admin_link(self) -> str | None:
        """On a bank with no accounts, the first admin and its link; else None."""
        # Under the log's write lock, so two workers starting together make one admin.
        async with self._context.serialised() as connection:
            if await stored.count_accounts(connection) > 0:
                return None
            created = await stored.create_account(
                connection, role="admin", now=self._context.now(), username=first_admin_username
            )
            return await self._new_link(connection, created.account_id)

    async def link_account(self, link: str) -> Account:
        async with self._context.connect() as connection:
            account_id = await stored.take_link(
                connection, secret_hash(link), self._context.now(), use=False
            )
            found = (
                None if account_id is None else await stored.find_account(connection, account_id)
            )
        if found is None:
            raise LinkInvalidError("this link is unknown, already used or expired")
        return found

    async def set_password_by_link(self, link: str, password: str) -> SignedIn:
        """Spend the link, set the password, end other sessions and start one."""
        password_hash = await asyncio.to_thread(hash_password, password)
        async with self._context.begin() as connection:
            account_id = await stored.take_link(
                connection, secret_hash(link), self._context.now(), use=True
            )
            found = (
                None if account_id is None else await stored.find_account(connection, account_id)
            )
            if found is None:
                raise LinkInvalidError("this link is unknown, already used or expired")
            await stored.set_password(connection, found.account_id, password_hash)
            await stored.delete_sessions_of(connection, found.account_id)
            session_id = await self._new_session(connection, found.account_id)
        return SignedIn(account=found, session_id=session_id)

    async def staff(self) -> list[Account]:
        async with self._context.connect() as connection:
            return await stored.accounts(connection)

    # Signing in -----------------------------------------------------------------------------

    async def sign_in_staff(self, username: str, password: str, address: str) -> SignedIn:
        key = "staff:" + username.strip().lower()
        self._check_throttle(key, address)
        async with self._context.connect() as connection:
            found = await stored.account_by_username(connection, username.strip().lower())
        return await self._finish_sign_in(found, password, key, address)

    async def sign_in_learner(
        self, id_type: str, id_number: str, password: str, address: str
    ) -> SignedIn:
        learner_ref = self._learner_ref_or_fail(id_type, id_number, address)
        key = "learner:" + learner_ref
        self._check_throttle(key, address)
        async with self._context.connect() as connection:
            found = await stored.account_by_learner(connection, learner_ref)
        return await self._finish_sign_in(found, password, key, address)

    async def activate(
        self, id_type: str, id_number: str, code: str, password: str, address: str
    ) -> SignedIn:
        """Spend a learner's activation code and set their password (a first or a new one)."""
        learner_ref = self._learner_ref_or_fail(id_type, id_number, address)
        key = "learner:" + learner_ref
        self._check_throttle(key, address)
        password_hash = await asyncio.to_thread(hash_password, password)
        now = self._context.now()
        async with self._context.begin() as connection:
            printed = normalise_code(code)
            if not printed or not await stored.take_code(
                connection, code_hash(printed), learner_ref, now
            ):
                self._failed(key, address)
                raise SignInFailedError(
                    "the ID number and activation code do not match a valid code"
                )
            found = await stored.account_by_learner(connection, learner_ref)
            if found is None:
                found = await stored.create_account(
                    connection,
                    role="learner",
                    now=now,
                    learner_ref=learner_ref,
                    password_hash=password_hash,
                )
            else:
                await stored.set_password(connection, found.account_id, password_hash)
                await stored.delete_sessions_of(connection, found.account_id)
            session_id = await self._new_session(connection, found.account_id)
        self._per_key.clear(key)
        return SignedIn(account=found, session_id=session_id)

    # Sessions -------------------------------------------------------------------------------

    async def session(self, session_id: str) -> Account | None:
        """The account of a live session, extending its idle expiry; None when it has ended."""
        if not session_id or len(session_id) > 128:
            return None
        session_hash = secret_hash(session_id)
        now = self._context.now()
        async with self._context.connect() as connection:
            found = await stored.session_account(connection, session_hash, now)
        if found is None:
            return None
        account, started, expires_at = found
        idle_until = min(
            now + datetime.timedelta(seconds=limits.session_idle_seconds),
            started + datetime.timedelta(seconds=limits.session_absolute_seconds),
        )
        extend_by = datetime.timedelta(seconds=limits.session_extend_after_seconds)
        if idle_until - expires_at >= extend_by:
            async with self._context.begin() as connection:
                await stored.touch_session(connection, session_hash, idle_until)
        return account

    async def sign_out(self, session_id: str) -> None:
        async with self._context.begin() as connection:
            await stored.delete_session(connection, secret_hash(session_id))

    # Activation codes -----------------------------------------------------------------------

    async def invite_identifiers(
        self, principal: Principal, identifiers: list[tuple[str, str]], issued_by: str
    ) -> tuple[list[Invitation], list[int]]:
        """Codes for the learners with these (type, number) pairs; the positions not found.

        An issuer officer may invite only learners its issuer has recorded, and only those who
        have no account yet: a code opens an archive (and a new one resets the password), so
        knowing someone's ID number, or having once employed them, must not be enough to take
        over their account. Resetting an existing account's password is the bank's (an admin)."""
        refs: list[str] = []
        missing: list[int] = []
        for position, (id_type, number) in enumerate(identifiers):
            try:
                refs.append(self._learner_ref(id_type, number))
            except InvalidLearnerIdError:
                missing.append(position)
                refs.append("")
        if principal.role == "issuer":
            async with self._context.connect() as connection:
                own = await issuer_learners(connection, principal.issuer_id or "", refs)
            refs = [ref if ref in own else "" for ref in refs]
        invitations = await self.invite(refs, issued_by, first_time_only=principal.role != "admin")
        known = {invitation.invitee.learner_ref for invitation in invitations}
        missing += [
            position
            for position, ref in enumerate(refs)
            if ref not in known and position not in missing
        ]
        return invitations, sorted(missing)

    async def invite_batch(
        self, principal: Principal, issuer_id: str, first: int, last: int, issued_by: str
    ) -> list[Invitation]:
        """Codes for the learners of an issuer's committed batch (entries ``first..last``);
        for an officer, those without an account yet (as ``invite_identifiers``)."""
        async with self._context.connect() as connection:
            refs = await batch_learners(connection, issuer_id, first, last)
        return await self.invite(refs, issued_by, first_time_only=principal.role != "admin")

    async def invite(
        self, learner_refs: list[str], issued_by: str, *, first_time_only: bool = False
    ) -> list[Invitation]:
        """New codes for the learners the bank holds personal data for (others are skipped);
        with ``first_time_only``, also those who already have an account."""
        unique = list(dict.fromkeys(ref for ref in learner_refs if ref))
        if len(unique) > limits.invite_learners_max:
            raise MalformedError(
                "learners", f"at most {limits.invite_learners_max} codes at a time"
            )
        now = self._context.now()
        expires_at = now + datetime.timedelta(days=limits.activation_code_days)
        invitations = []
        async with self._context.begin() as connection:
            if first_time_only:
                activated = await stored.learners_with_accounts(connection, unique)
                unique = [ref for ref in unique if ref not in activated]
            for invitee in await stored.invitees(connection, unique):
                code = new_activation_code()
                await stored.store_code(
                    connection, code_hash(code), invitee.learner_ref, issued_by, now, expires_at
                )
                invitations.append(Invitation(invitee=invitee, code=code, expires_at=expires_at))
        return invitations

    # Inside ---------------------------------------------------------------------------------

    def _learner_ref(self, id_type: str, id_number: str) -> str:
        if id_type not in _SIGN_IN_IDS:
            raise InvalidLearnerIdError("sign in with a resident ID or passport number", "id_type")
        return self._pseudonymizer.learner_ref(
            normalise_identifier(id_type, id_number, issuer_id="")
        )

    def _learner_ref_or_fail(self, id_type: str, id_number: str, address: str) -> str:
        try:
            return self._learner_ref(id_type, id_number)
        except InvalidLearnerIdError as error:
            # A mistyped number is the person's own slip, and saying so leaks nothing: the
            # check digit is public arithmetic. It still counts against the address.
            self._failed("", address)
            raise MalformedError("id_number", error.reason) from None

    def _check_throttle(self, key: str, address: str) -> None:
        now = time.monotonic()
        wait = max(
            self._per_key.wait_seconds(key, now), self._per_address.wait_seconds(address, now)
        )
        if wait > 0:
            minutes = max(1, round(wait / 60))
            raise TooManyAttemptsError(
                f"too many failed attempts; try again in {minutes} minutes",
                retry_after=int(wait) + 1,
            )

    def _failed(self, key: str, address: str) -> None:
        now = time.monotonic()
        if key:
            self._per_key.fail(key, now)
        self._per_address.fail(address, now)

    async def _finish_sign_in(
        self, found: Account | None, password: str, key: str, address: str
    ) -> SignedIn:
        stored_hash = None if found is None or found.disabled_at else found.password_hash
        matches = await asyncio.to_thread(password_matches, stored_hash, password)
        if found is None or not matches:
            self._failed(key, address)
            raise SignInFailedError("the name or password is not right")
        self._per_key.clear(key)
        async with self._context.begin() as connection:
            session_id = await self._new_session(connection, found.account_id)
        return SignedIn(account=found, session_id=session_id)

    async def _new_link(self, connection: AsyncConnection, account_id: str) -> str:
        link = new_secret()
        now = self._context.now()
        expires_at = now + datetime.timedelta(seconds=limits.password_link_seconds)
        await stored.store_link(connection, secret_hash(link), account_id, now, expires_at)
        return link

    async def _new_session(self, connection: AsyncConnection, account_id: str) -> str:
        # A new id at every sign-in: a session id planted before sign-in is never promoted.
        session_id = new_secret()
        now = self._context.now()
        expires_at = now + datetime.timedelta(seconds=limits.session_idle_seconds)
        await stored.create_session(
            connection, secret_hash(session_id), account_id, now, expires_at
        )
        return session_id
