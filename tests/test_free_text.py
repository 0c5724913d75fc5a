"""Free text in outcomes (course titles, learner names): line breaks and tabs fold to one space,
runs of spaces collapse, ends are trimmed, the text is NFC, other control characters are refused;
identifiers are left exactly as sent."""

from __future__ import annotations

import datetime
import decimal
import unicodedata

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank import limits
from creditbank.errors import MalformedError
from creditbank.outcomes import free_text, normalise_outcome
from creditbank.privacy import Pseudonymizer
from schemas.api import OutcomeRecord
from schemas.types import Title
from tests.factories import resident_id

BREAKS_AND_TABS = "\t\n\r\x85\u2028\u2029"
NOW = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.UTC)
PSEUDONYMIZER = Pseudonymizer(bytes(32))


@pytest.mark.parametrize(
    ("sent", "recorded"),
    [
        ("安全生产培训\n（第一期）", "安全生产培训 （第一期）"),  # Excel's Alt+Enter
        ("安全生产培训\r\n（第一期）", "安全生产培训 （第一期）"),
        ("  Fire \t drill  ", "Fire drill"),
        ("Fire  drill", "Fire drill"),
        ("line\u2028separator", "line separator"),
        ("e\u0301cole", "\u00e9cole"),  # decomposed é becomes the composed one
        ("安全\u3000生产\u00a0培训", "安全\u3000生产\u00a0培训"),  # wide and no-break spaces kept
        ("Ελληνικά и кириллица 𠀀", "Ελληνικά и кириллица 𠀀"),
    ],
)
def test_what_an_hr_officer_means_is_recorded(sent: str, recorded: str) -> None:
    """Each example is recorded as the officer meant it."""
    assert free_text(sent, "course_title") == recorded


@pytest.mark.parametrize(
    "sent", ["bell\x07", "vertical\x0btab", "form\x0cfeed", "nul\x00", " \n\t ", ""]
)
def test_other_control_characters_and_blanks_are_refused(sent: str) -> None:
    """A control character that is not a line break or tab, or a text of nothing but spaces,
    is malformed with the field named."""
    with pytest.raises(MalformedError) as raised:
        free_text(sent, "course_title")
    assert raised.value.field == "course_title"


@given(st.text(min_size=1, max_size=40))
def test_folded_text_is_clean_and_folding_again_changes_nothing(text: str) -> None:
    """Whatever is accepted has no line break or tab, no two spaces in a row, no space at either
    end, is NFC, and is a fixed point: folding it again gives the same text."""
    try:
        folded = free_text(text, "course_title")
    except MalformedError:
        return
    assert not set(folded) & set(BREAKS_AND_TABS)
    assert "  " not in folded
    assert folded == folded.strip()
    assert unicodedata.is_normalized("NFC", folded)
    assert free_text(folded, "course_title") == folded


def test_a_title_that_nfc_lengthens_past_the_limit_is_refused() -> None:
    """U+0958 becomes two characters under NFC, so 200 of them fold to 400: refused as too
    long, since an entry over the schema's Title limit would fail every verifier; the limit is
    the schema's own."""
    title_type = msgspec.inspect.type_info(Title)
    assert isinstance(title_type, msgspec.inspect.StrType)
    assert title_type.max_length == limits.title_chars_max
    record = OutcomeRecord(
        record_id="R-1",
        learner_id=resident_id(1),
        course_code="SAFE-101",
        course_title="\u0958" * limits.title_chars_max,
        outcome_type="enterprise_training",
        hours=decimal.Decimal("16"),
        result="passed",
        completed_on=datetime.date(2026, 3, 1),
    )
    with pytest.raises(MalformedError, match="longer than 200") as raised:
        normalise_outcome(record, issuer_id="acme", pseudonymizer=PSEUDONYMIZER, now=NOW)
    assert raised.value.field == "course_title"
