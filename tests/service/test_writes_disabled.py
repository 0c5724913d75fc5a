"""Every write the bank offers is refused while writes are disabled, and the log stays as it was.

A failed start-up check (a tampered head, a lost key) disables writes. The refusal belongs to the
write context, through which every desk opens its log transaction, so no desk can forget it. Each
case seeds a healthy bank where its write would succeed, disables writes as the start-up check
does, and shows the write refused with ``writes_disabled`` and nothing appended; then it enables
writes again and shows the same call succeeding, so the refusal was the flag's and not the
arguments'.
"""

from __future__ import annotations

import ast
import datetime
import decimal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import msgspec
import pytest

from creditbank.errors import WritesDisabledError
from creditbank.service.bank import Bank
from creditbank.service.context import Clock
from creditbank.service.imports.pipeline import ImportOptions
from creditbank.storage import reads
from creditbank.tokens import Principal
from schemas.awards import GrantRequest
from schemas.learners import CorrectionRequest, RecognitionApplication
from tests.factories import issuer_registration, outcome_record, resident_id
from tests.imports.files import csv_bytes, row
from tests.learners.seed import ISSUER_ID, NOW, PROGRAMME, SAFETY, Seeded, seed

DAYS = [datetime.date(2026, 3, 1), datetime.date(2026, 4, 1), datetime.date(2026, 5, 1)]
APPLY = RecognitionApplication(programme_id=PROGRAMME.id)
SAFETY_2 = msgspec.structs.replace(SAFETY, version=2, precedence=1)
FIRE_DRILL = msgspec.structs.replace(
    SAFETY,
    id="fire-drill",
    applies_to=msgspec.structs.replace(SAFETY.applies_to, course_codes=["FIRE-*"]),
)

Write = Callable[[], Awaitable[object]]


@pytest.fixture
def clock() -> Clock:
    """The seeded outcomes and programme are dated for this module's fixed day."""
    return lambda: NOW


async def _size(bank: Bank) -> int:
    async with bank.engine.connect() as connection:
        return (await reads.log_head(connection)).tree_size


def _writes(bank: Bank, seeded: Seeded, recognition: int, tmp_path: Path) -> dict[str, Write]:
    """Each write of the service, with arguments it accepts on the seeded, writable log."""
    import_file = tmp_path / "outcomes.csv"
    import_file.write_bytes(csv_bytes([row(serial) for serial in range(100, 103)]))
    options = ImportOptions(issuer_id=ISSUER_ID, file_format="csv")
    correction = CorrectionRequest(
        reason="录入错误", outcome=outcome_record(900, learner_id=resident_id(1))
    )

    async def upload() -> object:
        async def body() -> AsyncIterator[bytes]:
            yield import_file.read_bytes()

        status = await bank.imports.upload(seeded.issuer, options, body())
        await bank.imports.wait()
        return status

    deposits, standards = bank.deposits, bank.standards
    recognitions, revocations = bank.recognitions, bank.revocations
    return {
        "register_issuer": lambda: deposits.register_issuer(issuer_registration("other-school")),
        "record_outcome": lambda: deposits.record_outcome(seeded.issuer, outcome_record(77)),
        "publish_standard": lambda: standards.publish(FIRE_DRILL),
        "publish_draft": lambda: standards.publish_draft(SAFETY_2.id, SAFETY_2.version),
        "retire_standard": lambda: standards.retire(SAFETY.id, SAFETY.version, "superseded"),
        "publish_programme": lambda: recognitions.publish_programme(
            msgspec.structs.replace(PROGRAMME, version=2)
        ),
        "import_local_file": lambda: bank.imports.run_local(options, import_file),
        "upload_import": upload,
        "apply_for_recognition": lambda: recognitions.apply(
            seeded.admin, seeded.learner_ref, msgspec.structs.replace(APPLY, requirement_ids=[])
        ),
        "reverse_recognition": lambda: recognitions.reverse(recognition, "再来一次"),
        "revoke_outcome": lambda: revocations.revoke(
            seeded.issuer, ISSUER_ID, "R-000003", "录入错误"
        ),
        "correct_outcome": lambda: revocations.correct(
            seeded.issuer, ISSUER_ID, "R-000002", correction
        ),
        "grant_award": lambda: bank.awards.grant(
            Principal(role="accreditor"),
            GrantRequest(
                issuer_id=ISSUER_ID,
                record_id="R-000088",
                credits=decimal.Decimal("1"),
                category="community.culture",
                basis="认定办法",
                reason="复核",
            ),
        ),
    }


