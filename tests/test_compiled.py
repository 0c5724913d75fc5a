"""The compiled import core is used exactly when it should be (see creditbank.compiled)."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from creditbank import compiled

# CI builds the core and sets this, so a build that silently fell back to pure Python fails here
# instead of passing with the compiled modules never tested.
REQUIRE_COMPILED = os.environ.get("CREDITBANK_REQUIRE_COMPILED") == "1"
PURE = os.environ.get("CREDITBANK_PURE_PYTHON") == "1"
ROOT = Path(__file__).resolve().parents[1]


def _loaded_files(environ: dict[str, str]) -> dict[str, str]:
    code = (
        "import importlib, json, creditbank.compiled as c\n"
        "print(json.dumps({m: importlib.import_module(m).__file__ for m in c.COMPILED_MODULES}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=environ, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    files: dict[str, str] = json.loads(done.stdout)
    return files


def test_the_core_in_use_is_the_one_asked_for() -> None:
    """CREDITBANK_PURE_PYTHON=1 runs the sources (the second pass of make test); otherwise, under
    CREDITBANK_REQUIRE_COMPILED=1 (CI), every module of the core is imported as an extension;
    anywhere else the status says which of the two runs, and why."""
    if PURE:
        assert compiled.status == "pure Python: CREDITBANK_PURE_PYTHON=1"
        assert not compiled.compiled_in_use()
        return
    if REQUIRE_COMPILED:
        assert compiled.compiled_in_use(), compiled.status
        files = _loaded_files({**os.environ, "CREDITBANK_PURE_PYTHON": "0"})
        assert all(not path.endswith(".py") for path in files.values()), files
        return
    assert compiled.compiled_in_use() or compiled.status.startswith("pure Python: ")


def test_pure_python_loads_every_module_from_its_source() -> None:
    """CREDITBANK_PURE_PYTHON=1 imports each module of the core from its .py file, built or not."""
    files = _loaded_files({**os.environ, "CREDITBANK_PURE_PYTHON": "1"})
    assert sorted(files) == sorted(compiled.COMPILED_MODULES)
    assert all(path.endswith(".py") for path in files.values()), files


def test_a_source_changed_since_the_build_counts_as_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A manifest whose digest for one source differs names exactly that module as stale, and
    a missing manifest makes every module stale (never run code other than the source's)."""
    modules = list(compiled.COMPILED_MODULES)
    manifest = tmp_path / "compiled_sources.json"
    root = ROOT
    digests = {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in (compiled._source(module) for module in modules)
    }
    changed = compiled._source(modules[0]).relative_to(root).as_posix()
    digests[changed] = "0" * 64
    manifest.write_text(json.dumps(digests))
    monkeypatch.setattr(compiled, "_MANIFEST", manifest)
    assert compiled._stale(modules) == [modules[0]]
    monkeypatch.setattr(compiled, "_MANIFEST", tmp_path / "missing.json")
    assert compiled._stale(modules) == modules


def test_the_three_lists_of_compiled_modules_agree() -> None:
    """setup.py compiles, the Makefile rebuilds on a change to, and creditbank.compiled decides
    about the same modules: a module added to one list only would be compiled and never checked
    for staleness, or checked and never rebuilt."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    compiled_by_setup = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "COMPILED" for t in node.targets)
    )
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    line = next(text for text in makefile.splitlines() if text.startswith("COMPILED_SOURCES"))
    rebuilt_by_make = line.split(":=", 1)[1].split()
    modules = [f"{name.replace('.', '/')}.py" for name in compiled.COMPILED_MODULES]
    assert sorted(compiled_by_setup) == sorted(rebuilt_by_make) == sorted(modules)
