"""Start-up checks, offline verification against the database, and key rotation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.audit.local import verify_database
from creditbank.audit.verification import VerificationError
from creditbank.errors import ConfigurationError, WritesDisabledError
from creditbank.keys import KeyRing
from creditbank.ledger.note import VerifierKey, open_note
from creditbank.service.bank import Bank
from creditbank.service.deployment import open_bank
from creditbank.settings import Settings
from creditbank.storage.append import log_transaction
from creditbank.tokens import Principal
from tests.factories import issuer_registration, outcome_record, rebuilt
from tests.storage.appender import batch_entries

ISSUER = Principal(role="issuer", issuer_id="acme-training")


async def fill(bank: Bank, count: int) -> None:
    await bank.deposits.register_issuer(issuer_registration())
    for serial in range(count):
        await bank.deposits.record_outcome(ISSUER, outcome_record(serial))


async def go_behind_the_triggers(connection: AsyncConnection) -> None:
    """What an attacker with database access does first: switch the append-only trigger off."""
    if connection.dialect.name == "postgresql":
        await connection.exec_driver_sql(
            "ALTER TABLE log_entry DISABLE TRIGGER log_entry_append_only"
        )
    else:
        await connection.exec_driver_sql("DROP TRIGGER log_entry_no_update")


async def test_verify_database_accepts_an_honest_log(bank: Bank) -> None:
    """Every entry, tile and checkpoint of an untouched log verifies."""
    await fill(bank, 5)
    verified = await verify_database(bank.engine, list(bank.keys.verifiers))
    assert verified.checkpoint.size == 6
    assert verified.report.entries_checked == 6
    assert verified.report.checkpoints_checked >= 6


async def test_verify_database_names_an_entry_altered_behind_the_triggers(bank: Bank) -> None:
    """Disabling the trigger and changing one byte is caught, and the index is named."""
    await fill(bank, 8)
    async with bank.engine.begin() as connection:
        await go_behind_the_triggers(connection)
        body = (
            await connection.exec_driver_sql("SELECT body FROM log_entry WHERE idx = 5")
        ).scalar_one()
        forged = bytes(body).replace(b'"16.0"', b'"96.0"')
        assert forged != bytes(body)
        await connection.execute(
            sa.text("UPDATE log_entry SET body = :body WHERE idx = 5"), {"body": forged}
        )
    with pytest.raises(VerificationError, match="entry 5") as raised:
        await verify_database(bank.engine, list(bank.keys.verifiers))
    assert raised.value.index == 5


async def test_tampered_head_disables_writes_at_start_up(bank: Bank) -> None:
    """A log_state that is not the signed head makes the service refuse writes."""
    await fill(bank, 2)
    async with bank.engine.begin() as connection:
        await connection.exec_driver_sql("UPDATE log_state SET tree_size = tree_size - 1")
    await bank.start()
    assert bank.writes_disabled is not None
    with pytest.raises(WritesDisabledError):
        await bank.deposits.record_outcome(ISSUER, outcome_record(99))


async def test_rotation_cosigns_until_the_old_key_retires(bank: Bank) -> None:
    """After rotate both keys sign; after retire only the new one, and old heads still verify."""
    await fill(bank, 1)
    old_key = bank.keys.signers[0]
    rotated = bank.keys.rotate()
    bank = rebuilt(bank, keys=rotated)
    await bank.start()
    note = open_note(await bank.log.checkpoint(), list(rotated.verifiers))
    assert {key.key_id for key in note.verified_by} == {key.key_id for key in rotated.signers}
    assert len(rotated.signers) == 2
    for key in rotated.signers:
        open_note(await bank.log.checkpoint(), [VerifierKey.parse(key.verifier_key())])

    retired = rotated.retire(old_key.key_id.hex())
    bank = rebuilt(bank, keys=retired)
    await bank.start()
    await bank.deposits.record_outcome(ISSUER, outcome_record(50))
    note = open_note(await bank.log.checkpoint(), list(retired.verifiers))
    assert [key.key_id for key in note.verified_by] == [retired.signers[0].key_id]
    assert bank.log.verifier_keys() == [retired.signers[0].verifier_key()]
    await verify_database(bank.engine, list(retired.verifiers))
    assert KeyRing.load(retired.directory, retired.origin).retired[0].key_id == old_key.key_id


async def test_a_tampered_root_is_never_re_signed_after_rotation(bank: Bank) -> None:
    """Rotating keys over a head that does not verify disables writes and signs nothing new."""
    await fill(bank, 2)
    before = await bank.log.checkpoint()
    async with bank.engine.begin() as connection:
        await connection.execute(
            sa.text("UPDATE log_state SET root_hash = :root"), {"root": b"\x11" * 32}
        )
    bank = rebuilt(bank, keys=bank.keys.rotate())
    await bank.start()
    assert bank.writes_disabled is not None
    assert await bank.log.checkpoint() == before


async def test_an_entry_in_a_full_tile_altered_behind_the_triggers_is_named(bank: Bank) -> None:
    """A change inside a complete tile is found by comparing the rebuilt tile, index named."""
    await bank.deposits.register_issuer(issuer_registration())
    entries = batch_entries("F", 0, 300)
    async with log_transaction(bank.engine, bank.keys) as transaction:
        await transaction.append(entries)
        await transaction.commit()
    async with bank.engine.begin() as connection:
        await go_behind_the_triggers(connection)
        await connection.execute(
            sa.text("UPDATE log_entry SET body = :body WHERE idx = 101"),
            {"body": entries[99].body},  # a valid entry, just not the one that was logged
        )
    with pytest.raises(VerificationError, match="entry 101") as raised:
        await verify_database(bank.engine, list(bank.keys.verifiers))
    assert raised.value.index == 101


async def test_a_log_with_history_never_gets_new_secrets(
    bank: Bank, database_url: str, tmp_path: Path
) -> None:
    """Pointing a used database at an empty keys directory or secret path refuses to start."""
    await fill(bank, 1)
    base = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        origin=bank.keys.origin,
        keys_dir=tmp_path / "elsewhere-keys",
        pseudonym_key_file=tmp_path / "elsewhere.key",
        host="127.0.0.1",
        port=0,
    )
    with pytest.raises(ConfigurationError, match="keys"):
        await open_bank(base)
    assert not any((tmp_path / "elsewhere-keys").glob("*.skey"))
    with pytest.raises(ConfigurationError, match="pseudonym"):
        await open_bank(dataclasses.replace(base, keys_dir=bank.keys.directory))
    assert not (tmp_path / "elsewhere.key").exists()
