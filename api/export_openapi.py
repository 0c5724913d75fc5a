"""Write the OpenAPI document to ``api/openapi.json`` (``make openapi``); a test checks drift."""

from __future__ import annotations

import json
from pathlib import Path

from api.app import create_app

__all__ = ["OPENAPI_FILE", "openapi_text"]

OPENAPI_FILE = Path(__file__).resolve().parent / "openapi.json"


def openapi_text() -> str:
    schema = create_app().openapi_schema.to_schema()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OPENAPI_FILE.write_text(openapi_text(), encoding="utf-8")
