"""The tree reads as the architecture: layers import one way, SQL stays in storage, no cycles.

Layers, from the bottom: ``schemas`` (wire types); the pure core (``ledger``, ``rules``,
``imports``, ``learners`` and the shared vocabulary modules); ``storage`` (the only SQL);
``audit`` (verification and replay over storage); ``service`` (the desks); then ``cli``,
``api`` and ``portal`` (the web pages, which share ``api``'s desk providers) on top. These
tests read every module's imports with ``ast``, so they fail on the offending line, not on a
symptom.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("creditbank", "api", "portal", "schemas")
PURE_PACKAGES = (
    "creditbank.ledger",
    "creditbank.rules",
    "creditbank.imports",
    "creditbank.learners",
    "creditbank.statistics",
)
PURE_MODULES = (
    "creditbank.errors",
    "creditbank.limits",
    "creditbank.outcomes",
    "creditbank.passwords",
    "creditbank.people",
    "creditbank.privacy",
    "creditbank.throttle",
    "creditbank.tokens",
)
IO_LIBRARIES = {"sqlalchemy", "litestar", "asyncpg", "aiosqlite", "httpx", "uvicorn", "alembic"}
# What a module outside storage may take from SQLAlchemy: connection and engine types to pass
# along, errors to catch, URL parsing. Queries (select, text, tables) are storage's alone.
SQLALCHEMY_ALLOWED = {"sqlalchemy.ext.asyncio", "sqlalchemy.exc", "sqlalchemy.engine"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _product_modules() -> Iterator[tuple[str, Path]]:
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield _module_name(path), path


def _imports(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """Every module ``path`` imports anywhere in it (functions and TYPE_CHECKING included),
    with ``from package import name`` counted as importing ``package.name`` too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def _in(name: str, *prefixes: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def _violations(rule: str, check: Callable[[str, str], bool]) -> list[str]:
    found = []
    for module, path in _product_modules():
        for line, imported in _imports(path, module):
            if check(module, imported):
                found.append(f"{path.relative_to(ROOT)}:{line}: {module} imports {imported}")
    return sorted(set(found))


def test_sql_lives_only_in_storage() -> None:
    """Outside ``creditbank.storage`` no module imports the tables or SQLAlchemy's query API."""

    def bad(module: str, imported: str) -> bool:
        if _in(module, "creditbank.storage"):
            return False
        if _in(imported, "creditbank.storage.tables"):
            return True
        return _in(imported, "sqlalchemy") and not _in(imported, *SQLALCHEMY_ALLOWED)

    assert _violations("sql", bad) == []


def test_http_never_reaches_storage() -> None:
    """The HTTP layer (API and pages) talks to desks; every read comes through the service."""

    def bad(module: str, imported: str) -> bool:
        return _in(module, "api", "portal") and _in(imported, "creditbank.storage")

    assert _violations("http", bad) == []


@pytest.mark.parametrize(
    ("lower", "upper"),
    [
        ("schemas", "creditbank"),
        ("schemas", "api"),
        ("creditbank", "api"),
        ("creditbank", "portal"),
        ("schemas", "portal"),
        ("creditbank.storage", "creditbank.service"),
        ("creditbank.storage", "creditbank.audit"),
        ("creditbank.storage", "creditbank.cli"),
        ("creditbank.audit", "creditbank.service"),
        ("creditbank.audit", "creditbank.cli"),
        ("creditbank.service", "creditbank.cli"),
        *[(pure, "creditbank.storage") for pure in (*PURE_PACKAGES, *PURE_MODULES)],
        *[(pure, "creditbank.service") for pure in (*PURE_PACKAGES, *PURE_MODULES)],
        *[(pure, "creditbank.audit") for pure in (*PURE_PACKAGES, *PURE_MODULES)],
    ],
)
def test_layers_import_downwards_only(lower: str, upper: str) -> None:
    """A lower layer never imports a higher one (the list is the dependency direction)."""
    assert _violations("layer", lambda m, i: _in(m, lower) and _in(i, upper)) == []


def test_desks_receive_the_write_context_not_the_bank() -> None:
    """Only the composition root (and what serves it: api, cli) knows ``Bank``; a desk that
    imported it could reach every other desk through it, as the old cycle did."""

    def bad(module: str, imported: str) -> bool:
        allowed = _in(module, "api", "portal", "creditbank.cli", "creditbank.service.deployment")
        return (
            _in(imported, "creditbank.service.bank")
            and module != "creditbank.service.bank"
            and not allowed
        )

    assert _violations("bank", bad) == []


def test_only_the_write_context_opens_a_log_transaction() -> None:
    """``log_transaction`` is called by the write context alone, so its writes-disabled check
    cannot be skipped by a desk."""
    callers = []
    for module, path in _product_modules():
        if _in(module, "creditbank.storage") or module == "creditbank.service.context":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name | ast.Attribute):
                name = node.id if isinstance(node, ast.Name) else node.attr
                if name == "log_transaction":
                    callers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert callers == []


def test_no_import_cycles() -> None:
    """The module graph (every import, lazy or for type checking alone) has no cycle."""
    modules = dict(_product_modules())
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for _, imported in _imports(path, name):
            if imported in modules and imported != name and not name.startswith(imported + "."):
                graph[name].add(imported)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the stack, 2: done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert cycles == []


def test_pure_packages_import_no_io_library() -> None:
    """Importing the pure core (ledger, rules, imports, learners and the vocabulary modules)
    loads no database driver, ORM, web framework or HTTP client."""
    probe = (
        "import importlib, sys\n"
        f"for name in {[*PURE_PACKAGES, *PURE_MODULES]!r}:\n"
        "    importlib.import_module(name)\n"
        "    for sub in __import__('pkgutil').walk_packages(\n"
        "        getattr(sys.modules[name], '__path__', []), name + '.'):\n"
        "        importlib.import_module(sub.name)\n"
        "roots = {m.split('.')[0] for m in sys.modules}\n"
        f"bad = sorted(roots & set({sorted(IO_LIBRARIES)!r}))\n"
        "print(','.join(bad)); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert result.returncode == 0, f"impure imports: {result.stdout}{result.stderr}"
