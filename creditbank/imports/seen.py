"""Which record ids a file has already used, in memory that grows by 16 bytes a row (pure).

A set of a million record-id strings costs about 90 MB; this table keeps a 64-bit keyed BLAKE2b
fingerprint per id in a flat array (open addressing, at most half full). The key is random per
import, so nobody can craft two ids that collide; by chance two distinct ids of an n-row file
collide with probability about n**2 / 2**65 (3 in 100 million for a million rows), which would
report the second as a duplicate, never record anything twice.
"""

from __future__ import annotations

import array
import hashlib
import secrets

__all__ = ["SeenRecordIds"]

_INITIAL_SLOTS = 1 << 12


class SeenRecordIds:
    def __init__(self, key: bytes | None = None) -> None:
        self._key = secrets.token_bytes(16) if key is None else key
        self._slots = array.array("Q", bytes(8 * _INITIAL_SLOTS))
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, record_id: str) -> bool:
        """Remember record_id; False when the file used it before."""
        digest = hashlib.blake2b(record_id.encode(), digest_size=8, key=self._key).digest()
        fingerprint = int.from_bytes(digest, "little") or 1  # 0 marks an empty slot
        slots = self._slots
        mask = len(slots) - 1
        slot = fingerprint & mask
        while (held := slots[slot]) != 0:
            if held == fingerprint:
                return False
            slot = (slot + 1) & mask
        slots[slot] = fingerprint
        self._count += 1
        if 2 * self._count > len(slots):
            self._grow()
        return True

    def _grow(self) -> None:
        old = self._slots
        slots = array.array("Q", bytes(16 * len(old)))
        mask = len(slots) - 1
        for fingerprint in old:
            if fingerprint:
                slot = fingerprint & mask
                while slots[slot]:
                    slot = (slot + 1) & mask
                slots[slot] = fingerprint
        self._slots = slots
