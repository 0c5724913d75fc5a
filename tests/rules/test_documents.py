"""Loading standards and programmes from TOML and JSON: fields named, no raw parser errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditbank.errors import MalformedError, StandardInvalidError
from creditbank.rules.documents import (
    document_bytes_max,
    load_programme,
    load_standard,
    read_programme,
    read_standard,
)
from schemas.standards import LevelTableAward, PerHoursAward, Programme, Standard

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "standards"
STANDARD_PATHS = sorted(
    path for path in EXAMPLES.glob("*.toml") if not path.name.startswith("programme-")
)
PROGRAMME_PATH = EXAMPLES / "programme-open-university-admin.toml"

MINIMAL = """\
id = "minimal"
version = 1
title = "最小标准"
category = "vocational.safety"
effective_from = 2025-01-01

[applies_to]
outcome_types = ["enterprise_training"]
course_codes = ["SAFE-*"]

[award]
method = "per_hours"
hours_per_unit = 16
"""


def problems(text: str | bytes, format: Any = "toml") -> list[tuple[str, str]]:
    with pytest.raises(StandardInvalidError) as raised:
        load_standard(text, format=format)
    return raised.value.problems


def test_minimal_toml_loads_with_decimals() -> None:
    """TOML numbers become exact decimals, dates become dates, defaults fill the rest."""
    document = load_standard(MINIMAL + "rounding_step = 0.1\n", format="toml")
    assert isinstance(document.award, PerHoursAward)
    assert str(document.award.rounding_step) == "0.1"
    assert str(document.award.hours_per_unit) == "16"
    assert document.requires.results == ["passed"]


def test_examples_are_there() -> None:
    """At least three sample standards and one programme are shipped."""
    assert len(STANDARD_PATHS) >= 3
    assert PROGRAMME_PATH.exists()


@pytest.mark.parametrize("path", STANDARD_PATHS, ids=lambda path: path.name)
def test_toml_json_round_trip_standard(path: Path) -> None:
    """TOML, encoded as JSON and loaded again, gives an equal standard (also from str)."""
    document = read_standard(path)
    encoded = msgspec.json.encode(document)
    assert load_standard(encoded, format="json") == document
    assert load_standard(encoded.decode(), format="json") == document
    assert load_standard(path.read_text(encoding="utf-8"), format="toml") == document


def test_toml_json_round_trip_programme() -> None:
    """The sample programme survives TOML -> JSON -> programme unchanged."""
    document = read_programme(PROGRAMME_PATH)
    assert len(document.requirements) >= 3
    assert load_programme(msgspec.json.encode(document), format="json") == document


def test_table_example_keeps_level_order() -> None:
    """The certificate table keeps its rows in file order: the first match decides."""
    document = read_standard(EXAMPLES / "vocational-certificates.toml")
    assert isinstance(document.award, LevelTableAward)
    assert [str(row.credits) for row in document.award.levels] == ["4", "8", "12", "16", "20"]


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        pytest.param(
            MINIMAL.replace("hours_per_unit = 16", 'hours_per_unit = "abc"'),
            "award.hours_per_unit",
            "Invalid decimal",
            id="wrong decimal",
        ),
        pytest.param(MINIMAL.replace("version = 1", "version = 1.5"), "version", "", id="float"),
        pytest.param("colour = 1\n" + MINIMAL, "colour", "unknown field", id="unknown top"),
        pytest.param(MINIMAL + "extra = 1\n", "award.extra", "unknown field", id="unknown nested"),
        pytest.param(
            MINIMAL.replace("hours_per_unit = 16", ""),
            "award.hours_per_unit",
            "required field missing",
            id="missing nested",
        ),
        pytest.param(
            MINIMAL.replace('title = "最小标准"\n', ""), "title", "required", id="missing top"
        ),
        pytest.param(
            MINIMAL.replace('["SAFE-*"]', '["SAFE-*", 3]'),
            "applies_to.course_codes[1]",
            "Expected `str`",
            id="list item",
        ),
        pytest.param(
            MINIMAL.replace('"per_hours"', '"nope"'), "award.method", "Invalid value", id="tag"
        ),
        pytest.param(
            MINIMAL.replace("2025-01-01", "2025-01-01T08:00:00Z"),
            "effective_from",
            "date",
            id="datetime for date",
        ),
        pytest.param(
            MINIMAL.replace('"enterprise_training"', '"hobby"'),
            "applies_to.outcome_types[0]",
            "Invalid enum value",
            id="enum",
        ),
        pytest.param(MINIMAL.replace("id = ", "id == "), "document", "not valid TOML", id="syntax"),
        pytest.param("a = " + "[" * 5000, "document", "nested too deeply", id="deep"),
    ],
)
def test_toml_problems_name_the_field(text: str, field: str, reason: str) -> None:
    """Every decoding failure becomes one problem naming the field (or "document")."""
    [(found_field, found_reason)] = problems(text)
    assert found_field == field
    assert reason in found_reason


def test_unknown_field_inside_a_table_row_is_named_with_its_index() -> None:
    """Array-of-tables rows are addressed by index: award.levels[1].colour."""
    text = read_standard(EXAMPLES / "vocational-certificates.toml")
    data = msgspec.to_builtins(text)
    data["award"]["levels"][1]["colour"] = "red"
    assert problems(json.dumps(data), "json") == [("award.levels[1].colour", "unknown field")]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        pytest.param(b"{", "document", id="truncated"),
        pytest.param(b"[]", "document", id="array"),
        pytest.param(b"\xff\xfe{}", "document", id="not UTF-8"),
        pytest.param('{"id": "\ud800"}', "document", id="lone surrogate"),
        pytest.param(b"[" * 5000, "document", id="deep"),
        pytest.param(b"{" + b" " * document_bytes_max + b"}", "document", id="too large"),
        pytest.param(b'{"id": "x", "version": 1}', "title", id="missing"),
    ],
)
def test_json_problems_name_the_field(text: str | bytes, field: str) -> None:
    """JSON failures are StandardInvalidError too, with the same field names."""
    assert [found for found, _ in problems(text, "json")] == [field]


def test_byte_order_mark_is_accepted() -> None:
    """A UTF-8 byte order mark, as Windows editors write, does not break either format."""
    document = load_standard(MINIMAL, format="toml")
    assert load_standard(("\ufeff" + MINIMAL).encode(), format="toml") == document
    encoded = b"\xef\xbb\xbf" + msgspec.json.encode(document)
    assert load_standard(encoded, format="json") == document


def test_read_chooses_the_format_by_suffix(tmp_path: Path) -> None:
    """.toml and .json files are read in their format; any other suffix is refused."""
    document = load_standard(MINIMAL, format="toml")
    (tmp_path / "a.TOML").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "a.json").write_bytes(msgspec.json.encode(document))
    (tmp_path / "a.yaml").write_text(MINIMAL, encoding="utf-8")
    assert read_standard(tmp_path / "a.TOML") == document
    assert read_standard(tmp_path / "a.json") == document
    with pytest.raises(MalformedError) as raised:
        read_standard(tmp_path / "a.yaml")
    assert raised.value.field == "path"


def test_read_refuses_files_over_the_limit(tmp_path: Path) -> None:
    """A file over the size limit is refused without being parsed."""
    path = tmp_path / "big.toml"
    path.write_text(MINIMAL + "#" * document_bytes_max, encoding="utf-8")
    with pytest.raises(StandardInvalidError, match="larger than"):
        read_standard(path)


def assert_only_invalid(text: str | bytes, format: Any) -> None:
    for load in (load_standard, load_programme):
        try:
            document = load(text, format=format)
        except StandardInvalidError as error:
            found = error.problems
        else:
            assert isinstance(document, Standard | Programme)
            continue
        assert found
        assert all(field and reason for field, reason in found)


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=300) | st.binary(max_size=300), format=st.sampled_from(["toml", "json"])
)
def test_arbitrary_text_raises_only_standard_invalid(text: str | bytes, format: str) -> None:
    """Whatever the input, loading returns a document or raises StandardInvalidError."""
    assert_only_invalid(text, format)


TOML_LINES = (EXAMPLES / "enterprise-safety-training.toml").read_text(encoding="utf-8").splitlines()
# Values of every TOML type, odd numbers, and arbitrary text (mostly syntax errors).
toml_values = st.sampled_from(
    ["nan", "inf", "-0.0", "1e400", "0.001", '"16"', "[]", "{}", "2025-02-30", "07:32:00",
     "1979-05-27T07:32:00", "true", "-1", "9" * 30, '"\\u0000"', "[1, [2]]", '"SAFE-*"']
) | st.text(max_size=20)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=st.integers(0, len(TOML_LINES) - 1), value=toml_values)
def test_mutated_toml_raises_only_standard_invalid(line: int, value: str) -> None:
    """A sample with one value replaced by anything still never leaks a parser error."""
    lines = list(TOML_LINES)
    key, equals, _ = lines[line].partition("=")
    lines[line] = f"{key}= {value}" if equals else value
    assert_only_invalid("\n".join(lines), "toml")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children)
    ),
    max_leaves=5,
)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), value=json_values)
def test_mutated_json_raises_only_standard_invalid(data: st.DataObject, value: Any) -> None:
    """A sample with one field of any depth replaced by any JSON value still only fails cleanly."""
    document = msgspec.to_builtins(read_standard(EXAMPLES / "vocational-certificates.toml"))
    node = document
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = data.draw(st.sampled_from(keys))
        if not isinstance(node[key], dict | list) or not node[key] or data.draw(st.booleans()):
            node[key] = value
            break
        node = node[key]
    assert_only_invalid(json.dumps(document), "json")
