"""Offline verification of an exported archive bundle: a good one passes, any lie fails loudly."""

from __future__ import annotations

import base64
import datetime
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditbank.audit.bundle import verify_bundle
from creditbank.audit.verification import VerificationError
from creditbank.cli.main import main
from creditbank.ledger.checkpoint import parse_checkpoint_body, sign_checkpoint
from creditbank.ledger.entries import open_entry
from creditbank.ledger.note import SignerKey, VerifierKey
from creditbank.service.bank import Bank
from creditbank.service.context import Clock
from creditbank.tokens import Principal
from schemas.entries import ProgrammePublished, StandardPublished
from schemas.learners import ArchiveBundle, BundleEntry, RecognitionApplication
from tests.conftest import ORIGIN
from tests.factories import outcome_record, resident_id
from tests.learners.seed import ISSUER_ID, NOW, PROGRAMME, seed

# The first outcome is past its standard's three years on NOW; the second is revoked.
DAYS = [datetime.date(2020, 6, 1), *(datetime.date(2026, month, 1) for month in (3, 4, 5))]

replace = msgspec.structs.replace


@pytest.fixture
def clock() -> Clock:
    """The seeded outcomes and programme are dated for this module's fixed day."""
    return lambda: NOW


@dataclass
class Exported:
    bundle: ArchiveBundle
    trusted: list[VerifierKey]
    outcomes: list[int]  # the learner's outcome.recorded entries, oldest first
    revocation: int  # the outcome.revoked of outcomes[1]
    grants: list[int]  # the recognition.granted entries, both reversed by the revocation
    reversals: list[int]
    issuer: Principal
    admin: Principal


@pytest.fixture
async def exported(bank: Bank) -> Exported:
    """Four outcomes (one expired), two recognitions, then an outcome they used revoked."""
    seeded = await seed(bank, DAYS)
    applied = await bank.recognitions.apply(
        seeded.learner, seeded.learner_ref, RecognitionApplication(programme_id=PROGRAMME.id)
    )
    revoked = await bank.revocations.revoke(seeded.issuer, ISSUER_ID, "R-000002", "录入错误")
    bundle = await bank.archives.export(seeded.learner, seeded.learner_ref)
    return Exported(
        bundle=bundle,
        trusted=[VerifierKey.parse(text) for text in bank.log.verifier_keys()],
        outcomes=seeded.indices,
        revocation=revoked.index,
        grants=[decision.index for decision in applied.decisions if decision.index is not None],
        reversals=revoked.reversed_recognitions,
        issuer=seeded.issuer,
        admin=seeded.admin,
    )


def encode(bundle: ArchiveBundle) -> bytes:
    return msgspec.json.encode(bundle)


def fails(bundle: ArchiveBundle, trusted: list[VerifierKey] | None, pattern: str) -> None:
    with pytest.raises(VerificationError, match=pattern):
        verify_bundle(encode(bundle), trusted)


def with_entries(
    bundle: ArchiveBundle, change: Callable[[BundleEntry], BundleEntry | None]
) -> ArchiveBundle:
    kept = [changed for item in bundle.entries if (changed := change(item)) is not None]
    return replace(bundle, entries=kept)


def without(bundle: ArchiveBundle, index: int) -> ArchiveBundle:
    return with_entries(bundle, lambda item: None if item.index == index else item)


async def test_good_bundle_verifies_pinned_and_self_consistent(exported: Exported) -> None:
    """An exported bundle verifies against the pinned keys and, flagged as trusting its own keys,
    without them; all 12 entries are checked and the tree size matches archive and checkpoint."""
    bundle = exported.bundle
    assert len(exported.grants) == len(exported.reversals) == 2
    pinned = verify_bundle(encode(bundle), exported.trusted)
    assert not pinned.keys_from_bundle
    # 4 outcomes, a revocation, 2 grants, 2 reversals; the issuer, standard and programme.
    assert pinned.entries_checked == len(bundle.entries) == 4 + 1 + 2 + 2 + 3
    assert pinned.tree_size == bundle.archive.tree_size == pinned.checkpoint.size
    assert pinned.archive == bundle.archive
    own = verify_bundle(encode(bundle), None)
    assert own.keys_from_bundle
    assert own.entries_checked == pinned.entries_checked


