"""The single append path on both databases: atomic batches, contiguous indices, signed heads."""

from __future__ import annotations

import datetime

import asyncpg
import pytest
import sqlalchemy as sa

from creditbank.errors import NotFoundError, ProofError
from creditbank.ledger.checkpoint import open_checkpoint
from creditbank.ledger.entries import SealedEntry, open_entry
from creditbank.ledger.hashing import leaf_hash
from creditbank.ledger.merkle import MemoryTree, verify_consistency, verify_inclusion
from creditbank.outcomes import normalise_outcome
from creditbank.service.bank import Bank
from creditbank.storage import reads
from creditbank.storage.append import log_transaction
from creditbank.storage.tables import log_entry
from creditbank.tokens import Principal
from schemas.entries import OutcomeRecorded
from tests.factories import issuer_registration, outcome_record

NOW = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.UTC)


def sealed_outcomes(bank: Bank, first: int, count: int) -> list[SealedEntry]:
    entries: list[SealedEntry] = []
    for serial in range(first, first + count):
        entry, _ = normalise_outcome(
            outcome_record(serial),
            issuer_id="acme-training",
            pseudonymizer=bank.pseudonymizer,
            now=NOW,
        )
        entries.append(SealedEntry(entry))
    return entries


async def append(bank: Bank, entries: list[SealedEntry]) -> int:
    async with log_transaction(bank.engine, bank.keys) as transaction:
        appended = await transaction.append(entries)
        await transaction.commit()
    return appended.first_index


async def test_batches_get_contiguous_indices_and_signed_checkpoints(bank: Bank) -> None:
    """Each batch starts where the last ended and leaves a checkpoint over the whole tree."""
    tree = MemoryTree()
    first = 0
    for size in (1, 7, 300, 1):
        batch = sealed_outcomes(bank, first, size)
        assert await append(bank, batch) == first
        tree.append(entry.leaf_hash for entry in batch)
        first += size
        signed = open_checkpoint(await bank.log.checkpoint(), bank.keys.verifiers, bank.keys.origin)
        assert (signed.size, signed.root) == (tree.size, tree.root())


async def test_proofs_from_storage_verify_against_the_checkpoint(bank: Bank) -> None:
    """Inclusion and consistency proofs read from tiles verify against the signed roots."""
    entries = sealed_outcomes(bank, 0, 600)
    await append(bank, entries[:259])
    await append(bank, entries[259:])
    tree = MemoryTree(entry.leaf_hash for entry in entries)
    async with bank.engine.connect() as connection:
        for index in (0, 255, 256, 258, 259, 599):
            proof = await reads.inclusion_proof(connection, index, 600)
            verify_inclusion(entries[index].leaf_hash, index, 600, proof, tree.root())
            old_proof = await reads.inclusion_proof(connection, min(index, 258), 259)
            verify_inclusion(
                entries[min(index, 258)].leaf_hash, min(index, 258), 259, old_proof, tree.root(259)
            )
        for old in (0, 1, 256, 259, 600):
            proof = await reads.consistency_proof(connection, old, 600)
            verify_consistency(old, 600, tree.root(old), tree.root(), proof)
        # Many proofs at once (an archive export) are the same proofs, from tiles read once.
        many = [0, 1, 255, 256, 257, 258, 300, 511, 512, 599]
        batch = await reads.inclusion_proofs(connection, many, 600)
        assert batch == {
            index: await reads.inclusion_proof(connection, index, 600) for index in many
        }
        with pytest.raises(ProofError):
            await reads.inclusion_proofs(connection, [600], 600)


async def test_stored_bytes_are_the_hashed_bytes(bank: Bank) -> None:
    """What is served for an entry is exactly what was hashed into the tree."""
    entries = sealed_outcomes(bank, 0, 3)
    await append(bank, entries)
    for index, sealed in enumerate(entries):
        body = await bank.log.entry(index)
        assert body == sealed.body
        assert leaf_hash(body) == sealed.leaf_hash


async def test_transaction_rolls_back_unless_committed(bank: Bank) -> None:
    """Leaving the block without commit() writes nothing: no entries, no tiles, no checkpoint."""
    before = await bank.log.checkpoint()
    async with log_transaction(bank.engine, bank.keys) as transaction:
        await transaction.append(sealed_outcomes(bank, 0, 5))
    async with bank.engine.connect() as connection:
        assert (await reads.log_head(connection)).tree_size == 0
        assert (
            await connection.execute(sa.select(sa.func.count()).select_from(log_entry))
        ).scalar_one() == 0
    assert await bank.log.checkpoint() == before


async def test_failure_inside_the_batch_leaves_the_log_unchanged(bank: Bank) -> None:
    """A batch that fails half-way (duplicate record id) is not appended at all."""
    await append(bank, sealed_outcomes(bank, 0, 2))
    duplicate = sealed_outcomes(bank, 2, 3) + sealed_outcomes(bank, 0, 1)
    # PostgreSQL's COPY runs on the driver connection, so its unique violation is asyncpg's own.
    unique_violation = (sa.exc.IntegrityError, asyncpg.UniqueViolationError)
    with pytest.raises(unique_violation, match=r"(?i)unique|duplicate"):
        await append(bank, duplicate)
    async with bank.engine.connect() as connection:
        assert (await reads.log_head(connection)).tree_size == 2
        assert len(await reads.entries(connection, 0, 100)) == 2


async def test_entries_never_carry_names_or_identity_numbers(bank: Bank) -> None:
    """The learner's name and ID number stay in the personal-data table, out of the log."""
    record = outcome_record(42, learner_name="李四光")
    assert (await bank.deposits.register_issuer(issuer_registration())).status == "recorded"
    accepted = await bank.deposits.record_outcome(
        Principal(role="issuer", issuer_id="acme-training"), record
    )
    body = await bank.log.entry(accepted.index)
    assert record.learner_id.encode() not in body
    assert "李四光".encode() not in body
    decoded = open_entry(body)
    assert isinstance(decoded, OutcomeRecorded)
    assert decoded.learner_ref == accepted.learner_ref


@pytest.mark.parametrize("table", ["log_entry", "tile_segment", "checkpoint"])
async def test_ledger_tables_reject_update_and_delete(bank: Bank, table: str) -> None:
    """The database itself refuses to change or remove ledger rows."""
    await append(bank, sealed_outcomes(bank, 0, 3))
    column = {"log_entry": "body", "tile_segment": "hashes", "checkpoint": "signed_note"}[table]
    statements = [f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"]
    if bank.engine.dialect.name == "postgresql":
        statements.append(f"TRUNCATE {table}")
    for statement in statements:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            async with bank.engine.begin() as connection:
                await connection.exec_driver_sql(statement)


async def test_errors_are_typed(bank: Bank) -> None:
    """Asking for what does not exist raises the typed error, not a driver error: no entry 10,
    no tree of size 5 to prove in, and no index 7 in a tree of size 0."""
    with pytest.raises(NotFoundError, match="no entry 10"):
        await bank.log.entry(10)
    with pytest.raises(NotFoundError, match="not 5"):
        await bank.log.inclusion_proof(0, 5)
    with pytest.raises(ProofError, match="index 7"):
        await bank.log.inclusion_proof(7, 0)
