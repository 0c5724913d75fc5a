"""A stateful test of deposits, recognition, revocation and reversal against a plain model.

Hypothesis drives a real ``Bank`` (on SQLite and on PostgreSQL, a fresh database per example)
through deposits, grants by accreditation staff, applications, revocations and reversals in
random order, while a model in
plain Python keeps what should have happened: each outcome's credits (16 h = 1.00, rounded down
to 0.50, or what a grant gave an outcome no standard covered), completion date and revocation,
each recognition's requirement, outcomes and reversal.
After every step the bank's totals, archives, read tables and log replay must agree with it.
The model is in ``stateful_model.py`` and the machine that drives the bank in
``stateful_machine.py``; this module runs the machine on each backend.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from tests.conftest import REQUIRE_PG, Templates, fresh_database
from tests.learners.stateful_machine import LedgerMachine

LedgerMachine.TestCase.settings = settings(max_examples=15, stateful_step_count=15, deadline=None)


def test_ledger_agrees_with_the_model(backend: str, templates: Templates, tmp_path: Path) -> None:
    """Hypothesis runs random deposits, applications, revocations and reversals on a fresh database
    of this backend per example; after every step the bank's totals, archives, read tables and
    log replay agree with the model."""
    if backend == "postgresql" and templates.pg_template is None:
        if REQUIRE_PG:
            pytest.fail(f"CREDITBANK_REQUIRE_PG=1 but {templates.pg_error}")
        pytest.skip(templates.pg_error or "PostgreSQL unavailable")

    class OnFreshDatabases(LedgerMachine):
        def __init__(self) -> None:
            super().__init__(lambda: fresh_database(backend, templates, tmp_path), tmp_path)

    run_state_machine_as_test(OnFreshDatabases, settings=LedgerMachine.TestCase.settings)
