"""``creditbank backup DIR`` and ``creditbank restore DIR``: everything a deployment needs.

A log is more than its database. Without the signing keys it can be read but not extended under
the same name; without the pseudonym secret no learner can be found again (every ``learner_ref``
is keyed by it); without the import job files no old report can be downloaded. A backup holds
all four:

    DIR/manifest.json      what, when, schema revision, tree size, signed checkpoint, counts
    DIR/tables/*.ndjson    every table, read in one snapshot (``storage.dump``)
    DIR/keys/              the signing keys (and retired verifier keys), 0600 in a 0700 dir
    DIR/pseudonym.key      the pseudonym secret
    DIR/imports/           the import jobs' input and row results

The backup can be taken while the service runs. ``restore`` puts it into the configured
database, which it migrates and which must hold nothing yet, and into the configured key, secret
and data paths, which must not hold keys or a secret yet (a restore never overwrites a secret).
It then checks the restored head against the restored keys before saying it is done. Keep the
backup as private as the deployment: it holds personal data and the secrets.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import shutil
from pathlib import Path
from typing import Any

from creditbank.cli.common import CommandError
from creditbank.keys import KeyRing
from creditbank.service.deployment import open_bank
from creditbank.settings import Settings
from creditbank.storage import reads
from creditbank.storage.dump import dump_tables, load_tables, schema_revision, target_is_empty
from creditbank.storage.engine import create_engine, snapshot
from creditbank.storage.integrity import check_head
from creditbank.storage.migrate import upgrade

__all__ = ["add_commands", "run"]

BACKUP_FORMAT = "creditbank-backup/1"
_MANIFEST = "manifest.json"


def add_commands(commands: Any) -> None:
    backup = commands.add_parser("backup", help="database, keys, secret and import files to DIR")
    backup.add_argument("directory", type=Path, help="a new or empty directory")
    restore = commands.add_parser("restore", help="a backup into a fresh database and data dir")
    restore.add_argument("directory", type=Path, help="a directory `creditbank backup` wrote")


def run(settings: Settings, arguments: argparse.Namespace) -> int:
    if arguments.command == "backup":
        return _backup(settings, arguments.directory)
    return _restore(settings, arguments.directory)


def _backup(settings: Settings, directory: Path) -> int:
    if directory.exists() and any(directory.iterdir()):
        raise CommandError("backup_target_not_empty", f"{directory} is not empty")
    if not settings.pseudonym_key_file.exists():
        raise CommandError("no_secret", f"no pseudonym secret at {settings.pseudonym_key_file}")
    (directory / "tables").mkdir(parents=True, mode=0o700)
    os.chmod(directory, 0o700)
    manifest = asyncio.run(_dump(settings, directory / "tables"))
    shutil.copytree(settings.keys_dir, directory / "keys")
    shutil.copy2(settings.pseudonym_key_file, directory / "pseudonym.key")
    imports = settings.data_dir / "imports"
    if imports.is_dir():
        shutil.copytree(imports, directory / "imports")
    (directory / _MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    print(f"backed up a log of {manifest['tree_size']} entries to {directory}")
    return 0


async def _dump(settings: Settings, tables: Path) -> dict[str, Any]:
    engine = create_engine(settings.database_url)
    try:
        async with snapshot(engine) as connection:
            revision = await schema_revision(connection)
            stored = await reads.latest_checkpoint(connection)
            counts = await dump_tables(connection, tables)
    finally:
        await engine.dispose()
    return {
        "format": BACKUP_FORMAT,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "schema_revision": revision,
        "tree_size": 0 if stored is None else stored.tree_size,
        "checkpoint": None if stored is None else stored.signed_note,
        "rows": counts,
    }


def _restore(settings: Settings, directory: Path) -> int:
    manifest = _manifest(directory)
    for path in (settings.pseudonym_key_file, *settings.keys_dir.glob("*.skey")):
        if path.exists():
            raise CommandError(
                "restore_target_not_empty",
                f"{path} exists: a restore never overwrites keys or a secret",
            )
    upgrade(settings.database_url)
    counts = asyncio.run(_load(settings, directory / "tables", manifest["schema_revision"]))
    if counts != manifest["rows"]:
        raise CommandError("backup_damaged", "the tables' row counts differ from the manifest")
    _copy_private(directory / "keys", settings.keys_dir)
    _copy_private(directory / "pseudonym.key", settings.pseudonym_key_file)
    if (directory / "imports").is_dir():
        shutil.copytree(directory / "imports", settings.data_dir / "imports", dirs_exist_ok=True)
    asyncio.run(_check(settings))
    print(f"restored a log of {manifest['tree_size']} entries; its head verifies")
    return 0


async def _load(settings: Settings, tables: Path, revision: str) -> dict[str, int]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as connection:
            if await schema_revision(connection) != revision:
                raise CommandError(
                    "schema_mismatch",
                    f"the backup is of schema {revision}; restore it with the creditbank "
                    "version that wrote it, then upgrade",
                )
            if not await target_is_empty(connection):
                raise CommandError(
                    "restore_target_not_empty", "the database already holds a log or tokens"
                )
            return await load_tables(connection, tables)
    finally:
        await engine.dispose()


async def _check(settings: Settings) -> None:
    """The restored head against the restored keys, then the deployment opened as the service
    will open it (keys and secret found, none made)."""
    bank = await open_bank(settings)
    try:
        keys = KeyRing.load(settings.keys_dir, settings.origin, create=False)
        await check_head(bank.engine, keys)
    finally:
        await bank.engine.dispose()


def _manifest(directory: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((directory / _MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise CommandError("not_a_backup", f"{directory}: no readable {_MANIFEST}") from error
    if manifest.get("format") != BACKUP_FORMAT:
        raise CommandError("not_a_backup", f"{directory} is not a {BACKUP_FORMAT} backup")
    return manifest


def _copy_private(source: Path, target: Path) -> None:
    """Copy a key file or directory keeping it private (0600 files, 0700 directories)."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
        for path in [target, *target.rglob("*")]:
            os.chmod(path, 0o700 if path.is_dir() else 0o600)
    else:
        shutil.copy2(source, target)
        os.chmod(target, 0o600)
