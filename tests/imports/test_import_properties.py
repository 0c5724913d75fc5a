"""Properties of imports: the in-file duplicate table agrees with a set, and importing any file
twice records nothing the second time and changes no total."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditbank.imports.seen import SeenRecordIds
from creditbank.service.bank import Bank
from creditbank.storage.projections import load_totals
from tests.factories import issuer_registration, resident_id
from tests.imports.files import SAFETY, csv_bytes, row, run_file


@given(
    st.lists(st.text(min_size=1, max_size=8), max_size=3_000), st.binary(min_size=16, max_size=16)
)
def test_seen_record_ids_agree_with_a_set(record_ids: list[str], key: bytes) -> None:
    """``SeenRecordIds.add`` is true exactly for ids not seen before, as a Python set says, and its
    length is the set's."""
    seen, reference = SeenRecordIds(key), set()
    for record_id in record_ids:
        assert seen.add(record_id) == (record_id not in reference)
        reference.add(record_id)
    assert len(seen) == len(reference)


_namespaces = itertools.count()
_row_kinds = st.sampled_from(["good", "good", "good", "bad_hours", "other_course", "repeat"])


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kinds=st.lists(_row_kinds, min_size=1, max_size=40),
    learners=st.integers(min_value=1, max_value=5),
    hours=st.sampled_from(["8", "16", "40", "64.5"]),
    skip=st.booleans(),
)
async def test_importing_any_file_twice_records_it_once(
    bank: Bank, tmp_path: Path, kinds: list[str], learners: int, hours: str, skip: bool
) -> None:
    """Any mix of good, malformed, no-standard and repeated rows, in skip or reject mode, imported
    twice: the second run records nothing, counts the first run's records as exists, reports the
    same errors and changes no total."""
    # The fixture's database lives across examples: set it up once, and give each example its
    # own record ids so examples do not see each other's rows.
    await bank.deposits.register_issuer(issuer_registration())  # "exists" after the first example
    if not await bank.standards.catalogue(drafts=False):
        await bank.standards.publish(SAFETY)
    namespace = next(_namespaces)
    rows = []
    for number, kind in enumerate(kinds):
        serial = 1 if kind == "repeat" else number
        fields = row(serial, learner_id=resident_id(number % learners), hours=hours)
        fields["record_id"] = f"P{namespace}-{fields['record_id']}"
        if kind == "bad_hours":
            fields["hours"] = "-1"
        if kind == "other_course":
            fields["course_code"] = "ART-1"
        rows.append(fields)
    data = csv_bytes(rows)
    options = {"on_error": "skip" if skip else "reject"}
    first = await run_file(bank, tmp_path, data, **options)
    async with bank.engine.connect() as connection:
        totals = await load_totals(connection, None)
    second = await run_file(bank, tmp_path, data, **options)
    assert first.counts is not None
    assert second.counts is not None
    assert second.counts.recorded == 0
    assert second.result in ("nothing_to_commit", "rejected")
    errors = ("malformed", "duplicate_in_file")
    assert [getattr(second.counts, name) for name in errors] == [
        getattr(first.counts, name) for name in errors
    ]
    assert second.counts.exists == first.counts.recorded
    async with bank.engine.connect() as connection:
        assert await load_totals(connection, None) == totals
