"""RFC 8785 (JCS) canonical bytes of entries, and strict decoding back.

An entry's bytes are what the log hashes, serves and verifies, so they must be exactly the JCS
serialisation of its JSON object, and decoding them must give back the same entry.

The fast path is msgspec's sorted encoder, which already agrees with JCS on everything an entry can
hold: no insignificant whitespace; strings escape only ``"``, ``\\`` and U+0000..U+001F, using
``\\b \\t \\n \\f \\r`` where JCS does and lowercase ``\\u00xx`` otherwise; DEL, ``/``, U+2028,
U+2029 and all other non-ASCII characters are written raw in UTF-8; integers are plain decimals.
Struct fields are sorted by their encoded names, like dict keys. Three differences remain, and each
is detected cheaply and sent to a slow path that is correct by construction:

* Floats. Entries carry decimals as strings; a float would be encoded by msgspec in a form JCS does
  not use (``1e300`` for ``1e+300``), and NaN and infinity silently as ``null``. Floats are
  rejected with ``CanonicalError``.
* Integers outside ±(2**53 - 1), which JCS cannot represent exactly: rejected.
* Key order. msgspec sorts keys by code point, JCS by UTF-16 code unit. The two orders differ only
  when the keys being compared hold a character in U+E000..U+FFFF and one at or above U+10000
  (a surrogate pair sorts below U+E000 in UTF-16). When the encoded output holds both kinds of
  character, the slow path re-sorts every object by UTF-16 code units: such keys are accepted and
  ordered as JCS requires, not rejected.

Numbers are invisible to a scan of the JSON text without tokenising it (digits inside strings, NaN
written as ``null``), so they are detected on the msgpack encoding of the same value instead: a
float is always msgpack ``float 64`` (0xcb) and an integer outside [-2**31, 2**32) is ``int 64`` or
``uint 64`` (0xd3, 0xcf). Any of those bytes anywhere (they also occur inside some strings, as
UTF-8 lead bytes of Greek or Cyrillic letters) sends the value to the slow path, which decides
exactly. A false alarm costs time, never correctness.

Lone surrogates cannot be encoded as UTF-8 and are rejected. ``msgspec.Raw`` values are outside
this module's contract: their bytes are copied as they are.
"""

from __future__ import annotations

from typing import Any, Final, TypeVar

import msgspec

from creditbank.errors import CanonicalError

__all__ = ["canonical_bytes", "decode_canonical"]

T = TypeVar("T")

_json_integer_max: Final = (1 << 53) - 1  # beyond this an I-JSON number is not exact

_encoder_sorted: Final = msgspec.json.Encoder(order="sorted")
# The slow path builds dicts whose insertion order is already the UTF-16 order.
_encoder_insertion_order: Final = msgspec.json.Encoder()
_encoder_msgpack: Final = msgspec.msgpack.Encoder()

_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}


def _delete_all_except(kept: bytes) -> bytes:
    """A ``bytes.translate`` delete table that keeps only the bytes in ``kept``."""
    return bytes(byte for byte in range(256) if byte not in kept)


# In a msgpack encoding: the markers of a float (float 32 is never produced by msgspec, checked
# anyway) and of an integer outside [-2**31, 2**32); and the UTF-8 lead bytes of characters at or
# above U+10000 and of characters in U+E000..U+FFFF, since strings are copied into msgpack as UTF-8.
_number_markers: Final = b"\xca\xcb\xcf\xd3"
_astral_leads: Final = b"\xf0\xf1\xf2\xf3\xf4"
_high_bmp_leads: Final = b"\xee\xef"
_delete_except_suspicious: Final = _delete_all_except(
    _number_markers + _astral_leads + _high_bmp_leads
)
_delete_except_number_markers: Final = _delete_all_except(_number_markers)
_delete_except_astral_leads: Final = _delete_all_except(_astral_leads)
_delete_except_high_bmp_leads: Final = _delete_all_except(_high_bmp_leads)


