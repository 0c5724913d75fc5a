"""An import's running totals of its learners, kept compactly (pure).

The engine reads a learner's totals by ``(learner_ref, scope, subject, period)``. A dict of such
tuples costs about 400 bytes a total, twice over (totals and the import's deltas): at a million
rows and 125,000 learners with three totals each, over 100 MB, which forced totals out to the
database every 20,000 learners and back again for most rows of a file in no particular order.

Here a learner is a number and a (scope, subject, period) a slot: a file has a handful of slots
(one per category and year, per issuer and year, per category for life). Each slot is two arrays
of 64-bit integers indexed by learner: the total now, and what was banked before the import. So a
learner costs about 100 bytes (the index entry) plus 16 bytes a slot, and the deltas are the
difference, never stored.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping

from creditbank.rules.engine import TotalKey

__all__ = ["RunningTotals"]

Slot = tuple[str, str, str]  # (scope, subject, period)


class RunningTotals(Mapping[TotalKey, int]):
    """What the engine reads (``get``), plus loading banked totals and adding the engine's
    deltas; ``deltas`` are totals minus what was banked."""

    def __init__(self) -> None:
        self._learners: dict[str, int] = {}
        self._refs: list[str] = []
        self._slots: dict[Slot, int] = {}
        self._slot_keys: list[Slot] = []
        self._now: list[array[int]] = []
        self._banked: list[array[int]] = []

    def __contains__(self, key: object) -> bool:
        return self.get(key, None) is not None  # type: ignore[arg-type]

    def __getitem__(self, key: TotalKey) -> int:
        found = self.get(key, None)
        if found is None:
            raise KeyError(key)
        return found

    def get(self, key: TotalKey, default: int | None = 0) -> int | None:  # type: ignore[override]
        learner = self._learners.get(key[0])
        slot = self._slots.get((key[1], key[2], key[3]))
        if learner is None or slot is None:
            return default
        return self._now[slot][learner]

    def __iter__(self) -> Iterator[TotalKey]:
        for slot, (scope, subject, period) in enumerate(self._slot_keys):
            now = self._now[slot]
            for learner, ref in enumerate(self._refs):
                if now[learner]:
                    yield (ref, scope, subject, period)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    @property
    def learners(self) -> int:
        return len(self._refs)

    def has_learner(self, learner_ref: str) -> bool:
        return learner_ref in self._learners

    def add_learner(self, learner_ref: str) -> None:
        """Make room for a learner (their banked totals, if any, come with ``load``)."""
        if learner_ref in self._learners:
            return
        self._learners[learner_ref] = len(self._refs)
        self._refs.append(learner_ref)
        for now, banked in zip(self._now, self._banked, strict=True):
            now.append(0)
            banked.append(0)

    def load(self, key: TotalKey, amount: int) -> None:
        """A banked total of a learner already added."""
        learner, slot = self._learners[key[0]], self._slot((key[1], key[2], key[3]))
        self._now[slot][learner] += amount
        self._banked[slot][learner] += amount

    def add(self, key: TotalKey, amount: int) -> None:
        """One of the engine's deltas."""
        learner = self._learners.get(key[0])
        if learner is None:
            self.add_learner(key[0])
            learner = self._learners[key[0]]
        self._now[self._slot((key[1], key[2], key[3]))][learner] += amount

    def deltas(self) -> Iterator[tuple[TotalKey, int]]:
        """What the import added to each total, where it added anything."""
        for slot, (scope, subject, period) in enumerate(self._slot_keys):
            now, banked = self._now[slot], self._banked[slot]
            for learner, ref in enumerate(self._refs):
                if now[learner] != banked[learner]:
                    yield (ref, scope, subject, period), now[learner] - banked[learner]

    def _slot(self, key: Slot) -> int:
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = len(self._slot_keys)
            self._slot_keys.append(key)
            self._now.append(array("q", bytes(8 * len(self._refs))))
            self._banked.append(array("q", bytes(8 * len(self._refs))))
        return slot
