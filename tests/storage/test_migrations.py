"""The Alembic migrations and the table definitions describe the same schema."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from creditbank.storage.engine import create_engine
from creditbank.storage.migrate import alembic_config, upgrade
from creditbank.storage.tables import metadata


def differences(database_url: str) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async def run() -> list[Any]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(compare)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_migrated_schema_matches_the_table_definitions(database_url: str) -> None:
    """Autogenerate finds nothing to change after `db upgrade`."""
    assert differences(database_url) == []


def test_downgrade_and_upgrade_round_trip(database_url: str) -> None:
    """The first migration can be undone and redone; the schema is the same afterwards."""
    command.downgrade(alembic_config(database_url), "base")
    upgrade(database_url)
    assert differences(database_url) == []