def canonical_bytes(value: object) -> bytes:
    """The RFC 8785 bytes of ``value``: a msgspec Struct or a plain JSON value.

    Raises ``CanonicalError`` for floats, integers outside ±(2**53 - 1), strings with lone
    surrogates, non-string object keys and values msgspec cannot encode.
    """
    try:
        encoded = _encoder_sorted.encode(value)
    except (TypeError, UnicodeEncodeError, RecursionError) as error:
        raise CanonicalError(f"cannot encode as canonical JSON: {error}") from None
    try:
        packed = _encoder_msgpack.encode(value)
    except (OverflowError, TypeError, ValueError):
        # An integer beyond 64 bits, or anything else msgpack cannot hold: the exact path decides.
        return _canonical_bytes_exact(value)
    # One pass over the msgpack bytes keeps only the bytes worth a second look; usually none.
    suspicious = packed.translate(None, _delete_except_suspicious)
    if suspicious and _needs_exact_path(suspicious):
        return _canonical_bytes_exact(value)
    return encoded


def _needs_exact_path(suspicious: bytes) -> bool:
    """Whether the flagged msgpack bytes may hide a float, a big integer or a key-order change."""
    if suspicious.translate(None, _delete_except_number_markers):
        return True
    # Code point and UTF-16 order disagree only between U+E000..U+FFFF and U+10000 and above.
    return bool(suspicious.translate(None, _delete_except_astral_leads)) and bool(
        suspicious.translate(None, _delete_except_high_bmp_leads)
    )


def _canonical_bytes_exact(value: object) -> bytes:
    """The slow path: validate every number and order every object by UTF-16 code units."""
    try:
        plain = msgspec.to_builtins(value, order="sorted")
        normalized = _normalize(plain)
        return _encoder_insertion_order.encode(normalized)
    except (TypeError, UnicodeEncodeError, RecursionError) as error:
        raise CanonicalError(f"cannot encode as canonical JSON: {error}") from None


def _utf16_sort_key(key: str) -> bytes:
    # Big-endian UTF-16 bytes compare exactly like sequences of UTF-16 code units.
    return key.encode("utf-16-be")


def _normalize(value: object) -> object:
    """A copy of a ``to_builtins`` value with objects in JCS key order; rejects non-JSON values."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if not -_json_integer_max <= value <= _json_integer_max:
            raise CanonicalError(f"integer {value} is outside ±(2**53 - 1)")
        return value
    if isinstance(value, float):
        raise CanonicalError(f"float {value!r} in an entry: decimals are carried as strings")
    if isinstance(value, list):
        return [_normalize(item) for item in value]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise CanonicalError(f"object key {key!r} is not a string")
        return {key: _normalize(value[key]) for key in sorted(value, key=_utf16_sort_key)}
    raise CanonicalError(f"value of type {type(value).__name__} is not JSON")


def _decoder_for(type_: Any) -> msgspec.json.Decoder[Any]:
    decoder = _decoders.get(type_)
    if decoder is None:
        decoder = msgspec.json.Decoder(type_, strict=True)
        _decoders[type_] = decoder
    return decoder


def decode_canonical(data: bytes, type_: type[T]) -> T:
    """Decode ``data`` as ``type_``, requiring it to be exactly the canonical bytes of the result.

    Raises ``CanonicalError`` for anything else: invalid JSON or UTF-8, a type mismatch, or a valid
    document in another form (key order, whitespace, escapes, duplicate keys, defaults spelled out
    where the type omits them).
    """
    try:
        value: T = _decoder_for(type_).decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as error:
        raise CanonicalError(f"not a valid {_type_name(type_)}: {error}") from None
    if canonical_bytes(value) != data:
        raise CanonicalError(f"not in canonical form (RFC 8785) for {_type_name(type_)}")
    return value


def _type_name(type_: object) -> str:
    return getattr(type_, "__name__", repr(type_))
