"""Export the JSON Schemas of the wire formats to ``schemas/json/`` (``make schemas``).

The files are committed; a contract test regenerates them and fails on any drift.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from schemas.api import IssuerRegistration, OutcomeRecord, Problem
from schemas.entries import Entry
from schemas.learners import ArchiveBundle
from schemas.standards import Programme, Standard

__all__ = ["SCHEMA_DIR", "export", "schema_documents"]

SCHEMA_DIR = Path(__file__).resolve().parent / "json"

_DOCUMENTS: dict[str, Any] = {
    "entry.json": Entry,
    "outcome_record.json": OutcomeRecord,
    "issuer_registration.json": IssuerRegistration,
    "problem.json": Problem,
    "standard.json": Standard,
    "programme.json": Programme,
    "archive_bundle.json": ArchiveBundle,
}


def schema_documents() -> dict[str, str]:
    """File name -> JSON text, deterministic (sorted keys, trailing newline)."""
    return {
        name: json.dumps(msgspec.json.schema(type_), indent=2, sort_keys=True, ensure_ascii=False)
        + "\n"
        for name, type_ in _DOCUMENTS.items()
    }


def export() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, text in schema_documents().items():
        (SCHEMA_DIR / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    export()
