"""``creditbank verify-bundle``: what it says it proves, and failures a person can read."""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from creditbank.cli.main import main
from creditbank.service.bank import Bank
from schemas.learners import ArchiveBundle, ArchiveOutcome
from tests.learners.seed import NOW, seed

replace = msgspec.structs.replace
# Python's reprs of values: a date, a datetime, a Decimal, a None where a value was expected.
python_repr = re.compile(r"datetime\.|Decimal\(|\bNone\b")


@pytest.fixture
def umask() -> Iterator[None]:
    """``main`` sets a private umask for the whole process; give the old one back."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


@pytest.fixture
async def exported(bank: Bank) -> tuple[ArchiveBundle, list[str]]:
    """A learner's bundle with two outcomes (the first one expired), and the bank's keys."""
    bank.clock = lambda: NOW
    seeded = await seed(bank, [datetime.date(2020, 6, 1), datetime.date(2026, 3, 1)])
    bundle = await bank.archives.export(seeded.learner, seeded.learner_ref)
    return bundle, bank.log.verifier_keys()


def run(bundle: ArchiveBundle, vkeys: list[str], tmp_path: Path) -> int:
    path = tmp_path / "bundle.json"
    path.write_bytes(msgspec.json.encode(bundle))
    return main(["verify-bundle", str(path), *(f"--vkey={key}" for key in vkeys)])


def expired(bundle: ArchiveBundle) -> ArchiveOutcome:
    return next(o for o in bundle.archive.outcomes if o.completed_on.year == 2020)


def edited(bundle: ArchiveBundle, **changes: object) -> ArchiveBundle:
    """The bundle with the expired outcome of its archive changed."""
    target = expired(bundle).index
    outcomes = [replace(o, **changes) if o.index == target else o for o in bundle.archive.outcomes]
    return replace(bundle, archive=replace(bundle.archive, outcomes=outcomes))


async def test_a_good_bundle_is_said_to_prove_names_and_not_completeness(
    exported: tuple[ArchiveBundle, list[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    umask: None,
) -> None:
    """The report does not disown names, titles or expiry (the entries prove them); it says
    what a bundle cannot prove: that it is complete."""
    bundle, vkeys = exported
    assert run(bundle, vkeys, tmp_path) == 0
    out = capsys.readouterr().out
    assert "do not cover" not in out
    assert "names, titles and validity included" in out
    assert "no bundle can prove it is complete" in out


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        (
            {"valid_until": datetime.date(2099, 1, 1)},
            "valid_until does not match entry {index}: 2099-01-01 in the archive, "
            "{valid_until} in the entries",
        ),
        (
            {"completed_on": datetime.date(2020, 6, 2)},
            "completed_on does not match entry {index}: 2020-06-02 in the archive, "
            "2020-06-01 in the entries",
        ),
        (
            {"issuer_name": None},
            "issuer_name does not match entry {index}: none in the archive, '",
        ),
        ({"recognised_by": [7, 9]}, "recognised_by does not match entry {index}: [7, 9] in the"),
    ],
)
async def test_a_tampered_field_is_reported_without_python_reprs(
    exported: tuple[ArchiveBundle, list[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    umask: None,
    changes: dict[str, object],
    shown: str,
) -> None:
    """A changed date, a removed name or a changed list fails naming the field and the entry,
    with dates in ISO form and plain text, never ``datetime.date(2099, 1, 1)`` or ``None``."""
    bundle, vkeys = exported
    original = expired(bundle)
    assert original.valid_until is not None
    status = run(edited(bundle, **changes), vkeys, tmp_path)
    out = capsys.readouterr().out
    assert status == 1, out
    assert out.startswith(f"FAILED: archive outcome {original.index}: "), out
    expected = shown.format(index=original.index, valid_until=original.valid_until.isoformat())
    assert expected in out, out
    assert not python_repr.search(out), out
