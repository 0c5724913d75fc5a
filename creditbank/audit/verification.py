"""Re-verifying a whole log from its entries and tiles, the way an outside auditor would.

``rebuild_and_compare`` streams the entries in order, rebuilds every tile with the same pure
``integrate`` the append path uses, and compares each rebuilt tile with the one the log stores or
serves, and the root with the signed checkpoint (and any intermediate checkpoints). The first
difference is reported with the index of the entry that explains it. The sources are thin
adapters: ``creditbank.audit.remote`` (over HTTP) and ``creditbank.audit.local`` (a database).
"""

from __future__ import annotations

import bisect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from creditbank.errors import CanonicalError, LedgerError, NoteError
from creditbank.ledger.checkpoint import Checkpoint, open_checkpoint
from creditbank.ledger.entries import open_entry
from creditbank.ledger.hashing import EMPTY_ROOT, leaf_hashes
from creditbank.ledger.note import VerifierKey
from creditbank.ledger.tiles import TileId, integrate

__all__ = [
    "LogSource",
    "RebuildReport",
    "VerificationError",
    "expected_origin",
    "open_trusted",
    "rebuild_and_compare",
]

# Entries are read a whole number of bundles at a time.
chunk_entries = 256 * 64


class VerificationError(LedgerError):
    code = "verification_failed"

    def __init__(self, message: str, *, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


def expected_origin(verifiers: list[VerifierKey], origin: str | None) -> str:
    """The origin to insist on: given, or the one name all trusted keys share."""
    if origin is not None:
        return origin
    names = {key.name for key in verifiers}
    if len(names) != 1:
        raise VerificationError(
            "the trusted keys name several logs; say which one with --origin"
            if names
            else "no trusted verifier key"
        )
    return names.pop()


def open_trusted(signed_note: str, verifiers: list[VerifierKey], origin: str) -> Checkpoint:
    try:
        return open_checkpoint(signed_note, verifiers, origin)
    except NoteError as error:
        raise VerificationError(f"the checkpoint does not verify: {error.message}") from error


@dataclass(frozen=True, kw_only=True)
class LogSource:
    """Where the verifier reads from: entries [start, end) and hash tiles."""

    entries: Callable[[int, int], Awaitable[list[bytes]]]
    tiles: Callable[[list[TileId]], Awaitable[dict[TileId, bytes]]]


@dataclass(kw_only=True)
class RebuildReport:
    entries_checked: int = 0
    tiles_checked: int = 0
    checkpoints_checked: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


async def rebuild_and_compare(
    source: LogSource, tree_size: int, root: bytes, checkpoints: Mapping[int, bytes] | None = None
) -> RebuildReport:
    """Raise VerificationError at the first disagreement; else say what was checked.

    ``checkpoints`` maps other signed sizes (at most ``tree_size``) to their roots; each is checked
    when the rebuild passes that size.
    """
    roots_to_check = dict(checkpoints or {})
    roots_to_check[tree_size] = root
    stops = sorted(s for s in roots_to_check if 0 < s <= tree_size)
    rebuild = _Rebuild(source=source, roots=roots_to_check, report=RebuildReport())
    while rebuild.size < tree_size:
        start = rebuild.size
        end = min(tree_size, (start // chunk_entries + 1) * chunk_entries)
        bodies = await source.entries(start, end)
        if len(bodies) != end - start:
            raise VerificationError(
                f"the log returned {len(bodies)} entries for [{start}, {end})",
                index=start + len(bodies),
            )
        _check_canonical(bodies, start, rebuild.report)
        hashes = leaf_hashes(bodies)
        # Entries are read in large chunks, but integrated piecewise up to every signed size in
        # the chunk: a log of single appends has a checkpoint at every index.
        first = bisect.bisect_right(stops, start)
        for stop in [*stops[first : bisect.bisect_right(stops, end)], end]:
            if stop > rebuild.size:
                await rebuild.extend(hashes[rebuild.size - start : stop - start])
        await _compare_finished_tiles(
            source, rebuild.pending, rebuild.size, final=end == tree_size, report=rebuild.report
        )
    if tree_size == 0 and root != EMPTY_ROOT:
        raise VerificationError("the empty log's checkpoint has the wrong root")
    rebuild.report.entries_checked = rebuild.size
    return rebuild.report


@dataclass(kw_only=True)
class _Rebuild:
    """The tree rebuilt so far, the tiles it has not yet compared, and the roots to check."""

    source: LogSource
    roots: Mapping[int, bytes]
    report: RebuildReport
    size: int = 0
    edge: dict[TileId, bytes] = field(default_factory=dict)
    pending: dict[tuple[int, int], bytearray] = field(default_factory=dict)

    async def extend(self, hashes: list[bytes]) -> None:
        integration = integrate(self.size, self.edge, hashes)
        for segment in integration.segments:
            key = (segment.level, segment.tile_index)
            self.pending.setdefault(key, bytearray()).extend(segment.hashes)
        self.size, self.edge = integration.size, integration.edge
        expected = self.roots.get(self.size)
        if expected is None:
            return
        if integration.root != expected:
            await _diagnose(self.source, self.pending, self.size)
            raise VerificationError(
                f"the entries do not reproduce the signed root at size {self.size}",
                index=self.size - 1,
            )
        self.report.checkpoints_checked += 1


def _check_canonical(bodies: list[bytes], first_index: int, report: RebuildReport) -> None:
    for offset, body in enumerate(bodies):
        try:
            entry = open_entry(body)
        except CanonicalError as error:
            raise VerificationError(
                f"entry {first_index + offset} is not a canonical entry: {error.message}",
                index=first_index + offset,
            ) from error
        kind = type(entry).__struct_config__.tag
        report.kinds[str(kind)] = report.kinds.get(str(kind), 0) + 1


async def _compare_finished_tiles(
    source: LogSource,
    pending: dict[tuple[int, int], bytearray],
    size: int,
    *,
    final: bool,
    report: RebuildReport,
) -> None:
    finished = [key for key, hashes in pending.items() if final or len(hashes) == 256 * 32]
    if not finished:
        return
    wanted = [TileId(level, index, _width_of(level, index, size)) for level, index in finished]
    served = await source.tiles(wanted)
    for tile in wanted:
        rebuilt = bytes(pending.pop((tile.level, tile.index)))
        stored = served.get(tile)
        if stored is None:
            raise VerificationError(f"the log has no tile {tile.level}/{tile.index}")
        if stored != rebuilt[: len(stored)] or len(stored) != tile.width * 32:
            position = _first_difference(stored, rebuilt) // 32
            first_leaf = ((tile.index * 256) + position) << (8 * tile.level)
            raise VerificationError(
                f"tile {tile.level}/{tile.index} differs from the entries at hash {position}: "
                f"entry {first_leaf} (or one of the {1 << (8 * tile.level)} it covers) was altered",
                index=first_leaf,
            )
        report.tiles_checked += 1


async def _diagnose(
    source: LogSource, pending: dict[tuple[int, int], bytearray], size: int
) -> None:
    """Compare the unfinished tiles as they stand, to name the entry behind a root mismatch."""
    copy = {key: bytearray(hashes) for key, hashes in pending.items()}
    await _compare_finished_tiles(source, copy, size, final=True, report=RebuildReport())


def _width_of(level: int, index: int, size: int) -> int:
    return min(256, (size >> (8 * level)) - index * 256)


def _first_difference(left: bytes, right: bytes) -> int:
    for position, (a, b) in enumerate(zip(left, right, strict=False)):
        if a != b:
            return position
    return min(len(left), len(right))
