"""Encoding detection for CSV heads."""

from __future__ import annotations

import codecs

import pytest

import creditbank.imports
from creditbank.errors import FileFormatError
from creditbank.imports import detect_encoding

CHINESE = "记录编号,姓名,课程名称\nR1,张三,老年大学书法班\n"


def test_public_names_are_pinned() -> None:
    """The package exports exactly its documented public names."""
    assert sorted(creditbank.imports.__all__) == sorted(
        [
            "HEADER_ALIASES",
            "OPTIONAL_FIELDS",
            "REQUIRED_FIELDS",
            "Encoding",
            "HeaderMap",
            "RawRecord",
            "cell_values",
            "csv_record_bytes_max",
            "detect_encoding",
            "encoding_head_bytes_min",
            "json_item_bytes_max",
            "map_header",
            "ndjson_line_bytes_max",
            "normalise_header",
            "read_csv",
            "read_json_array",
            "read_ndjson",
        ]
    )


def test_bom_means_utf8_sig() -> None:
    """A UTF-8 BOM selects utf-8-sig."""
    assert detect_encoding(codecs.BOM_UTF8 + CHINESE.encode()) == "utf-8-sig"


def test_utf8_chinese() -> None:
    """Chinese text in UTF-8 without a BOM is utf-8."""
    assert detect_encoding(CHINESE.encode("utf-8")) == "utf-8"


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_gb_family_is_gb18030(encoding: str) -> None:
    """Chinese text saved by Excel as GBK or GB18030 is read as gb18030."""
    assert detect_encoding(CHINESE.encode(encoding)) == "gb18030"


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_head_cut_mid_character(encoding: str) -> None:
    """A head ending inside a multi-byte character still detects its encoding."""
    data = CHINESE.encode(encoding)
    cut = data.index("张".encode(encoding)) + 1
    assert detect_encoding(data[:cut]) == encoding


def test_ascii_and_empty_are_utf8() -> None:
    """Plain ASCII and an empty head are utf-8."""
    assert detect_encoding(b"record_id,hours\n") == "utf-8"
    assert detect_encoding(b"") == "utf-8"


def test_nul_bytes_are_not_text() -> None:
    """Binary input (an xlsx zip, UTF-16) is rejected as not_text."""
    with pytest.raises(FileFormatError) as caught:
        detect_encoding(b"PK\x03\x04\x00\x00")
    assert caught.value.reason_code == "not_text"
    with pytest.raises(FileFormatError) as caught:
        detect_encoding(CHINESE.encode("utf-16"))
    assert caught.value.reason_code == "not_text"


def test_neither_encoding_is_wrong_encoding() -> None:
    """Bytes that are neither UTF-8 nor GB18030 are wrong_encoding."""
    with pytest.raises(FileFormatError) as caught:
        detect_encoding(b"abc\xff\xff\xff")
    assert caught.value.reason_code == "wrong_encoding"
    assert caught.value.code == "invalid_file"
