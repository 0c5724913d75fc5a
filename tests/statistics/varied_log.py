"""A bank whose log holds a bit of everything the statistics count, built from a seed.

Issuers of every kind (one without a district), two standards with different cap years, learners
of every age band and both sexes (and passports: no age or sex), outcomes over four years, grants
with and without a standard's caps, revocations, recognitions and a reversal. ``sizes`` are tree
sizes the log signed along the way, for counting "as of" each.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import random
from dataclasses import dataclass, field

from creditbank.errors import AlreadyRevokedError, CapExceededError, NotFoundError
from creditbank.service.bank import Bank
from creditbank.tokens import Principal
from schemas.api import IssuerRegistration
from schemas.awards import GrantRequest
from schemas.learners import RecognitionApplication
from schemas.standards import (
    Caps,
    Equivalence,
    Programme,
    Requirement,
)
from tests.factories import (
    community_standard,
    fixed_safety_standard,
    outcome_record,
    resident_id,
)

ISSUERS = (
    ("acme", "enterprise", "张江镇"),
    ("lujiazui-cs", "community_school", "陆家嘴街道"),
    ("weifang-cs", "community_school", "潍坊街道"),
    ("pudong-elderly", "elderly_university", "花木街道"),
    ("town-adult", "adult_school", None),
)
COMMUNITY = community_standard(
    Caps(per_category_per_year=decimal.Decimal("6"), year_starts="09-01"),
    outcome_types=("community_course", "elderly_course"),
)
SAFETY = fixed_safety_standard()
PROGRAMME = Programme(
    id="open-general",
    version=1,
    institution="开放大学",
    title="通识",
    effective_from=datetime.date(2020, 1, 1),
    requirements=[
        Requirement(
            id="culture",
            title="文化素养",
            credits_granted=decimal.Decimal("1"),
            satisfied_by=Equivalence(
                categories=["community.culture"], min_credits=decimal.Decimal("1")
            ),
        )
    ],
)
OUTCOME_TYPES = {
    "enterprise": ("enterprise_training", ("SAFE-1", "SAFE-2", "LEAN-1")),
    "community_school": ("community_course", ("C-ART", "C-TEA", "TAICHI")),
    "elderly_university": ("elderly_course", ("C-CAL", "PHONE")),
    "adult_school": ("community_course", ("C-ENG", "COOK")),
}
ACCREDITOR = Principal(role="accreditor")
ADMIN = Principal(role="admin")


@dataclass
class VariedLog:
    sizes: list[int] = field(default_factory=list)
    learner_refs: list[str] = field(default_factory=list)
    erasable: str = ""  # a learner with a resident ID number


async def _signed_size(bank: Bank) -> int:
    """The size of the latest signed checkpoint (its body's second line)."""
    return int((await bank.log.checkpoint()).split("\n")[1])


def _learner(serial: int, chooser: random.Random) -> tuple[str, str]:
    if serial % 7 == 0:
        return "passport", f"E{serial:08d}"
    born = datetime.date(1935, 1, 1) + datetime.timedelta(days=chooser.randrange(0, 365 * 65))
    # The serial's last digit is the sex digit (odd: male); either comes up.
    return "cn_resident_id", resident_id(serial, born)


async def build(bank: Bank, seed: int = 20261204, outcomes: int = 120) -> VariedLog:
    chooser = random.Random(seed)
    built = VariedLog()
    for issuer_id, kind, district in ISSUERS:
        await bank.deposits.register_issuer(
            IssuerRegistration(
                issuer_id=issuer_id,
                name=f"{issuer_id} 机构",
                kind=kind,  # type: ignore[arg-type]
                district=district,
            )
        )
    await bank.standards.publish(COMMUNITY)
    await bank.standards.publish(SAFETY)
    await bank.recognitions.publish_programme(PROGRAMME)
    people = [_learner(serial, chooser) for serial in range(1, 41)]
    unawarded: list[tuple[str, str]] = []
    for serial in range(1, outcomes + 1):
        issuer_id, kind, _ = chooser.choice(ISSUERS)
        outcome_type, courses = OUTCOME_TYPES[
            "community_school" if kind == "community_school" else kind
        ]
        id_type, identifier = chooser.choice(people)
        record = outcome_record(
            serial,
            issuer_id=issuer_id,
            learner_id_type=id_type,
            learner_id=identifier,
            outcome_type=outcome_type,
            course_code=chooser.choice(courses),
            hours=chooser.choice(["4.0", "8.0", "16.0", "24.0"]),
            completed_on=datetime.date(2023, 1, 1)
            + datetime.timedelta(days=chooser.randrange(0, 365 * 3 + 300)),
        )
        issuer = Principal(role="issuer", issuer_id=issuer_id)
        accepted = await bank.deposits.record_outcome(issuer, record)
        built.learner_refs.append(accepted.learner_ref)
        if accepted.award is None:
            unawarded.append((issuer_id, record.record_id))
        if id_type == "cn_resident_id" and not built.erasable:
            built.erasable = accepted.learner_ref
        if serial % 30 == 0:
            built.sizes.append(await _signed_size(bank))
    for number, (issuer_id, record_id) in enumerate(unawarded[: len(unawarded) // 2]):
        category = "community.culture" if number % 2 else "community.health"
        request = GrantRequest(
            issuer_id=issuer_id,
            record_id=record_id,
            credits=decimal.Decimal("0.5") * (1 + number % 3),
            category=category,
            basis="社区教育学分认定办法",
            reason="经评审认定",
        )
        with contextlib.suppress(CapExceededError):  # a cap may refuse: part of the mix
            await bank.awards.grant(ACCREDITOR, request)
    built.sizes.append(await _signed_size(bank))
    await _recognise_and_revoke(bank, built, chooser)
    built.sizes.append(await _signed_size(bank))
    return built


async def _recognise_and_revoke(bank: Bank, built: VariedLog, chooser: random.Random) -> None:
    application = RecognitionApplication(programme_id=PROGRAMME.id)
    granted = []
    for ref in sorted(set(built.learner_refs))[:12]:
        result = await bank.recognitions.apply(ADMIN, ref, application)
        granted += [d.index for d in result.decisions if d.index is not None]
    if granted:
        await bank.recognitions.reverse(granted[0], "复核")
    for serial in chooser.sample(range(1, len(built.learner_refs) + 1), 10):
        record_id = f"R-{serial:06d}"
        for issuer_id, _, _ in ISSUERS:
            # Not this issuer's record, or revoked already: the other issuers are tried.
            with contextlib.suppress(NotFoundError, AlreadyRevokedError):
                await bank.revocations.revoke(ADMIN, issuer_id, record_id, "录入错误")
