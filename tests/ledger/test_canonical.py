"""RFC 8785 canonical bytes: agreement with an independent implementation, and strict decoding."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import msgspec
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import CanonicalError
from creditbank.ledger.canonical import canonical_bytes, decode_canonical

integer_max = (1 << 53) - 1

# Characters where JSON serialisers tend to disagree, mixed into otherwise arbitrary text.
tricky_characters = st.sampled_from(
    [
        "\x00", "\x08", "\x1f", "\x7f", '"', "\\", "/", "\u2028", "\u2029", "é", "中", "文",
        "π", "ж", "\ue000", "\uf900", "\uff01", "\ufffd", "\uffff", "😀", "\U00010000",
        "\U0010ffff",
    ]
)  # fmt: skip
characters = st.one_of(st.characters(codec="utf-8"), tricky_characters)
texts = st.text(characters, max_size=12)
integers = st.integers(min_value=-integer_max, max_value=integer_max)
json_values = st.recursive(
    st.none() | st.booleans() | integers | texts,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(texts, children, max_size=5),
    max_leaves=25,
)


class Award(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    credits: str
    standard: str


class Recorded(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag_field="kind",
    tag="outcome.recorded",
):
    v: int
    learner_name: str
    hours: str
    award: Award | None
    tags: list[str]
    extra: dict[str, str]


def make_recorded(**changes: object) -> Recorded:
    fields: dict[str, object] = {
        "v": 1,
        "learner_name": "김민준 😀",
        "hours": "16.0",
        "award": Award(credits="1.50", standard="kr-credit@3"),
        "tags": ["cs", "intro"],
        "extra": {"b": "2", "a": "1"},
    }
    fields.update(changes)
    return Recorded(**fields)  # type: ignore[arg-type]


@given(json_values)
def test_plain_values_match_rfc8785(value: Any) -> None:
    """Generated JSON values serialise byte for byte as the rfc8785 oracle does."""
    assert canonical_bytes(value) == rfc8785.dumps(value)


@given(
    learner_name=texts,
    hours=texts,
    v=integers,
    tags=st.lists(texts, max_size=4),
    extra=st.dictionaries(texts, texts, max_size=6),
)
def test_structs_match_rfc8785(
    learner_name: str, hours: str, v: int, tags: list[str], extra: dict[str, str]
) -> None:
    """A Struct serialises as the oracle serialises its JSON object, tag and nesting included."""
    entry = make_recorded(learner_name=learner_name, hours=hours, v=v, tags=tags, extra=extra)
    assert canonical_bytes(entry) == rfc8785.dumps(msgspec.to_builtins(entry))


def test_every_character_is_escaped_as_jcs_escapes_it() -> None:
    """Control characters, quotes, DEL, '/', U+2028/9 and all non-ASCII match JCS escaping."""
    bmp = "".join(chr(code) for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF)
    astral = "".join(chr(code) for code in range(0x10000, 0x110000, 0x3FF))
    for text in (bmp, astral):
        assert canonical_bytes(text) == rfc8785.dumps(text)
        assert canonical_bytes({text: text}) == rfc8785.dumps({text: text})
    assert canonical_bytes("\x00\x1f\x7f/\u2028") == b'"\\u0000\\u001f\x7f/\xe2\x80\xa8"'


def test_keys_are_ordered_by_utf16_code_units() -> None:
    """Keys with U+E000..U+FFFF and astral characters follow UTF-16 order, not code point order."""
    value = {"\ue000": 1, "\U0001f600": 2, "a": 3, "\uffff": 4, "\U00010000": 5}
    expected = '{"a":3,"\U00010000":5,"\U0001f600":2,"\ue000":1,"\uffff":4}'.encode()
    assert canonical_bytes(value) == expected == rfc8785.dumps(value)
    nested = make_recorded(extra={"\uff01": "x", "😀": "y"})
    assert b'"extra":{"\xf0\x9f\x98\x80":"y","\xef\xbc\x81":"x"}' in canonical_bytes(nested)
    assert canonical_bytes(nested) == rfc8785.dumps(msgspec.to_builtins(nested))


def test_false_alarms_still_give_exact_bytes() -> None:
    """Greek, Cyrillic and 33..53-bit integers take the exact path and still match the oracle."""
    values: list[object] = [
        {"όνομα": "Σωκράτης", "имя": "Ӂ", "ˈstress": "ϐ"},
        [1 << 32, (1 << 40) + 7, -(1 << 31) - 1, integer_max, -integer_max],
        make_recorded(learner_name="Ελένη", v=1 << 40),
    ]
    for value in values:
        assert canonical_bytes(value) == rfc8785.dumps(msgspec.to_builtins(value))


@pytest.mark.parametrize(
    "value",
    [
        1.5,
        1.0,
        -0.0,
        math.nan,
        math.inf,
        -math.inf,
        1e300,
        {"a": [1, 2.5]},
        [{"b": math.nan}],
        make_recorded(hours=16.0),
        make_recorded(extra={"a": math.nan}),
        make_recorded(award=Award(credits=math.inf, standard="s")),  # type: ignore[arg-type]
    ],
)
def test_floats_are_rejected(value: object) -> None:
    """Floats anywhere, including NaN and infinity that msgspec would write as null, are refused."""
    with pytest.raises(CanonicalError):
        canonical_bytes(value)


@pytest.mark.parametrize(
    "value",
    [
        integer_max + 1,
        -integer_max - 1,
        1 << 63,
        1 << 64,
        1 << 200,
        -(1 << 63) - 1,
        {"a": [1, 1 << 60]},
        make_recorded(v=1 << 53),
        make_recorded(v=-(1 << 100)),
    ],
)
def test_integers_beyond_53_bits_are_rejected(value: object) -> None:
    """Integers JCS cannot represent exactly are refused, however deep."""
    with pytest.raises(CanonicalError):
        canonical_bytes(value)


def test_integer_bounds_are_inclusive() -> None:
    """±(2**53 - 1) are accepted."""
    assert canonical_bytes([integer_max, -integer_max]) == b"[9007199254740991,-9007199254740991]"


@pytest.mark.parametrize(
    "value",
    [
        "\ud800",
        "a\udfffb",
        {"\ud83d": 1},
        {"x": ["\udc00"]},
        make_recorded(learner_name="\ud800"),
        {1: "a"},
        {"a": {("t",): 1}},
        object(),
        {"a": {1, 2}.__iter__()},
    ],
)
def test_unencodable_values_are_rejected(value: object) -> None:
    """Lone surrogates, non-string keys and non-JSON objects raise CanonicalError."""
    with pytest.raises(CanonicalError):
        canonical_bytes(value)


def test_deep_nesting_is_rejected_not_crashing() -> None:
    """Nesting beyond the recursion limit is a CanonicalError, not a RecursionError."""
    value: list[object] = []
    for _ in range(100_000):
        value = [value]
    with pytest.raises(CanonicalError):
        canonical_bytes(value)


def test_struct_round_trips_through_decode_canonical() -> None:
    """decode_canonical gives back an equal Struct from its canonical bytes."""
    entry = make_recorded(extra={"\ue000": "x", "😀": "y"})
    assert decode_canonical(canonical_bytes(entry), Recorded) == entry


@given(json_values)
def test_plain_values_round_trip(value: object) -> None:
    """Canonical bytes of any JSON value decode back to an equal value."""
    assert decode_canonical(canonical_bytes(value), object) == value


@pytest.mark.parametrize(
    "data",
    [
        # Keys out of order.
        b'{"v":1,"kind":"outcome.recorded","learner_name":"x","hours":"1.0","award":null,'
        b'"tags":[],"extra":{}}',
        # Insignificant whitespace.
        b'{"award":null, "extra":{},"hours":"1.0","kind":"outcome.recorded","learner_name":"x",'
        b'"tags":[],"v":1}',
        # An escape where JCS writes the character itself.
        b'{"award":null,"extra":{},"hours":"1.0","kind":"outcome.recorded",'
        b'"learner_name":"\\u4e2d","tags":[],"v":1}',
        b'{"award":null,"extra":{},"hours":"1.0","kind":"outcome.recorded",'
        b'"learner_name":"\\/","tags":[],"v":1}',
        # Trailing garbage, trailing newline.
        b'{"award":null,"extra":{},"hours":"1.0","kind":"outcome.recorded","learner_name":"x",'
        b'"tags":[],"v":1}x',
        b'{"award":null,"extra":{},"hours":"1.0","kind":"outcome.recorded","learner_name":"x",'
        b'"tags":[],"v":1}\n',
        # A duplicate key.
        b'{"award":null,"extra":{},"hours":"1.0","kind":"outcome.recorded","learner_name":"x",'
        b'"tags":[],"v":1,"v":1}',
        # A float where an integer belongs, an unknown field, a wrong tag, invalid UTF-8.
        b'{"award":null,"extra":{},"hours":"1.0","kind":"outcome.recorded","learner_name":"x",'
        b'"tags":[],"v":1.0}',
        b'{"award":null,"extra":{},"hours":"1.0","kind":"outcome.recorded","learner_name":"x",'
        b'"tags":[],"v":1,"w":2}',
        b'{"award":null,"extra":{},"hours":"1.0","kind":"award.granted","learner_name":"x",'
        b'"tags":[],"v":1}',
        b'{"award":null,"extra":{},"hours":"1.0","kind":"outcome.recorded","learner_name":"\xff",'
        b'"tags":[],"v":1}',
        b"",
    ],
)
def test_non_canonical_bytes_are_rejected(data: bytes) -> None:
    """Any byte string other than the exact canonical form of a valid Struct is refused."""
    with pytest.raises(CanonicalError):
        decode_canonical(data, Recorded)


@pytest.mark.parametrize(
    "data",
    [b"1.5", b"1e400", b"9007199254740992", b'"\\ud800"', b'{"b":1,"a":2}', b"[" * 5000],
)
def test_non_canonical_plain_documents_are_rejected(data: bytes) -> None:
    """Plain documents with floats, big integers, lone surrogates or bad order are refused."""
    with pytest.raises(CanonicalError):
        decode_canonical(data, object)


@settings(max_examples=300)
@given(st.binary(max_size=64) | st.text(max_size=64).map(lambda text: text.encode()))
def test_arbitrary_bytes_raise_only_canonical_error(data: bytes) -> None:
    """decode_canonical never leaks another exception type on arbitrary input."""
    for type_ in (object, Recorded):
        with contextlib.suppress(CanonicalError):
            decode_canonical(data, type_)
