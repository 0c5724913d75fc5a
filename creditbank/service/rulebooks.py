"""The engine's view of the standards in force, compiled once and shared by every desk that
awards credits (deposits, imports, corrections)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.rules.engine import RuleBook, compile_rulebook
from creditbank.storage import standards as stored

__all__ = ["Rulebooks"]


class Rulebooks:
    """The compiled standards in force, recompiled only when that set has changed."""

    def __init__(self) -> None:
        self._rulebook: RuleBook | None = None
        self._key: frozenset[tuple[str, int]] = frozenset()

    async def current(self, connection: AsyncConnection) -> RuleBook:
        """The rule book for what ``connection`` sees (under the write lock, for a write)."""
        key = await stored.in_force_names(connection)
        if self._rulebook is None or key != self._key:
            self._rulebook = compile_rulebook(await stored.published_documents(connection))
            self._key = key
        return self._rulebook
