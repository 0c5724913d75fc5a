"""The one-encoding outcome path equals the scanned reference for every outcome it can meet."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.ledger.canonical import canonical_bytes
from creditbank.ledger.entries import OutcomeDraft, SealedEntry, content_sha256
from schemas.entries import Award, OutcomeRecorded
from tests.ledger.test_entries import outcomes

# Characters the reference path treats specially: msgpack markers hidden in Greek and Cyrillic
# UTF-8 (0xcb, 0xcf, 0xd3), astral and high-BMP characters (UTF-16 order), controls, quotes.
_tricky = st.text(
    alphabet=st.sampled_from(
        [
            "\u03cb",
            "\u03cf",
            "\u04d3",
            "\u042f",
            "学",
            "分",
            "\U0001f600",
            "\U00020000",
            "\ue000",
            "\uffff",
            "\x00",
            "\x1f",
            "\x7f",
            '"',
            "\\",
            "/",
            "\u2028",
            "a",
            " ",
        ]
    ),
    min_size=1,
    max_size=30,
)


@st.composite
def drafts_and_awards(draw: st.DrawFn) -> tuple[OutcomeRecorded, Award | None]:
    entry = draw(outcomes)
    if draw(st.booleans()):
        entry = msgspec.structs.replace(
            entry, course_title=draw(_tricky), record_id=draw(_tricky), certificate_no=None
        )
    award = entry.award
    return msgspec.structs.replace(entry, award=None), award


@settings(max_examples=400, deadline=None)
@given(case=drafts_and_awards())
def test_draft_bytes_equal_the_reference(case: tuple[OutcomeRecorded, Award | None]) -> None:
    """The draft's digest is content_sha256, and sealing it with an award (capped or not, or
    none) gives exactly the bytes and leaf hash SealedEntry computes from the whole entry."""
    entry, award = case
    draft = OutcomeDraft(entry)
    assert draft.digest == content_sha256(entry)
    whole = msgspec.structs.replace(entry, award=award)
    fast = SealedEntry.outcome(draft, award)
    reference = SealedEntry(whole)
    assert fast.entry == whole
    assert fast.body == reference.body == canonical_bytes(whole)
    assert fast.leaf_hash == reference.leaf_hash


@settings(max_examples=5, deadline=None)
@given(entry=outcomes.filter(lambda one: one.award is not None))
def test_a_draft_refuses_an_entry_with_an_award(entry: OutcomeRecorded) -> None:
    """A draft is encoded before the award is decided: one with an award is a programmer error."""
    with pytest.raises(AssertionError):
        OutcomeDraft(entry)
