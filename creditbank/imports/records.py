"""The raw record every reader yields, and the JSON decoding the JSON formats share."""

from __future__ import annotations

import dataclasses

import msgspec

__all__ = ["RawRecord", "decode_object"]


@dataclasses.dataclass(frozen=True, slots=True)
class RawRecord:
    """One row, line or array item of an import file, before validation against OutcomeRecord.

    ``number`` is 1-based: the data row for CSV (the header is not counted), the sheet's own row
    number for a workbook (as Excel shows it, title and header rows counted), the physical line
    for NDJSON, the item for a JSON array. ``text`` is the row's cells as read (a workbook's as
    text), so the report can be written in the issuer's own template; None for JSON. ``error`` is
    a problem the reader already found in this record, as (field, reason); the record is then
    malformed whatever else it holds.
    """

    number: int
    fields: dict[str, object]
    text: list[str] | None
    error: tuple[str, str] | None = None


_object_decoder = msgspec.json.Decoder(dict[str, object])


def decode_object(number: int, data: bytes, field: str) -> RawRecord:
    """data as a JSON object record; anything else becomes a record with an error on field."""
    try:
        fields = _object_decoder.decode(data)
    # msgspec reports bad JSON as DecodeError, but invalid UTF-8 inside a string as
    # UnicodeDecodeError and deep nesting as RecursionError; all three are the record's fault.
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as error:
        return RawRecord(number=number, fields={}, text=None, error=(field, str(error)))
    return RawRecord(number=number, fields=fields, text=None)
