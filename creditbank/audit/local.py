"""``creditbank verify --database``: re-verify a whole log from the rows of its database.

Everything is read in one snapshot, so a verification running beside a live service sees one
consistent log. Besides the rebuild (``creditbank.audit.verification``) it checks every
checkpoint ever signed: signatures by trusted keys, sizes that never shrink, the empty tree's
root at size 0, and each root against the rebuilt tree at that size. A checkpoint signed only
by keys the caller did not trust (say, a retired key that was not given) is still root-checked
and reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from creditbank.audit.verification import (
    LogSource,
    RebuildReport,
    VerificationError,
    expected_origin,
    open_trusted,
    rebuild_and_compare,
)
from creditbank.errors import CreditbankError, NoteError, UnknownSignerError
from creditbank.ledger.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint_body
from creditbank.ledger.hashing import EMPTY_ROOT
from creditbank.ledger.note import VerifierKey
from creditbank.ledger.tiles import TileId
from creditbank.storage import audit_reads, reads
from creditbank.storage.engine import snapshot
from creditbank.storage.tile_store import read_tiles

__all__ = ["Verified", "expected_origin", "open_trusted", "summary", "verify_database"]


@dataclass(frozen=True, kw_only=True)
class Verified:
    checkpoint: Checkpoint
    report: RebuildReport
    lines: list[str]


def summary(report: RebuildReport) -> list[str]:
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(report.kinds.items())) or "none"
    return [
        f"ok: {report.entries_checked} entries decode to canonical entries ({kinds})",
        f"ok: {report.tiles_checked} tiles rebuilt from the entries match the stored tiles",
    ]


async def verify_database(
    engine: AsyncEngine, verifiers: list[VerifierKey], origin: str | None = None
) -> Verified:
    expected = expected_origin(verifiers, origin)
    try:
        async with snapshot(engine) as connection:
            head = await reads.log_head(connection)
            notes = await audit_reads.all_signed_notes(connection)
            if not notes:
                raise VerificationError("the database has no checkpoint")
            latest = open_trusted(notes[-1], verifiers, expected)
            if (head.tree_size, head.root) != (latest.size, latest.root):
                raise VerificationError(
                    f"log_state (size {head.tree_size}) disagrees with the last checkpoint "
                    f"(size {latest.size})"
                )
            roots, unchecked = _history(notes, verifiers, expected, latest)

            async def entries(start: int, end: int) -> list[bytes]:
                return await reads.entries(connection, start, end)

            async def tiles(wanted: list[TileId]) -> dict[TileId, bytes]:
                return await read_tiles(connection, wanted)

            source = LogSource(entries=entries, tiles=tiles)
            report = await rebuild_and_compare(source, latest.size, latest.root, roots)
    except VerificationError:
        raise
    except CreditbankError as error:
        raise VerificationError(f"the database could not be read: {error.message}") from error
    lines = [
        f"ok: checkpoint {latest.origin} size {latest.size} is signed by a trusted key",
        f"ok: {len(notes)} stored checkpoints never shrink and agree with the rebuilt tree",
        *summary(report),
    ]
    if unchecked:
        lines.append(
            f"note: {unchecked} older checkpoints are signed only by keys not given "
            "(retired keys?); their roots were checked, their signatures were not"
        )
    return Verified(checkpoint=latest, report=report, lines=lines)


def _history(
    notes: list[str], verifiers: list[VerifierKey], origin: str, latest: Checkpoint
) -> tuple[dict[int, bytes], int]:
    """Every signed (size, root), checked for order and signatures; and how many were unsigned
    by a trusted key."""
    roots: dict[int, bytes] = {}
    unchecked = 0
    previous = -1
    for position, note in enumerate(notes):
        try:
            checkpoint = open_checkpoint(note, verifiers, origin)
        except UnknownSignerError:
            checkpoint = _body_of(note, origin)
            unchecked += 1
        except NoteError as error:
            raise VerificationError(
                f"stored checkpoint {position} does not verify: {error.message}"
            ) from error
        if checkpoint.size < previous:
            raise VerificationError(
                f"stored checkpoint {position} (size {checkpoint.size}) is smaller than the one "
                f"before it (size {previous}): the log shrank"
            )
        if roots.setdefault(checkpoint.size, checkpoint.root) != checkpoint.root:
            raise VerificationError(
                f"two checkpoints sign different roots at size {checkpoint.size}"
            )
        previous = checkpoint.size
    if previous > latest.size:
        raise VerificationError("a stored checkpoint is larger than the latest: the log shrank")
    if roots.get(0, EMPTY_ROOT) != EMPTY_ROOT:
        raise VerificationError("the checkpoint of the empty log has the wrong root")
    roots.pop(0, None)
    return roots, unchecked


def _body_of(note: str, origin: str) -> Checkpoint:
    try:
        checkpoint = parse_checkpoint_body(note.split("\n\n", 1)[0] + "\n")
    except NoteError as error:
        raise VerificationError(f"a stored checkpoint is malformed: {error.message}") from error
    if checkpoint.origin != origin:
        raise VerificationError(f"a stored checkpoint is from {checkpoint.origin!r}")
    return checkpoint