async def test_any_changed_byte_of_any_entry_fails_naming_it(exported: Exported) -> None:
    """Changing any byte of any entry's body makes verification fail with an inclusion-proof error
    that names that entry."""
    bundle, trusted = exported.bundle, exported.trusted

    @settings(
        max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(st.data())
    def changed_byte(data: st.DataObject) -> None:
        item = data.draw(st.sampled_from(bundle.entries))
        body = bytearray(base64.b64decode(item.body))
        position = data.draw(st.integers(0, len(body) - 1))
        body[position] ^= data.draw(st.integers(1, 255))
        tampered = replace(item, body=base64.b64encode(body).decode())
        fails(
            with_entries(bundle, lambda other: tampered if other.index == item.index else other),
            trusted,
            f"^entry {item.index}: inclusion proof does not verify against the checkpoint",
        )

    changed_byte()


async def test_wrong_proof_fails_naming_its_entry(exported: Exported) -> None:
    """An outcome whose first proof hash is flipped, whose proof is one hash short, or whose index
    is moved fails verification with an inclusion-proof error naming the entry's claimed index."""
    bundle, trusted = exported.bundle, exported.trusted
    target = exported.outcomes[1]

    def flipped(item: BundleEntry) -> BundleEntry:
        if item.index != target:
            return item
        first = bytearray(base64.b64decode(item.proof[0]))
        first[0] ^= 1
        return replace(item, proof=[base64.b64encode(first).decode(), *item.proof[1:]])

    fails(with_entries(bundle, flipped), trusted, f"^entry {target}: inclusion proof")
    shorter = with_entries(
        bundle, lambda item: replace(item, proof=item.proof[:-1]) if item.index == target else item
    )
    fails(shorter, trusted, f"^entry {target}: inclusion proof does not verify.*shorter")
    moved = with_entries(
        bundle, lambda item: replace(item, index=item.index + 1) if item.index == target else item
    )
    fails(moved, trusted, f"^entry {target + 1}: inclusion proof")


async def test_checkpoint_signed_by_another_key_fails_when_pinned(exported: Exported) -> None:
    """A checkpoint re-signed by an impostor key shipped in the bundle fails against the pinned
    keys; trusting the bundle's own keys it verifies, and only keys_from_bundle tells."""
    bundle = exported.bundle
    impostor = SignerKey.generate(ORIGIN)
    body = parse_checkpoint_body(bundle.checkpoint.split("\n\n")[0] + "\n")
    forged = replace(
        bundle,
        checkpoint=sign_checkpoint(body, [impostor]),
        verifier_keys=[impostor.verifier_key()],
    )
    fails(forged, exported.trusted, "^the checkpoint does not verify: no signature from a known")
    # Trusting the bundle's own keys, the forgery is self-consistent: only the flag tells.
    assert verify_bundle(encode(forged), None).keys_from_bundle


async def test_archive_that_disagrees_with_its_entries_fails(exported: Exported) -> None:
    """Each edit of the archive view (an outcome's award, hours, title, status, revocation, validity
    or issuer; recognised_by; totals; a dropped outcome; a recognition's credits; the tree size)
    fails verification with a message naming what disagrees."""
    bundle, trusted = exported.bundle, exported.trusted
    archive = bundle.archive
    expired, revoked, second = exported.outcomes[:3]

    def edit_outcome(index: int, **changes: object) -> ArchiveBundle:
        outcomes = [replace(o, **changes) if o.index == index else o for o in archive.outcomes]
        return replace(bundle, archive=replace(archive, outcomes=outcomes))

    award = next(o.award for o in archive.outcomes if o.index == second)
    assert award is not None
    more = replace(award, credits="5.00")
    cases: list[tuple[ArchiveBundle, str]] = [
        (edit_outcome(second, award=more), f"^archive outcome {second}: award does not match"),
        (edit_outcome(second, hours="32.0"), f"^archive outcome {second}: hours .*'32.0'"),
        (edit_outcome(second, course_title="伪造"), f"^archive outcome {second}: course_title"),
        (edit_outcome(revoked, revoked=None, status="valid"), f"^entry {exported.revocation}: "),
        (edit_outcome(expired, status="valid"), f"^archive outcome {expired}: status does not"),
        # Validity is proved by the standard's own entry: a longer one is caught.
        (
            edit_outcome(expired, valid_until=datetime.date(2099, 1, 1)),
            f"^archive outcome {expired}: valid_until does not match",
        ),
        (edit_outcome(expired, issuer_name="别的公司"), f"^archive outcome {expired}: issuer_name"),
        (
            replace(bundle, archive=replace(archive, valid_credits=archive.credits)),
            "^the archive's overall credit totals are not those of its outcomes",
        ),
        (edit_outcome(second, recognised_by=[exported.grants[0]]), "recognised_by"),
        (
            replace(bundle, archive=replace(archive, credits="9.00")),
            "overall credit totals are not those of its outcomes",
        ),
        (
            replace(bundle, archive=replace(archive, by_category=[])),
            "category credit totals",
        ),
        (
            replace(
                bundle,
                archive=replace(
                    archive,
                    outcomes=[o for o in archive.outcomes if o.index != second],
                    outcomes_total=len(archive.outcomes) - 1,
                ),
            ),
            f"^entry {second}: this learner's outcome.recorded, which the archive does not show",
        ),
        (
            replace(
                bundle,
                archive=replace(
                    archive,
                    recognitions=[
                        replace(r, credits_granted="3.00") if r.index == exported.grants[0] else r
                        for r in archive.recognitions
                    ],
                ),
            ),
            f"^archive recognition {exported.grants[0]}: credits_granted",
        ),
        (replace(bundle, archive=replace(archive, tree_size=1)), "tree size 1"),
    ]
    for case, pattern in cases:
        fails(case, trusted, pattern)


async def test_entry_the_archive_needs_missing_fails(exported: Exported) -> None:
    """Leaving out of the bundle a recognised outcome, a shown outcome, the revocation, a reversal,
    or the standard's or programme's publication fails verification naming what is missing."""
    bundle, trusted = exported.bundle, exported.trusted
    revoked = exported.outcomes[1]
    fails(
        without(bundle, revoked),
        trusted,
        f"^entry {exported.grants[0]}: recognises outcome {revoked}, which is not an outcome",
    )
    fails(
        without(bundle, exported.outcomes[3]),
        trusted,
        f"^archive outcome {exported.outcomes[3]}: its outcome.recorded entry is not in the bundle",
    )
    fails(
        without(bundle, exported.revocation),
        trusted,
        f"^archive outcome {revoked} is shown revoked by entry "
        f"{exported.revocation}, which is not such an entry",
    )
    fails(
        without(bundle, exported.reversals[0]),
        trusted,
        f"^archive recognition {exported.grants[0]} is shown reversed",
    )
    kinds = {item.index: open_entry(base64.b64decode(item.body)) for item in bundle.entries}
    standard = next(i for i, e in kinds.items() if isinstance(e, StandardPublished))
    fails(without(bundle, standard), trusted, "the publication of standard safety@1 is not in")
    programme = next(i for i, e in kinds.items() if isinstance(e, ProgrammePublished))
    fails(without(bundle, programme), trusted, "the publication of programme sou-mechatronics@1")


async def test_entry_of_another_learner_fails(bank: Bank, exported: Exported) -> None:
    """An entry spliced in from another learner's export makes the bundle fail as being about
    another learner."""
    other = await bank.deposits.record_outcome(
        exported.issuer, outcome_record(9, learner_id=resident_id(2), completed_on=DAYS[1])
    )
    admin_view = await bank.archives.export(exported.admin, other.learner_ref)
    mine = await bank.archives.export(exported.admin, exported.bundle.archive.learner_ref)
    stranger = next(item for item in admin_view.entries if item.index == other.index)
    spliced = replace(mine, entries=[*mine.entries, stranger])
    fails(spliced, exported.trusted, f"^entry {other.index}: is about another learner")


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        (b"{not json", "^the file is not a JSON object"),
        (b"[]", "^the file is not a JSON object"),
        (b'{"format": "something-else"}', "^the file is not a creditbank-archive-bundle/v1"),
        (b'{"format": "creditbank-archive-bundle/v1"}', "^the bundle is malformed"),
    ],
)
def test_not_a_bundle(data: bytes, pattern: str) -> None:
    """Bytes that are not JSON, a JSON array, another format, or a bundle without its fields are
    refused with a message saying which."""
    with pytest.raises(VerificationError, match=pattern):
        verify_bundle(data, None)


