"""The access desk: API tokens, by which machines and the CLI act as a principal.

Every request authenticates, and under load a database round trip per request for the token
took a pooled connection from the writes that needed it. A token's grant is therefore remembered
in this process for ``token_cache_seconds``: a revocation made here applies at once, one made by
another process (``creditbank tokens revoke``, another worker) within that time. An expiry is
checked on every request against the remembered grant. When a token was last used is kept in
memory and written at most every ``last_used_flush_seconds``, in the background, so recording it
never delays or fails a request.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import re
import time

from creditbank.errors import MalformedError, UnknownIssuerError
from creditbank.service.context import WriteContext
from creditbank.storage import access, reads
from creditbank.storage.access import StoredToken, TokenGrant
from creditbank.tokens import Principal, hash_token

__all__ = ["AccessDesk", "last_used_flush_seconds", "token_cache_seconds"]

token_cache_seconds = 5.0
token_cache_entries_max = 10_000
last_used_flush_seconds = 60.0
_LEARNER_REF = re.compile(r"[0-9a-f]{64}")
_logger = logging.getLogger("creditbank.access")


class AccessDesk:
    def __init__(self, context: WriteContext) -> None:
        self._context = context
        self._grants: dict[bytes, tuple[TokenGrant, float]] = {}
        self._used: dict[bytes, datetime.datetime] = {}
        self._flushed = time.monotonic()
        self._flushing: asyncio.Task[None] | None = None

    async def authenticate(self, token: str) -> Principal | None:
        token_hash = hash_token(token)
        now = self._context.now()
        remembered = self._grants.get(token_hash)
        if remembered is not None and remembered[1] > time.monotonic():
            grant: TokenGrant | None = remembered[0]
        else:
            async with self._context.connect() as connection:
                grant = await access.principal_for_token(connection, token_hash, now)
            self._remember(token_hash, grant)
        if grant is None or (grant.expires_at is not None and grant.expires_at <= now):
            return None
        self._used[token_hash] = now
        self._flush_if_due()
        return grant.principal

    async def create_token(
        self,
        principal: Principal,
        label: str | None = None,
        expires_at: datetime.datetime | None = None,
    ) -> str:
        """A new token; an issuer token needs a registered issuer, a learner token a well-formed
        learner_ref, and an expiry must be in the future."""
        if principal.learner_ref is not None and not _LEARNER_REF.fullmatch(principal.learner_ref):
            raise MalformedError("learner", "a learner_ref is 64 lowercase hexadecimal characters")
        if expires_at is not None and expires_at <= self._context.now():
            raise MalformedError("expires", "must be in the future")
        async with self._context.begin() as connection:
            issuer_id = principal.issuer_id
            if issuer_id is not None and await reads.find_issuer(connection, issuer_id) is None:
                raise UnknownIssuerError(f"issuer {principal.issuer_id} is not registered")
            return await access.create_token(connection, principal, label, expires_at)

    async def tokens(self) -> list[StoredToken]:
        async with self._context.connect() as connection:
            return await access.list_tokens(connection)

    async def revoke(self, token_id: str) -> int:
        """Revoke the live token whose id starts with ``token_id`` (one, or MalformedError)."""
        if len(token_id) < access.token_id_chars // 2:
            raise MalformedError(
                "token_id", f"give at least {access.token_id_chars // 2} characters"
            )
        async with self._context.begin() as connection:
            revoked = await access.revoke_tokens(connection, token_id, self._context.now())
            if len(revoked) > 1:
                raise MalformedError("token_id", "names more than one token: give more of it")
        for token_hash in revoked:
            self._grants.pop(token_hash, None)
        return len(revoked)

    async def bootstrap_admin_token(self) -> str | None:
        """A one-time admin token when the database has no tokens at all, else None."""
        # Under the log's write lock, so two processes starting at once make one token.
        async with self._context.serialised() as connection:
            if await access.count_tokens(connection) > 0:
                return None
            return await access.create_token(connection, Principal(role="admin"), "bootstrap")

    async def flush_last_used(self) -> None:
        """Write when tokens were last used (a graceful stop, and tests)."""
        used, self._used = self._used, {}
        self._flushed = time.monotonic()
        if used:
            async with self._context.begin() as connection:
                await access.mark_used(connection, used)

    def _remember(self, token_hash: bytes, grant: TokenGrant | None) -> None:
        if len(self._grants) >= token_cache_entries_max:
            self._grants.clear()
        if grant is not None:
            self._grants[token_hash] = (grant, time.monotonic() + token_cache_seconds)

    def _flush_if_due(self) -> None:
        if self._flushing is not None or time.monotonic() - self._flushed < last_used_flush_seconds:
            return
        self._flushing = asyncio.get_running_loop().create_task(self._flush_in_background())

    async def _flush_in_background(self) -> None:
        try:
            await self.flush_last_used()
        except Exception as error:  # bookkeeping: a failure is logged, never a request's
            _logger.warning("could not record when tokens were last used: %r", error)
        finally:
            self._flushing = None
