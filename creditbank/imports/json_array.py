"""A streaming reader for a JSON array of records: bytes chunks in, one RawRecord per item.

An incremental scanner tracks nesting depth and string state to cut each top-level item's bytes
out of the stream; msgspec decodes the item. Memory is bounded by the chunk size plus one item.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator

from creditbank.errors import FileFormatError
from creditbank.imports.records import RawRecord, decode_object

__all__ = ["json_item_bytes_max", "read_json_array"]

json_item_bytes_max = 64 * 1024

_WHITESPACE = b" \t\r\n"
# Outside strings only these bytes change the scanner's state; inside, only a quote or backslash.
_STRUCTURAL = re.compile(rb'[\[\]{}",]')
_STRING_SPECIAL = re.compile(rb'["\\]')


def read_json_array(chunks: Iterable[bytes]) -> Iterator[RawRecord]:
    """Yield one RawRecord per item of a top-level JSON array; an item not an object is its error.

    Raises FileFormatError("malformed_json") when the file is not one array (or is cut short),
    ("line_too_long") for an item over json_item_bytes_max, ("empty") for a blank file or an
    array with no items (a file with nothing to import is a mistake worth saying so).
    """
    scanner = _ArrayScanner()
    number = 0
    for chunk in chunks:
        for item in scanner.feed(chunk):
            number += 1
            yield decode_object(number, item, "item")
    scanner.finish()
    if number == 0:
        raise FileFormatError("empty", "the array has no records")


class _ArrayScanner:
    """Cuts the top-level items out of a JSON array fed in arbitrary pieces."""

    def __init__(self) -> None:
        self._state = "start"  # start (BOM allowed), before ([ expected), items, after (] seen)
        self._depth = 0  # 1 inside the top-level array
        self._in_string = False
        self._escaped = False  # the last piece ended in a backslash inside a string
        self._item: list[bytes] = []
        self._item_bytes = 0
        self._items_seen = 0

    def feed(self, data: bytes) -> list[bytes]:
        if self._state == "start" and data:
            # The BOM is three bytes and could be cut; pieces that short only occur in tests, but
            # a scanner that depends on the chunk size is a bug, so wait for all three.
            data = b"".join(self._item) + data
            self._item = []
            if len(data) < len(codecs.BOM_UTF8) and codecs.BOM_UTF8.startswith(data):
                self._item.append(data)
                return []
            if data.startswith(codecs.BOM_UTF8):
                data = data[len(codecs.BOM_UTF8) :]
            self._state = "before"
        if self._state == "before":
            data = data.lstrip(_WHITESPACE)
            if not data:
                return []
            if not data.startswith(b"["):
                raise FileFormatError("malformed_json", "the file is not a JSON array")
            self._state, self._depth, data = "items", 1, data[1:]
        if self._state == "after":
            if data.strip(_WHITESPACE):
                raise FileFormatError("malformed_json", "text after the end of the array")
            return []
        return self._scan(data)

    def finish(self) -> None:
        if self._state in ("start", "before"):
            raise FileFormatError("empty", "the file has no JSON array")
        if self._state != "after":
            raise FileFormatError("malformed_json", "the array is cut short")

    def _scan(self, data: bytes) -> list[bytes]:
        """Items completed in data; the unfinished rest is kept for the next piece."""
        items: list[bytes] = []
        start = position = 0
        if self._escaped:
            self._escaped, position = False, 1
        while position < len(data):
            if self._in_string:
                match = _STRING_SPECIAL.search(data, position)
                if match is None:
                    break
                if match.group() == b"\\":
                    position = match.end() + 1  # the escaped byte cannot end the string
                    self._escaped = position > len(data)
                    continue
                self._in_string, position = False, match.end()
                continue
            match = _STRUCTURAL.search(data, position)
            if match is None:
                break
            byte, position = match.group(), match.end()
            if byte == b'"':
                self._in_string = True
            elif byte in (b"[", b"{"):
                self._depth += 1
            elif self._depth > 1:
                # A comma down here separates an item's own members; only closers matter.
                if byte != b",":
                    self._depth -= 1
            elif byte == b"}":
                raise FileFormatError("malformed_json", "a } closes the array")
            else:  # a comma or ] at the top level ends an item
                item = self._cut(data[start : position - 1], last=byte == b"]")
                if item is not None:
                    items.append(item)
                start = position
                if byte == b"]":
                    return items + self._close(data[position:])
        self._keep(data[start:])
        return items

    def _cut(self, tail: bytes, *, last: bool) -> bytes | None:
        """The item ending with tail; None for the nothing between [ and ] of an empty array."""
        self._keep(tail)
        item = b"".join(self._item).strip(_WHITESPACE)
        self._item, self._item_bytes = [], 0
        if not item:
            if last and self._items_seen == 0:
                return None
            raise FileFormatError("malformed_json", f"item {self._items_seen + 1} is missing")
        self._items_seen += 1
        return item

    def _close(self, rest: bytes) -> list[bytes]:
        self._state = "after"
        if rest.strip(_WHITESPACE):
            raise FileFormatError("malformed_json", "text after the end of the array")
        return []

    def _keep(self, fragment: bytes) -> None:
        self._item.append(fragment)
        self._item_bytes += len(fragment)
        if self._item_bytes > json_item_bytes_max:
            raise FileFormatError(
                "line_too_long",
                f"item {self._items_seen + 1} is longer than {json_item_bytes_max} bytes",
            )
