"""The rebuild-and-compare verifier against a log source that lies in each possible way."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from creditbank.audit.verification import LogSource, VerificationError, rebuild_and_compare
from creditbank.ledger.entries import SealedEntry
from creditbank.ledger.hashing import leaf_hashes
from creditbank.ledger.tiles import TileId, integrate
from tests.storage.appender import batch_entries

ENTRIES: list[SealedEntry] = batch_entries("V", 0, 600)
BODIES = [entry.body for entry in ENTRIES]
HONEST = integrate(0, {}, [entry.leaf_hash for entry in ENTRIES])


def tiles_of(bodies: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every tile of the tree of ``bodies``, as full as that tree has it."""
    grouped: dict[tuple[int, int], bytes] = {}
    for segment in integrate(0, {}, leaf_hashes(bodies)).segments:
        key = (segment.level, segment.tile_index)
        grouped[key] = grouped.get(key, b"") + segment.hashes
    return grouped


def source(
    bodies: list[bytes] = BODIES,
    alter_tile: Callable[[TileId, bytes], bytes] = lambda tile, data: data,
) -> LogSource:
    stored = tiles_of(bodies)

    async def entries(start: int, end: int) -> list[bytes]:
        return bodies[start:end]

    async def tiles(wanted: list[TileId]) -> dict[TileId, bytes]:
        return {
            tile: alter_tile(tile, stored[(tile.level, tile.index)][: tile.width * 32])
            for tile in wanted
        }

    return LogSource(entries=entries, tiles=tiles)


def run(log: LogSource, size: int = 600, root: bytes = HONEST.root) -> None:
    asyncio.run(rebuild_and_compare(log, size, root))


def test_an_honest_log_verifies_at_every_boundary() -> None:
    """Sizes at, just below and just above tile boundaries all verify."""
    for size in (0, 1, 255, 256, 257, 511, 512, 513, 600):
        root = integrate(0, {}, [entry.leaf_hash for entry in ENTRIES[:size]]).root
        report = asyncio.run(rebuild_and_compare(source(BODIES[:size]), size, root))
        assert report.entries_checked == size


def test_a_served_tile_that_disagrees_names_the_entry() -> None:
    """A flipped hash in a full level-0 tile is reported with the index it covers."""

    def flip(tile: TileId, data: bytes) -> bytes:
        if (tile.level, tile.index) != (0, 1):
            return data
        return data[: 32 * 7] + bytes([data[32 * 7] ^ 1]) + data[32 * 7 + 1 :]

    with pytest.raises(VerificationError, match="entry 263") as raised:
        run(source(alter_tile=flip))
    assert raised.value.index == 263


def test_a_short_tile_is_refused() -> None:
    """A tile narrower than the tree says is refused, not silently accepted."""
    with pytest.raises(VerificationError):
        run(source(alter_tile=lambda tile, data: data[:-32] if tile.width < 256 else data))


def test_missing_entries_are_refused() -> None:
    """A source that returns fewer entries than asked fails, naming where they stop."""
    with pytest.raises(VerificationError, match="entries"):
        run(source(BODIES[:599]))


def test_a_replaced_entry_with_matching_tiles_fails_on_the_signed_root() -> None:
    """Even a source whose tiles match forged entries cannot match the signed root."""
    forged = [*BODIES[:10], BODIES[11], *BODIES[11:]]
    with pytest.raises(VerificationError, match="signed root"):
        run(source(forged))


def test_a_non_canonical_entry_is_named() -> None:
    """An entry whose bytes are not canonical JSON is named by index."""
    spaced = BODIES[5].replace(b'":"', b'": "', 1)
    with pytest.raises(VerificationError, match="entry 5"):
        run(source([*BODIES[:5], spaced, *BODIES[6:]]))
