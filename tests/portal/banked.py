"""A small bank for the statistics and award pages, built before the app starts, and the app on
the same database with staff and learners signed in through the pages.

Two issuers: an enterprise whose six learners' safety training earns credits at deposit, and a
community school whose three learners' tai chi classes no standard covers (they wait in the award
queue). The community standard names the category ``community.culture`` with a cap of 2 credits
a year, so a grant naming it can pass the cap. Three learners at the school are fewer than k = 5:
their cells are hidden.
"""

from __future__ import annotations

import datetime
import decimal
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from creditbank.service.bank import Bank
from creditbank.tokens import Principal, Role
from schemas.api import IssuerRegistration
from schemas.standards import Caps
from tests.api.conftest import settings_for
from tests.factories import (
    community_standard,
    fixed_safety_standard,
    outcome_record,
    resident_id,
)

ENTERPRISE = "acme-training"
SCHOOL = "lujiazui-cs"
ADMIN = Principal(role="admin")
PASSWORD = "a long password"
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
SAFETY = fixed_safety_standard()
COMMUNITY = community_standard(Caps(per_category_per_year=decimal.Decimal("2")))


@dataclass
class Banked:
    """What the pages' tests need to know about the bank they look at."""

    waiting: list[int] = field(default_factory=list)  # entry indices of the queue, oldest first
    awarded: list[int] = field(default_factory=list)  # outcomes with an award at deposit
    codes: dict[str, str] = field(default_factory=dict)  # activation code by ID number
    signed_sizes: list[int] = field(default_factory=list)


async def _signed_size(bank: Bank) -> int:
    return int((await bank.log.checkpoint()).split("\n")[1])


async def build(bank: Bank) -> Banked:
    built = Banked()
    for issuer_id, name, kind in (
        (ENTERPRISE, "华东精密制造有限公司", "enterprise"),
        (SCHOOL, "陆家嘴社区学校", "community_school"),
    ):
        await bank.deposits.register_issuer(
            IssuerRegistration(issuer_id=issuer_id, name=name, kind=kind, district="浦东新区")  # type: ignore[arg-type]
        )
    await bank.standards.publish(SAFETY)
    await bank.standards.publish(COMMUNITY)
    officer = Principal(role="issuer", issuer_id=ENTERPRISE)
    for serial in range(1, 7):
        born = datetime.date(1960 + serial * 5, 3, 1)
        record = outcome_record(serial, learner_id=resident_id(serial, born))
        built.awarded.append((await bank.deposits.record_outcome(officer, record)).index)
    built.signed_sizes.append(await _signed_size(bank))
    school = Principal(role="issuer", issuer_id=SCHOOL)
    for serial in range(11, 14):
        record = outcome_record(
            serial,
            issuer_id=SCHOOL,
            learner_id=resident_id(serial, datetime.date(1950, 1, 1)),
            course_code="TAICHI",
            course_title="太极拳",
            outcome_type="community_course",
            hours="24.0",
            completed_on=datetime.date(2025, 3, 1 + serial - 11),
        )
        accepted = await bank.deposits.record_outcome(school, record)
        assert accepted.award is None, "no standard covers tai chi"
        built.waiting.append(accepted.index)
    numbers = [
        resident_id(11, datetime.date(1950, 1, 1)),
        resident_id(1, datetime.date(1965, 3, 1)),
    ]
    invitations, missing = await bank.accounts.invite_identifiers(
        ADMIN, [("cn_resident_id", number) for number in numbers], "admin"
    )
    assert missing == []
    built.codes = {
        number: invitation.code for number, invitation in zip(numbers, invitations, strict=True)
    }
    built.signed_sizes.append(await _signed_size(bank))
    return built


@pytest.fixture
async def banked(bank: Bank) -> Banked:
    return await build(bank)


@pytest.fixture
async def client(
    banked: Banked, database_url: str, tmp_path: Path
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The app on the bank's database, with the bank fixture's keys and pseudonym secret."""
    (tmp_path / "pseudonym.key").write_bytes(bytes(range(32)))
    app = create_app(settings_for(database_url, tmp_path), announce_admin_token=False)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


async def csrf(client: AsyncTestClient[Litestar], path: str) -> str:
    page = await client.get(path)
    found = _CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


async def sign_in_staff(
    client: AsyncTestClient[Litestar], bank: Bank, role: Role, issuer_id: str | None = None
) -> None:
    """A new staff account of ``role``; its one-time link sets the password and signs in."""
    _, link = await bank.accounts.create_staff(role, f"{role}-{secrets.token_hex(3)}", issuer_id)
    client.cookies.clear()
    token = await csrf(client, f"/password/{link}")
    done = await client.post(
        f"/password/{link}",
        data={"password": PASSWORD, "password_again": PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


async def sign_in_learner(client: AsyncTestClient[Litestar], id_number: str, code: str) -> None:
    client.cookies.clear()
    token = await csrf(client, "/activate")
    done = await client.post(
        "/activate",
        data={
            "id_type": "cn_resident_id",
            "id_number": id_number,
            "code": code,
            "password": PASSWORD,
            "password_again": PASSWORD,
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
