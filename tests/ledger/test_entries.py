"""Log entries: canonical bytes equal an independent RFC 8785 implementation and round-trip."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import msgspec
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.ledger.entries import SealedEntry, content_sha256, open_entry
from creditbank.ledger.hashing import leaf_hash
from creditbank.rules.documents import read_standard
from schemas.entries import (
    Award,
    AwardBasis,
    IssuerRegistered,
    OutcomeRecorded,
    StandardPublished,
    StandardRetired,
)

# Text a spreadsheet can hold: CJK, emoji, control characters, quotes and backslashes.
text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40
).filter(lambda value: value.strip() == value and value)
identifiers = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)
hours = st.integers(0, 99999).map(lambda tenths: f"{tenths // 10}.{tenths % 10}")
percent = st.integers(0, 1000).map(lambda tenths: f"{tenths // 10}.{tenths % 10}")
credits = st.integers(0, 99999).map(lambda cents: f"{cents // 100}.{cents % 100:02d}")
hex64 = st.binary(min_size=32, max_size=32).map(bytes.hex)
timestamps = st.datetimes(
    min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2099, 12, 31)
).map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ"))

outcomes = st.builds(
    OutcomeRecorded,
    issuer_id=identifiers,
    record_id=text,
    learner_ref=hex64,
    outcome_type=st.sampled_from(["enterprise_training", "community_course", "elderly_course"]),
    course_code=text.filter(lambda value: len(value) <= 64),
    course_title=text,
    hours=hours,
    result=st.sampled_from(["passed", "completed", "failed"]),
    score=st.none() | percent,
    attendance_pct=st.none() | percent,
    completed_on=st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2030, 1, 1)),
    certificate_no=st.none() | text.filter(lambda value: len(value) <= 64),
    evidence_sha256=st.none() | hex64,
    award=st.none()
    | st.builds(
        Award,
        credits=credits,
        category=st.from_regex(r"[a-z][a-z0-9_]{0,8}(\.[a-z][a-z0-9_]{0,8}){0,2}", fullmatch=True),
        standard=identifiers,
        basis=st.builds(
            AwardBasis,
            method=st.sampled_from(["per_hours", "fixed", "table"]),
            hours=st.none() | hours,
            level=st.none() | text.filter(lambda value: len(value) <= 64),
            ratio=st.none() | st.just("16h:1"),
            rounding=st.none() | st.just("down 0.5"),
            computed=credits,
            unmet=st.none() | st.just("min_hours"),
            cap=st.none() | st.sampled_from(["per_outcome", "lifetime"]),
            cap_year_start=st.none() | st.dates(),
        ),
    ),
    recorded_at=timestamps,
)
issuers = st.builds(
    IssuerRegistered,
    issuer_id=identifiers,
    name=text,
    issuer_kind=st.sampled_from(["enterprise", "community_school", "college"]),
    district=st.none() | text.filter(lambda value: len(value) <= 64),
    public_key=st.none(),
    registered_at=timestamps,
)


@settings(max_examples=300, deadline=None)
@given(entry=outcomes | issuers)
def test_entry_bytes_are_rfc8785_and_round_trip(entry: OutcomeRecorded | IssuerRegistered) -> None:
    """Sealed bytes equal rfc8785.dumps of the same JSON and decode back to the same entry."""
    sealed = SealedEntry(entry)
    as_json = json.loads(msgspec.json.encode(entry))
    assert sealed.body == rfc8785.dumps(as_json)
    assert open_entry(sealed.body) == entry
    assert sealed.leaf_hash == leaf_hash(sealed.body)


@settings(max_examples=100, deadline=None)
@given(entry=outcomes, other_time=timestamps)
def test_content_digest_ignores_only_what_the_bank_adds(
    entry: OutcomeRecorded, other_time: str
) -> None:
    """Resubmitting at another time is the same content; changing what the issuer said is not."""
    later = msgspec.structs.replace(entry, recorded_at=other_time, award=None)
    assert content_sha256(later) == content_sha256(entry)
    changed = msgspec.structs.replace(entry, hours="0.0" if entry.hours != "0.0" else "1.0")
    assert content_sha256(changed) != content_sha256(entry)


def test_published_and_retired_standards_are_canonical_entries() -> None:
    """The sample standards, wrapped in standard.published, seal into RFC 8785 bytes that
    decode back to the same entry; so does a retirement."""
    examples = Path(__file__).resolve().parents[2] / "examples" / "standards"
    standards = [
        read_standard(path)
        for path in sorted(examples.glob("*.toml"))
        if not path.name.startswith("programme")
    ]
    assert len(standards) >= 3
    for standard in standards:
        entry = StandardPublished(standard=standard, published_at="2026-11-28T12:00:00Z")
        sealed = SealedEntry(entry)
        assert sealed.body == rfc8785.dumps(json.loads(msgspec.json.encode(entry)))
        assert open_entry(sealed.body) == entry
    retired = StandardRetired(
        standard_id="x", version=2, reason="由新版本取代", retired_at="2026-11-28T12:00:00Z"
    )
    assert open_entry(SealedEntry(retired).body) == retired
