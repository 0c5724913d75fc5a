"""Normalising what issuers send: every accepted record becomes an entry verifiers accept."""

from __future__ import annotations

import datetime
import decimal
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import MalformedError
from creditbank.ledger.entries import SealedEntry, open_entry
from creditbank.outcomes import entry_for_issuer, identifier_text, normalise_outcome
from creditbank.privacy import Pseudonymizer
from schemas.api import IssuerRegistration, OutcomeRecord
from tests.factories import resident_id

NOW = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.UTC)
PSEUDONYMIZER = Pseudonymizer(bytes(32))

decimals = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True, places=None),
    st.sampled_from(
        [decimal.Decimal(text) for text in ("-0", "-0.0", "0E-9", "1E+2", "16.50", "100")]
    ),
)
texts = st.text(min_size=1, max_size=40)


@settings(max_examples=400, deadline=None)
@given(
    hours=decimals,
    score=st.none() | decimals,
    attendance=st.none() | decimals,
    title=texts,
    code=st.text(min_size=1, max_size=64),
    certificate=st.none() | st.text(max_size=64),
    evidence=st.none() | st.text(max_size=70),
    completed=st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2030, 1, 1)),
)
def test_accepted_records_seal_into_canonical_entries(
    hours: decimal.Decimal,
    score: decimal.Decimal | None,
    attendance: decimal.Decimal | None,
    title: str,
    code: str,
    certificate: str | None,
    evidence: str | None,
    completed: datetime.date,
) -> None:
    """Either a MalformedError naming a field, or an entry whose bytes decode back to it."""
    record = OutcomeRecord(
        issuer_id="acme",
        record_id="R-1",
        learner_id=resident_id(5),
        course_code=code,
        course_title=title,
        outcome_type="enterprise_training",
        hours=hours,
        result="passed",
        score=score,
        attendance_pct=attendance,
        completed_on=completed,
        certificate_no=certificate,
        evidence_sha256=evidence,
    )
    try:
        entry, _ = normalise_outcome(record, issuer_id="acme", pseudonymizer=PSEUDONYMIZER, now=NOW)
    except MalformedError as error:
        rejected: MalformedError | None = error
    else:
        rejected = None
    if rejected is not None:
        assert rejected.field in record.__struct_fields__
        return
    sealed = SealedEntry(entry)
    assert open_entry(sealed.body) == entry
    assert not entry.hours.startswith("-")


_FORMAT_CHARACTERS = st.characters(categories=["Cf"])


@given(
    before=st.text(max_size=6),
    format_character=_FORMAT_CHARACTERS,
    after=st.text(max_size=6),
)
def test_identifiers_with_a_format_character_are_refused(
    before: str, format_character: str, after: str
) -> None:
    """Any identifier holding an invisible format character (bidi overrides, zero-width
    characters, soft hyphens: Unicode Cf) is refused, whatever surrounds it, so a look-alike of
    an existing record id can never be a second record."""
    with pytest.raises(MalformedError) as refused:
        identifier_text("HR" + before + format_character + after + "1", "record_id")
    assert refused.value.field == "record_id"


@given(st.text(min_size=1, max_size=12).filter(lambda text: text.strip() and text.isprintable()))
def test_accepted_identifiers_are_nfc_and_equal_forms_are_one_identifier(text: str) -> None:
    """What an identifier becomes is NFC, and the composed and decomposed forms of the same
    text become the same identifier (one record, not two)."""
    try:
        composed = identifier_text(unicodedata.normalize("NFC", text), "record_id")
    except MalformedError:
        return
    assert unicodedata.is_normalized("NFC", composed)
    assert identifier_text(unicodedata.normalize("NFD", text), "record_id") == composed


@pytest.mark.parametrize("district", ["*", " * "])
def test_a_district_named_like_the_statistics_margin_is_refused(district: str) -> None:
    """Statistics print "*" for "every street or town": no district may be called that."""
    registration = IssuerRegistration(
        issuer_id="east", name="东区社区学校", kind="community_school", district=district
    )
    with pytest.raises(MalformedError) as refused:
        entry_for_issuer(registration, now=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    assert refused.value.field == "district"
