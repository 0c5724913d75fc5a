"""Compiles the import's hot modules with mypyc; without a compiler the package is pure Python.

``pyproject.toml`` holds everything else. The modules in ``COMPILED`` are compiled in place, as
mypyc does for mypy and black, each beside its source. ``creditbank/compiled.py`` decides at
start-up whether the compiled modules are used: not when ``CREDITBANK_PURE_PYTHON=1`` (the test
suite's second pass over the imports), and not when a source changed since the build (the
digests of the sources compiled are written to ``creditbank/compiled_sources.json``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
# The import's row loop: CSV cells to entries (row_core, csv_rows), the one encoding
# (outcome_bytes) and the classification with its duplicate table (classify, seen).
COMPILED = (
    "creditbank/imports/row_core.py",
    "creditbank/imports/csv_rows.py",
    "creditbank/imports/classify.py",
    "creditbank/imports/seen.py",
    "creditbank/ledger/outcome_bytes.py",
)
MANIFEST = ROOT / "creditbank" / "compiled_sources.json"


def _write_manifest() -> None:
    digests = {path: hashlib.sha256((ROOT / path).read_bytes()).hexdigest() for path in COMPILED}
    MANIFEST.write_text(json.dumps(digests, indent=2, sort_keys=True) + "\n")


def _extensions() -> list[object]:
    if os.environ.get("CREDITBANK_PURE_PYTHON") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("creditbank: no mypyc; the import core stays pure Python", file=sys.stderr)
        return []
    _write_manifest()
    try:
        return list(mypycify(list(COMPILED), separate=True, opt_level="3"))
    except (Exception, SystemExit) as error:  # mypyc exits on a type error: install pure
        MANIFEST.unlink(missing_ok=True)
        print(f"creditbank: the compiled import core was not built: {error}", file=sys.stderr)
        return []


class OptionalBuildExt(build_ext):
    """A failed compile (no gcc, no Python headers) leaves the pure modules, with a message."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # any failure: fall back, never fail the install
            MANIFEST.unlink(missing_ok=True)
            print(f"creditbank: the compiled import core was not built: {error}", file=sys.stderr)

    def build_extension(self, ext: object) -> None:
        try:
            super().build_extension(ext)  # type: ignore[arg-type]
        except Exception as error:
            MANIFEST.unlink(missing_ok=True)
            print(f"creditbank: the compiled import core was not built: {error}", file=sys.stderr)


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
