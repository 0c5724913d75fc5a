"""The head check: the stored head must be the one the last signed checkpoint vouches for.

Checked in pairs, TigerBeetle style: every append checks it under the write lock before it
writes, and start-up checks it again after reading it back. The checkpoint is re-signed (after a
key rotation) only once the check has passed, so the log never signs a head it has not verified.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from creditbank.errors import IntegrityError, NoteError
from creditbank.keys import KeyRing
from creditbank.ledger.checkpoint import open_checkpoint
from creditbank.ledger.hashing import EMPTY_ROOT
from creditbank.ledger.note import open_note
from creditbank.ledger.tiles import edge_tiles, root_from_edge
from creditbank.storage.append import log_transaction, store_checkpoint
from creditbank.storage.engine import snapshot
from creditbank.storage.reads import LogHead, latest_checkpoint, log_head
from creditbank.storage.tile_store import read_tiles

__all__ = ["check_head", "publish_initial_checkpoint", "verify_head"]


async def verify_head(connection: AsyncConnection, keys: KeyRing) -> LogHead:
    """The verified head, or IntegrityError saying what disagrees.

    The caller provides a consistent view: a snapshot, or the log's write lock.
    """
    head = await log_head(connection)
    stored = await latest_checkpoint(connection)
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
    edge = await read_tiles(connection, edge_tiles(head.tree_size))
    reproduced = root_from_edge(head.tree_size, edge)
    if reproduced != head.root:
        raise IntegrityError(
            f"the stored tiles do not reproduce the signed root at size {head.tree_size}"
        )
    return head


async def check_head(engine: AsyncEngine, keys: KeyRing) -> LogHead:
    async with snapshot(engine) as connection:
        return await verify_head(connection, keys)


async def publish_initial_checkpoint(engine: AsyncEngine, keys: KeyRing) -> None:
    """Sign the empty log's first checkpoint, or re-sign a verified head for new active keys.

    After ``keys rotate`` or ``keys retire`` the service republishes the same tree head signed
    by exactly the active keys, so ``/v1/log/vkeys`` and ``/v1/log/checkpoint`` agree at once.
    Raises IntegrityError, signing nothing, if the stored head does not verify.
    """
    async with log_transaction(engine, keys) as transaction:
        connection = transaction.connection
        stored = await latest_checkpoint(connection)
        if stored is None:
            if (transaction.tree_size, transaction.root) != (0, EMPTY_ROOT):
                raise IntegrityError("the log has entries but no signed checkpoint")
        else:
            await verify_head(connection, keys)
            if _signed_by(stored.signed_note, keys) == _active_ids(keys):
                return
        await store_checkpoint(connection, keys, transaction.tree_size, transaction.root)
        await transaction.commit()


def _active_ids(keys: KeyRing) -> frozenset[bytes]:
    return frozenset(key.key_id for key in keys.signers)


def _signed_by(signed_note: str, keys: KeyRing) -> frozenset[bytes]:
    try:
        opened = open_note(signed_note, keys.verifiers)
    except NoteError:
        return frozenset()
    return frozenset(key.key_id for key in opened.verified_by)
