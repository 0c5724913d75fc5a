"""Reading conversion standards and programmes from TOML or JSON text.

Accreditation staff keep standards as TOML files; the API receives them as JSON. Both decode into
the one model in ``schemas.standards``. Loading checks only the shape (fields, types, the
constraints the model declares); ``creditbank.rules.validate`` checks the meaning.

Every failure, from a TOML syntax error to a wrong type deep inside the award, becomes one
``StandardInvalidError`` whose problems name the field ("award.hours_per_unit", "document" when
the text cannot be read at all), so callers never see ValueError, TOMLDecodeError or msgspec's own
errors. The only I/O is ``read_standard`` / ``read_programme`` reading the file they are given.
"""

from __future__ import annotations

import decimal
import re
import tomllib
from pathlib import Path
from typing import Literal, TypeVar

import msgspec

from creditbank.errors import MalformedError, StandardInvalidError
from creditbank.limits import entry_bytes_max
from schemas.standards import Programme, Standard

__all__ = [
    "DocumentFormat",
    "document_bytes_max",
    "load_programme",
    "load_standard",
    "read_programme",
    "read_standard",
]

DocumentFormat = Literal["toml", "json"]

# A published standard travels inside one log entry (at most entry_bytes_max bytes as JSON); the
# TOML a person writes carries comments too, so the file may be a few times larger, never more.
document_bytes_max = 256 * 1024
assert document_bytes_max >= entry_bytes_max

_DOCUMENT = "document"
_BYTE_ORDER_MARK = "\ufeff"
_FORMAT_BY_SUFFIX: dict[str, DocumentFormat] = {".toml": "toml", ".json": "json"}
# msgspec ends a validation message with the JSON path of the value: "... - at `$.award.x`".
_AT_PATH = re.compile(r"^(?P<reason>.*) - at `\$(?P<path>[^`]*)`$", re.DOTALL)
_FIELD_NAMED = re.compile(
    r"^Object (?P<what>contains unknown|missing required) field `(?P<name>.*)`$", re.DOTALL
)

_Document = TypeVar("_Document", Standard, Programme)


def load_standard(text: str | bytes, *, format: DocumentFormat) -> Standard:
    """Decode one standard from TOML or JSON text; raise StandardInvalidError on any problem."""
    return _load(text, format, Standard)


def load_programme(text: str | bytes, *, format: DocumentFormat) -> Programme:
    """Decode one programme from TOML or JSON text; raise StandardInvalidError on any problem."""
    return _load(text, format, Programme)


def read_standard(path: Path) -> Standard:
    """Read a standard from a ``.toml`` or ``.json`` file, choosing the format by the suffix."""
    return _read(path, Standard)


def read_programme(path: Path) -> Programme:
    """Read a programme from a ``.toml`` or ``.json`` file, choosing the format by the suffix."""
    return _read(path, Programme)


def _read(path: Path, type_: type[_Document]) -> _Document:
    # A file that cannot be opened is the caller's environment, not the document: OSError passes.
    format = _FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if format is None:
        raise MalformedError("path", f"{path.name} must end in .toml or .json")
    # Read one byte past the limit: enough to know the file is too large without reading it all.
    with path.open("rb") as file:
        data = file.read(document_bytes_max + 1)
    return _load(data, format, type_)


def _load(text: str | bytes, format: DocumentFormat, type_: type[_Document]) -> _Document:
    assert format in ("toml", "json"), f"unknown document format {format!r}"
    try:
        unicode = _text(text)
        if format == "toml":
            # Decimal floats: "0.1" in a file must stay exactly 0.1, never a binary float.
            data = tomllib.loads(unicode, parse_float=decimal.Decimal)
            return msgspec.convert(data, type_)
        return msgspec.json.decode(unicode.encode("utf-8"), type=type_)
    except tomllib.TOMLDecodeError as error:
        raise StandardInvalidError([(_DOCUMENT, f"not valid TOML: {error}")]) from None
    except msgspec.ValidationError as error:
        raise StandardInvalidError([_problem(str(error))]) from None
    except msgspec.DecodeError as error:
        raise StandardInvalidError([(_DOCUMENT, f"not valid JSON: {error}")]) from None
    except RecursionError:
        # Both parsers recurse into nested arrays and tables; thousands of "[" exhaust the stack.
        raise StandardInvalidError([(_DOCUMENT, "nested too deeply")]) from None
    except ValueError as error:
        # tomllib refuses integers of over 4,300 digits with a plain ValueError.
        raise StandardInvalidError([(_DOCUMENT, f"not a usable document: {error}")]) from None


def _text(text: str | bytes) -> str:
    """The document as a str of bounded size, valid UTF-8, without a leading byte order mark."""
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > document_bytes_max:
        raise StandardInvalidError([(_DOCUMENT, f"larger than {document_bytes_max} bytes")])
    try:
        unicode = text.decode("utf-8") if isinstance(text, bytes) else text
        # A lone surrogate in a str cannot be written as UTF-8, so it could never be published.
        unicode.encode("utf-8")
    except UnicodeError:
        raise StandardInvalidError([(_DOCUMENT, "not valid UTF-8 text")]) from None
    # Editors on Windows often save UTF-8 with a byte order mark; neither parser accepts one.
    return unicode.removeprefix(_BYTE_ORDER_MARK)


def _problem(message: str) -> tuple[str, str]:
    """Turn msgspec's "reason - at `$.a.b[0]`" into ("a.b[0]", reason)."""
    path, reason = "", message
    at = _AT_PATH.match(message)
    if at is not None:
        path, reason = at["path"].removeprefix("."), at["reason"]
    named = _FIELD_NAMED.match(reason)
    if named is not None:
        # The message names a field inside the object at the path; name that field itself.
        path = f"{path}.{named['name']}" if path else named["name"]
        reason = (
            "unknown field" if named["what"] == "contains unknown" else "required field missing"
        )
    return (path or _DOCUMENT, reason)
