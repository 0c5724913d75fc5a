"""The access desk: API tokens, by which machines and the CLI act as a principal."""

from __future__ import annotations

from creditbank.service.context import WriteContext
from creditbank.storage import access
from creditbank.tokens import Principal

__all__ = ["AccessDesk"]


class AccessDesk:
    def __init__(self, context: WriteContext) -> None:
        self._context = context

    async def authenticate(self, token: str) -> Principal | None:
        async with self._context.connect() as connection:
            return await access.principal_for_token(connection, token)

    async def create_token(self, principal: Principal, label: str | None = None) -> str:
        async with self._context.begin() as connection:
            return await access.create_token(connection, principal, label)

    async def bootstrap_admin_token(self) -> str | None:
        """A one-time admin token when the database has no tokens at all, else None."""
        # Under the log's write lock, so two processes starting at once make one token.
        async with self._context.serialised() as connection:
            if await access.count_tokens(connection) > 0:
                return None
            return await access.create_token(connection, Principal(role="admin"), "bootstrap")
