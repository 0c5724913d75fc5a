"""Committed contracts (OpenAPI, JSON Schemas) and public module surfaces do not drift."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from api.export_openapi import OPENAPI_FILE, openapi_text
from schemas.export import SCHEMA_DIR, schema_documents

STDLIB = sys.stdlib_module_names


def test_openapi_document_is_up_to_date() -> None:
    """api/openapi.json equals what the app generates; run `make openapi` after an API change."""
    assert OPENAPI_FILE.read_text(encoding="utf-8") == openapi_text()


@pytest.mark.parametrize("name", sorted(schema_documents()))
def test_json_schemas_are_up_to_date(name: str) -> None:
    """schemas/json/* equal the exported schemas; run `make schemas` after a format change."""
    assert (SCHEMA_DIR / name).read_text(encoding="utf-8") == schema_documents()[name]


def test_log_paths_are_in_the_openapi_document() -> None:
    """The log's HTTP paths, a contract with offline verifiers, are all published."""
    document = openapi_text()
    for path in (
        "/v1/log/checkpoint",
        "/v1/log/vkeys",
        "/v1/log/entries/{index}",
        "/v1/log/proof/inclusion",
        "/v1/log/proof/consistency",
        "/v1/log/receipt/{index}",
        "/v1/log/tile/{path}",
    ):
        assert f'"{path}"' in document, path


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("creditbank.errors", {"CreditbankError", "MalformedError", "ProofError", "NoteError"}),
        ("creditbank.ledger.merkle", {"verify_inclusion", "verify_consistency", "MemoryTree"}),
        ("creditbank.ledger.tiles", {"integrate", "tile_path", "parse_tile_path"}),
        ("schemas.entries", {"Entry", "OutcomeRecorded", "IssuerRegistered"}),
        (
            "creditbank.ledger",
            {
                "SealedEntry",
                "integrate",
                "verify_inclusion",
                "open_checkpoint",
                "verify_tlog_proof",
            },
        ),
    ],
)
def test_public_names_are_exported(module: str, names: set[str]) -> None:
    """Each module's __all__ lists its public names, and they all exist."""
    loaded = importlib.import_module(module)
    exported = set(loaded.__all__)
    assert names <= exported
    for name in exported:
        assert hasattr(loaded, name), f"{module}.{name}"


def test_imports_flow_one_way() -> None:
    """schemas imports only msgspec and the standard library; creditbank never imports api."""
    root = Path(__file__).resolve().parents[2]
    for path in (root / "creditbank").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.split()
            if words[:1] in (["import"], ["from"]):
                assert words[1].split(".")[0] != "api", (path, line)
    for path in (root / "schemas").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(("import ", "from ")):
                module = line.split()[1].split(".")[0]
                assert module in {"__future__", "msgspec", "schemas", *STDLIB}, (path, line)
