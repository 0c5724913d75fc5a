"""An outcome's canonical bytes from one encoding, with the award and times spliced in (pure).

A bulk import needs two things from every row: the content digest (``content_sha256``: the entry
with no award and the epoch for ``recorded_at``) to classify the row, and, once the engine has
decided the award, the entry's canonical bytes and leaf hash. ``canonical_bytes`` would encode the
row twice and scan each encoding for numbers and key-order traps. Here the entry is encoded once,
with its award null, and both results are cut from those bytes:

* no scan is needed because of the entry's shape, which ``_check_outcome_shape`` asserts when
  this module is imported: every field is text, a date, a literal or null, or a struct of those,
  except ``v``, a small fixed integer; and every key is ASCII. So msgspec's sorted output is
  already RFC 8785 (see ``canonical``), with no float, no big integer and no key whose UTF-8 and
  UTF-16 orders differ. A new field of another kind fails the import of this module, not an audit.
* the award is spliced where ``"award":null`` stands, as its own canonical bytes (they repeat
  down a file, so they are encoded once per distinct award);
* the content digest replaces the ``recorded_at`` value by the epoch: both are 20-character
  RFC 3339 times, so the splice keeps every offset.

A key can be found by searching the bytes: inside a JSON string every ``"`` is escaped, so
``,"award":`` (a quote after a comma) never occurs inside a value. The property tests hold this
path to ``canonical_bytes`` and ``content_sha256`` for generated outcomes.
"""

from __future__ import annotations

import hashlib
from typing import Final

import msgspec
from msgspec import inspect

from creditbank.errors import CanonicalError
from creditbank.ledger.canonical import canonical_bytes
from schemas.entries import Award, OutcomeRecorded

__all__ = ["OutcomeDraft", "award_bytes"]

_encoder: Final = msgspec.json.Encoder(order="sorted")
_AWARD_NULL: Final = b',"award":null,'
_RECORDED_AT: Final = b',"recorded_at":"'
_CONTENT_EPOCH: Final = b"1970-01-01T00:00:00Z"
_TIME_BYTES: Final = len(_CONTENT_EPOCH)
# Distinct awards an import remembers the bytes of; a file has a few hundred at most.
award_memo_entries: Final = 65_536


def _check_outcome_shape() -> None:
    """Assert what makes the scan unnecessary (see the module docstring)."""
    allowed = (inspect.StrType, inspect.DateType, inspect.NoneType, inspect.LiteralType)

    def check(info: inspect.Type, where: str) -> None:
        if isinstance(info, inspect.Metadata):  # Annotated: constraints on the same type
            check(info.type, where)
        elif isinstance(info, inspect.UnionType):
            for member in info.types:
                check(member, where)
        elif isinstance(info, inspect.LiteralType):
            assert all(isinstance(value, str) for value in info.values), where
        elif isinstance(info, inspect.StructType):
            for field in info.fields:
                assert field.encode_name.isascii(), f"{where}.{field.encode_name}"
                check(field.type, f"{where}.{field.encode_name}")
        else:
            assert isinstance(info, allowed), f"{where} is {type(info).__name__}"

    outcome = inspect.type_info(OutcomeRecorded)
    assert isinstance(outcome, inspect.StructType)
    assert outcome.tag_field == "kind", "the tag's key is ASCII"
    assert isinstance(outcome.tag, str), "the tag is text"
    for field in outcome.fields:
        if field.name == "v":
            assert isinstance(field.type, inspect.IntType), "v is an integer"
            assert field.default == 1, "v is 1, no integer the reference would scan for"
            continue
        check(field.type, field.encode_name)
    names = sorted(field.encode_name for field in outcome.fields)
    # The splices rely on these neighbours: award right after attendance_pct, and only short
    # fixed-shape values after recorded_at.
    assert names[:2] == ["attendance_pct", "award"], names
    assert names[names.index("recorded_at") + 1 :] == ["result", "score", "v"], names


_check_outcome_shape()

_award_memo: dict[Award, bytes] = {}


def award_bytes(award: Award) -> bytes:
    """The award's canonical bytes, by the full (scanned) path, remembered per distinct award."""
    known = _award_memo.get(award)
    if known is None:
        if len(_award_memo) >= award_memo_entries:
            _award_memo.clear()
        known = _award_memo[award] = canonical_bytes(award)
    return known


class OutcomeDraft:
    """An outcome entry without its award, encoded once; ``digest`` is its ``content_sha256``."""

    __slots__ = ("_award_at", "body", "digest", "entry")

    def __init__(self, entry: OutcomeRecorded) -> None:
        assert entry.award is None, "a draft is encoded before the award is decided"
        try:
            body = _encoder.encode(entry)
        except (TypeError, UnicodeEncodeError) as error:
            raise CanonicalError(f"cannot encode as canonical JSON: {error}") from None
        time_at = body.rindex(_RECORDED_AT) + len(_RECORDED_AT)
        # The schema's Timestamp is 20 characters; the epoch splice keeps offsets only then.
        assert body[time_at + _TIME_BYTES] == ord('"'), "recorded_at is YYYY-MM-DDTHH:MM:SSZ"
        self.entry: OutcomeRecorded = entry
        self.body: bytes = body  # the entry's canonical bytes while its award is null
        self.digest: bytes = hashlib.sha256(
            body[:time_at] + _CONTENT_EPOCH + body[time_at + _TIME_BYTES :]
        ).digest()
        self._award_at = body.index(_AWARD_NULL) + len(_AWARD_NULL) - len(b"null,")

    def with_award(self, award: Award | None) -> tuple[OutcomeRecorded, bytes]:
        """The entry with ``award`` and its canonical bytes."""
        if award is None:
            return self.entry, self.body
        at, body = self._award_at, self.body
        entry = msgspec.structs.replace(self.entry, award=award)
        return entry, body[:at] + award_bytes(award) + body[at + len(b"null") :]
