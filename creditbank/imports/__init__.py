"""Reading import files (CSV, NDJSON, JSON array, workbooks) into raw records, streaming and pure.

The text readers consume an iterable of bytes chunks and yield RawRecords (a workbook's sheet is
read by calamine first, see ``spreadsheet``); validating a record against OutcomeRecord and
classifying it is the import pipeline's job. A file that cannot be read at all
raises FileFormatError with a stable ``reason_code``.
"""

from __future__ import annotations

from creditbank.imports.encoding import Encoding, detect_encoding, encoding_head_bytes_min
from creditbank.imports.headers import (
    HEADER_ALIASES,
    OPTIONAL_FIELDS,
    REQUIRED_FIELDS,
    HeaderMap,
    cell_values,
    map_header,
    normalise_header,
)
from creditbank.imports.json_array import json_item_bytes_max, read_json_array
from creditbank.imports.readers import (
    csv_record_bytes_max,
    ndjson_line_bytes_max,
    read_csv,
    read_ndjson,
)
from creditbank.imports.records import RawRecord

__all__ = [
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
