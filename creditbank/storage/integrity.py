"""Start-up checks: the stored head must be the one the last signed checkpoint vouches for.

Checked in pairs, TigerBeetle style: the append path checks the root before it writes, and this
module checks it again after reading it back at start-up.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from creditbank.errors import IntegrityError, NoteError
from creditbank.keys import KeyRing
from creditbank.ledger.checkpoint import open_checkpoint
from creditbank.ledger.note import open_note
from creditbank.ledger.tiles import edge_tiles, root_from_edge
from creditbank.storage.append import log_transaction, store_checkpoint
from creditbank.storage.reads import LogHead, latest_checkpoint, log_head
from creditbank.storage.tile_store import read_tiles

__all__ = ["check_head", "publish_initial_checkpoint"]


async def check_head(engine: AsyncEngine, keys: KeyRing) -> LogHead:
    """The verified head, or IntegrityError saying what disagrees."""
    async with engine.connect() as connection:
        head = await log_head(connection)
        stored = await latest_checkpoint(connection)
        edge = await read_tiles(connection, edge_tiles(head.tree_size))
    if stored is None:
        raise IntegrityError("the log has no signed checkpoint")
    try:
        signed = open_checkpoint(stored.signed_note, keys.verifiers, keys.origin)
    except NoteError as error:
        raise IntegrityError(f"the last checkpoint does not verify: {error.message}") from error
    if (signed.size, signed.root) != (stored.tree_size, stored.root):
        raise IntegrityError("the last checkpoint's columns disagree with its signed text")
    if (head.tree_size, head.root) != (signed.size, signed.root):
        raise IntegrityError(
            f"the log state (size {head.tree_size}) is not the last signed checkpoint "
            f"(size {signed.size})"
        )
    if root_from_edge(head.tree_size, edge) != head.root:
        raise IntegrityError(
            f"the stored tiles do not reproduce the signed root at size {head.tree_size}"
        )
    return head


async def publish_initial_checkpoint(engine: AsyncEngine, keys: KeyRing) -> None:
    """Sign the current head if no checkpoint exists yet, or if the active keys changed.

    After ``keys rotate`` or ``keys retire`` the service republishes the same tree head signed
    by exactly the active keys, so ``/v1/log/vkeys`` and ``/v1/log/checkpoint`` agree at once.
    """
    async with log_transaction(engine, keys) as transaction:
        stored = await latest_checkpoint(transaction.connection)
        if stored is not None and _signed_by(stored.signed_note, keys) == _active_ids(keys):
            return
        if stored is not None and stored.tree_size != transaction.tree_size:
            return  # leave it to check_head to report; never sign a head we have not checked
        await store_checkpoint(
            transaction.connection, keys, transaction.tree_size, transaction.root
        )
        await transaction.commit()


def _active_ids(keys: KeyRing) -> frozenset[bytes]:
    return frozenset(key.key_id for key in keys.signers)


def _signed_by(signed_note: str, keys: KeyRing) -> frozenset[bytes]:
    try:
        opened = open_note(signed_note, keys.verifiers)
    except NoteError:
        return frozenset()
    return frozenset(key.key_id for key in opened.verified_by)
