"""Every test says what it checks: a test function without a docstring fails this test."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_every_test_function_has_a_docstring() -> None:
    """Each ``test_*`` function or method under tests/ opens with a docstring."""
    missing, seen = [], 0
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test"
            ):
                seen += 1
                if ast.get_docstring(node) is None:
                    missing.append(f"{path.relative_to(TESTS.parent)}:{node.lineno} {node.name}")
    assert seen > 300, "the walk found too few tests to be reading the suite"
    assert missing == []