@pytest.fixture
def umask() -> Iterator[None]:
    """``main`` sets a private umask for the whole process; give the old one back."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


async def test_command_prints_the_archive_and_exits_by_the_outcome(
    exported: Exported, tmp_path: Path, capsys: pytest.CaptureFixture[str], umask: None
) -> None:
    """``verify-bundle`` prints the archive and a verified line and exits 0 (warning without
    --vkey), exits 1 with FAILED naming a tampered entry, and exits 2 for a missing file."""
    bundle = exported.bundle
    path = tmp_path / "archive.json"
    path.write_bytes(encode(bundle))
    vkeys = [argument for key in exported.trusted for argument in ("--vkey", key.text)]

    assert main(["verify-bundle", str(path), *vkeys]) == 0
    out = capsys.readouterr().out
    assert f"archive of learner {bundle.archive.learner_ref}" in out
    assert re.search(rf"#{exported.outcomes[2]}  2026-04-01  .*16.0 h  .*1.00 credits", out)
    assert re.search(rf"#{exported.outcomes[0]}  2020-06-01  .*  expired \(until 2023-", out)
    assert f"revoked at entry {exported.revocation}: 录入错误" in out
    assert "vocational.safety: 3.00 (valid 2.00), 3 outcomes" in out
    assert "requirement safety-intro 安全生产概论" in out
    assert f"reversed at entry {exported.reversals[0]} (outcome_revoked)" in out
    assert out.splitlines()[-1] == (
        f"verified: {len(bundle.entries)} entries against checkpoint of size "
        f"{bundle.archive.tree_size}"
    )

    assert main(["verify-bundle", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("warning: no --vkey given")

    target = exported.outcomes[2]
    path.write_bytes(encode(replace_body(bundle, target)))
    assert main(["verify-bundle", str(path), *vkeys]) == 1
    assert capsys.readouterr().out.startswith(f"FAILED: entry {target}: inclusion proof")

    assert main(["verify-bundle", str(tmp_path / "missing.json")]) == 2
    assert "not_found" in capsys.readouterr().err


def replace_body(bundle: ArchiveBundle, index: int) -> ArchiveBundle:
    def changed(item: BundleEntry) -> BundleEntry:
        if item.index != index:
            return item
        body = base64.b64decode(item.body).replace(b'"16.0"', b'"160.0"')
        return replace(item, body=base64.b64encode(body).decode())

    return with_entries(bundle, changed)