WRITES = [
    "register_issuer",
    "record_outcome",
    "publish_standard",
    "publish_draft",
    "retire_standard",
    "publish_programme",
    "import_local_file",
    "upload_import",
    "apply_for_recognition",
    "reverse_recognition",
    "revoke_outcome",
    "correct_outcome",
    "grant_award",
]


@pytest.mark.parametrize("write", WRITES)
async def test_every_write_is_refused_while_writes_are_disabled(
    bank: Bank, tmp_path: Path, write: str
) -> None:
    """The write raises WritesDisabledError and appends nothing; with writes enabled again
    the very same call appends, so it was the flag that refused it."""
    seeded = await seed(bank, DAYS)
    granted = await bank.recognitions.apply(
        seeded.learner,
        seeded.learner_ref,
        msgspec.structs.replace(APPLY, requirement_ids=["safety-intro"]),
    )
    recognition = granted.decisions[0].index
    assert recognition is not None
    await bank.standards.create_draft(SAFETY_2)
    # An outcome no standard covers, for the grant to have something to grant credits to.
    await bank.deposits.record_outcome(seeded.issuer, outcome_record(88, course_code="TAICHI-1"))
    writes = _writes(bank, seeded, recognition, tmp_path)
    before = await _size(bank)

    bank.context.disable_writes("the head does not verify (test)")
    with pytest.raises(WritesDisabledError, match="the head does not verify"):
        await writes[write]()
    assert await _size(bank) == before

    bank.context.enable_writes()
    await writes[write]()
    assert await _size(bank) > before


# The desk methods that open a log transaction, and the case above that exercises each.
TRANSACTIONS = {
    ("DepositDesk", "register_issuer"): "register_issuer",
    ("DepositDesk", "record_outcome"): "record_outcome",
    ("StandardsDesk", "publish"): "publish_standard",
    ("StandardsDesk", "publish_draft"): "publish_draft",
    ("StandardsDesk", "retire"): "retire_standard",
    ("RecognitionDesk", "publish_programme"): "publish_programme",
    ("RecognitionDesk", "apply"): "apply_for_recognition",
    ("RecognitionDesk", "reverse"): "reverse_recognition",
    ("RevocationDesk", "revoke"): "revoke_outcome",
    ("RevocationDesk", "correct"): "correct_outcome",
    ("AwardDesk", "grant"): "grant_award",
    ("ImportDesk", "_classify"): "import_local_file",  # and upload_import, through _run
    ("ImportDesk", "_staged"): "import_local_file",  # the same imports, placed under the lock
}


# A desk writes to the log through its own transaction or through the group commit.
_OPENS_A_WRITE = ("transaction", "grouped", "grouped_batch")


def _methods_opening_transactions() -> set[tuple[str, str]]:
    found = set()
    service = Path(__file__).resolve().parents[2] / "creditbank" / "service"
    for path in service.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            for method in node.body:
                if isinstance(method, ast.AsyncFunctionDef | ast.FunctionDef) and any(
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr in _OPENS_A_WRITE
                    for call in ast.walk(method)
                ):
                    found.add((node.name, method.name))
    return found


def test_every_desk_method_that_opens_a_transaction_is_exercised() -> None:
    """A new desk write (a method calling ``transaction()`` or ``grouped()``) fails here until
    it is added to the cases above, so the writes-disabled test keeps covering every write."""
    assert _methods_opening_transactions() == set(TRANSACTIONS)
    assert set(TRANSACTIONS.values()) <= set(WRITES)
