"""RunningTotals reads and sums exactly as two plain dicts (totals and deltas) would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.imports.running_totals import RunningTotals
from creditbank.rules.engine import TotalKey

_refs = st.sampled_from(["a" * 64, "b" * 64, "c" * 64, "d" * 64])
_slots = st.sampled_from(
    [
        ("category_year", "vocational.safety", "2025-01-01"),
        ("issuer_year", "vocational.safety|acme", "2025-01-01"),
        ("lifetime", "vocational.safety", ""),
        ("category_year", "vocational.safety", "2026-01-01"),
    ]
)
_keys = st.builds(lambda ref, slot: (ref, *slot), _refs, _slots)
_steps = st.lists(
    st.tuples(st.sampled_from(["learner", "load", "add"]), _keys, st.integers(-500, 500)),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(steps=_steps, probes=st.lists(_keys, max_size=10))
def test_running_totals_agree_with_dicts(
    steps: list[tuple[str, TotalKey, int]], probes: list[TotalKey]
) -> None:
    """Any interleaving of learners added, banked totals loaded and engine deltas added: every
    total reads as in a dict of totals, and ``deltas`` are exactly the non-zero sums of what was
    added (not what was loaded)."""
    compact = RunningTotals()
    totals: dict[TotalKey, int] = {}
    added: dict[TotalKey, int] = {}
    for step, key, amount in steps:
        if step == "learner":
            compact.add_learner(key[0])
        elif step == "load":
            if not compact.has_learner(key[0]):
                continue  # the classifier loads only learners it has just added
            compact.load(key, amount)
            totals[key] = totals.get(key, 0) + amount
        else:
            compact.add(key, amount)
            totals[key] = totals.get(key, 0) + amount
            added[key] = added.get(key, 0) + amount
    for key in [*probes, *totals]:
        assert compact.get(key, 0) == totals.get(key, 0)
    assert dict(compact.deltas()) == {key: sum_ for key, sum_ in added.items() if sum_}
    assert dict(compact.items()) == {key: value for key, value in totals.items() if value}
