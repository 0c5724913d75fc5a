"""Row reasons in plain words: what msgspec says about a bad cell reaches the report the way the
other reasons read ("is not a number"), never as `backquoted types`, regexes or JSON paths."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.imports.prepare import plain_reason
from schemas.api import OutcomeRecord
from tests.factories import resident_id

VALID = {
    "record_id": "R-1",
    "learner_id": resident_id(1),
    "course_code": "SAFE-101",
    "course_title": "安全生产培训",
    "outcome_type": "enterprise_training",
    "hours": "16",
    "result": "passed",
    "completed_on": "2026-03-01",
}


def _validation_message(**changes: Any) -> str:
    """msgspec's own message for a record with these cells changed (None removes the cell)."""
    fields = {**VALID, **changes}
    fields = {key: value for key, value in fields.items() if value is not None}
    with pytest.raises(msgspec.ValidationError) as raised:
        msgspec.convert(fields, OutcomeRecord, strict=False)
    return str(raised.value)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"hours": "abc"}, "is not a number"),
        ({"completed_on": "2026-13-01"}, "is not a date (YYYY-MM-DD)"),
        ({"outcome_type": "nope"}, "'nope' is not an accepted value"),
        ({"course_title": "课" * 201}, "is longer than 200 characters"),
        ({"record_id": ""}, "is empty"),
        ({"issuer_id": "bad id!"}, "has characters that are not allowed here"),
        ({"course_code": None}, "is required"),
        ({"unexpected": "1"}, "is not a field of an outcome record"),
        ({"learner_name": 5}, "should be text"),
    ],
)
def test_msgspec_messages_become_plain_reasons(changes: dict[str, Any], reason: str) -> None:
    """Each kind of bad cell, as msgspec really reports it today, gets its plain reason; if
    msgspec changes its wording this fails instead of letting raw text through."""
    assert plain_reason(_validation_message(**changes)) == reason


# Messages no rule can match: none starts with the words msgspec's messages start with.
unknown_messages = st.text(max_size=60).filter(
    lambda text: not text.strip().startswith(("Object", "Invalid", "Expected"))
)


@given(unknown_messages)
def test_an_unknown_message_is_kept_without_its_path(message: str) -> None:
    """A message no rule knows is shown as msgspec wrote it, minus the ``- at `$...``` path:
    nothing is guessed."""
    assert plain_reason(f"{message} - at `$.hours`") == message.split(" - at `", 1)[0].strip()
