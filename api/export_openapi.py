"""Write the OpenAPI document to ``api/openapi.json`` (``make openapi``); a test checks drift."""

from __future__ import annotations

from pathlib import Path

import msgspec

from api.app import create_app

__all__ = ["OPENAPI_FILE", "openapi_text"]

OPENAPI_FILE = Path(__file__).resolve().parent / "openapi.json"


def openapi_text() -> str:
    # msgspec, not json: defaults in the schema are Structs (a standard's default caps).
    schema = create_app().openapi_schema.to_schema()
    encoded = msgspec.json.encode(schema, order="sorted")
    return msgspec.json.format(encoded, indent=2).decode() + "\n"


if __name__ == "__main__":
    OPENAPI_FILE.write_text(openapi_text(), encoding="utf-8")
