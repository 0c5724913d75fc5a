"""Whether the import's compiled modules are used: decided once, when ``creditbank`` is imported.

``setup.py`` compiles the import's hot modules with mypyc, in place, each beside its source, and
records the SHA-256 of every source it compiled. Python would import a compiled module in
preference to its source; ``use_sources_where_needed`` turns that around for these modules when
the compiled ones must not be used:

* ``CREDITBANK_PURE_PYTHON=1``: the test suite's second pass over the imports runs the pure
  modules, the reference the compiled ones are held to;
* a source changed since the build: a stale module would silently run the old code;
* no build (no C compiler when the package was installed): nothing to turn around.

``status`` says which, for the one warning a pure-Python deployment gets and for benchmarks.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__all__ = ["COMPILED_MODULES", "compiled_in_use", "status", "use_sources_where_needed"]

COMPILED_MODULES = (
    "creditbank.imports.row_core",
    "creditbank.imports.csv_rows",
    "creditbank.imports.classify",
    "creditbank.imports.seen",
    "creditbank.ledger.outcome_bytes",
)
_PACKAGE = Path(__file__).resolve().parent
_MANIFEST = _PACKAGE / "compiled_sources.json"

status = "not decided"


def _source(module: str) -> Path:
    return _PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py")


def _built(module: str) -> bool:
    path = _source(module)
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    return any(path.with_suffix(suffix).exists() for suffix in suffixes)


def _stale(modules: Sequence[str]) -> list[str]:
    """Modules whose source is not what was compiled (all of them without a manifest)."""
    try:
        digests: dict[str, str] = json.loads(_MANIFEST.read_text())
    except (OSError, ValueError):
        return list(modules)
    root = _PACKAGE.parent
    return [
        module
        for module in modules
        if digests.get(_source(module).relative_to(root).as_posix())
        != hashlib.sha256(_source(module).read_bytes()).hexdigest()
    ]


class _SourcesFirst(importlib.abc.MetaPathFinder):
    """Finds these modules' ``.py`` files before the path finder finds their extensions."""

    def __init__(self, modules: Sequence[str]) -> None:
        self._modules = frozenset(modules)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self._modules:
            return None
        return importlib.util.spec_from_file_location(fullname, _source(fullname))


def use_sources_where_needed(environ: dict[str, str] | os._Environ[str] = os.environ) -> None:
    """Decide (see the module docstring); call before any of the modules is imported."""
    global status
    built = [module for module in COMPILED_MODULES if _built(module)]
    if not built:
        status = "pure Python: the compiled core is not built (no C compiler at install?)"
        return
    if environ.get("CREDITBANK_PURE_PYTHON") == "1":
        reason = "pure Python: CREDITBANK_PURE_PYTHON=1"
    elif stale := _stale(built):
        reason = f"pure Python: {', '.join(stale)} changed since the build (run make)"
    else:
        status = "compiled"
        return
    sys.meta_path.insert(0, _SourcesFirst(COMPILED_MODULES))
    status = reason


def compiled_in_use() -> bool:
    return status == "compiled"
