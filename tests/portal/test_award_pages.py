"""The award queue and the grant form over HTTP on both databases: who may open them, the
queue's filters and pages, a grant that reaches the learner's archive, and every refusal (a
field, a cap, a second grant, a form without its CSRF token) shown in the reader's words."""

from __future__ import annotations

import html

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from creditbank.service.bank import Bank
from portal.pages import awards as award_pages
from tests.portal.banked import (
    ENTERPRISE,
    SCHOOL,
    Banked,
    banked,
    client,
    csrf,
    sign_in_learner,
    sign_in_staff,
)

__all__ = ["banked", "client"]  # the fixtures, used by name

GRANT = {
    "credits": "1.5",
    "category": "community.culture",
    "standard": "",
    "basis": "社区教育学分认定办法",
    "reason": "经评审，太极拳课程出勤良好",
}


async def _grant(
    client: AsyncTestClient[Litestar], index: int, **changes: str
) -> tuple[int, str, str]:
    token = await csrf(client, f"/awards/{index}")
    response = await client.post(
        f"/awards/{index}",
        data={**GRANT, **changes, "_csrf_token": token},
        follow_redirects=False,
    )
    return response.status_code, response.headers.get("location", ""), response.text


async def test_only_accreditors_and_admins_open_the_queue(
    client: AsyncTestClient[Litestar], bank: Bank, banked: Banked
) -> None:
    """Signed out: sign in first. A learner, an issuer officer and an auditor: 404 for the queue
    and an outcome's form. An accreditor and an admin: both, and the queue in the navigation."""
    paths = ("/awards", f"/awards/{banked.waiting[0]}")
    signed_out = await client.get("/awards", follow_redirects=False)
    assert signed_out.status_code in (302, 303, 307)
    assert signed_out.headers["location"] == "/signin?next=/awards"
    learner = next(iter(banked.codes))
    await sign_in_learner(client, learner, banked.codes[learner])
    for path in paths:
        assert (await client.get(path)).status_code == 404, path
    for role, issuer in (("issuer", ENTERPRISE), ("auditor", None)):
        await sign_in_staff(client, bank, role, issuer)  # type: ignore[arg-type]
        for path in paths:
            response = await client.get(path)
            assert response.status_code == 404, (role, path)
            assert "not_found" in response.text
    for role in ("accreditor", "admin"):
        await sign_in_staff(client, bank, role)  # type: ignore[arg-type]
        assert 'href="/awards"' in (await client.get("/")).text
        for path in paths:
            assert (await client.get(path)).status_code == 200, (role, path)


async def test_the_queue_lists_waiting_records_filtered_and_paged(
    client: AsyncTestClient[Litestar], bank: Bank, banked: Banked, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every record without credits is listed with its course, issuer, type, hours, result and
    dates and a link to decide it; filters narrow the list; pages carry the filters."""
    await sign_in_staff(client, bank, "accreditor")
    response = await client.get("/awards")
    assert response.status_code == 200
    assert "待认定记录：3 条" in response.text
    for index in banked.waiting:
        assert f'href="/awards/{index}"' in response.text
    for index in banked.awarded:
        assert f'href="/awards/{index}"' not in response.text, "awarded at deposit"
    assert "太极拳" in response.text
    assert "陆家嘴社区学校" in response.text
    assert "社区教育课程" in response.text
    assert "24.0" in response.text
    assert "2025年3月1日" in response.text
    none = await client.get(f"/awards?issuer={ENTERPRISE}")
    assert "待认定记录：0 条" in none.text
    by_course = await client.get(
        f"/awards?issuer={SCHOOL}&outcome_type=community_course&course=TAICHI"
    )
    assert "待认定记录：3 条" in by_course.text
    assert "待认定记录：0 条" in (await client.get("/awards?course=NOPE")).text
    monkeypatch.setattr(award_pages, "queue_page_size", 2)
    first = await client.get(f"/awards?issuer={SCHOOL}")
    assert f'href="/awards/{banked.waiting[2]}"' not in first.text
    assert html.escape(f"/awards?issuer={SCHOOL}&outcome_type=&course=&page=2") in first.text
    second = await client.get(f"/awards?issuer={SCHOOL}&page=2")
    assert f'href="/awards/{banked.waiting[2]}"' in second.text
    assert "第 2 页，共 2 页" in second.text


async def test_a_grant_reaches_the_learners_archive(
    client: AsyncTestClient[Litestar], bank: Bank, banked: Banked
) -> None:
    """The form shows the record; a grant is a 303 back to the queue with the entry's number,
    the record leaves the queue, and the learner sees the credits, the basis, the reason and the
    decision's checked receipt; the archive's totals count them."""
    await sign_in_staff(client, bank, "accreditor")
    index = banked.waiting[0]
    form = await client.get(f"/awards/{index}")
    assert "太极拳" in form.text
    assert "R-000011" in form.text
    assert '<datalist id="categories"><option value="community.culture">' in form.text
    assert '<option value="community@1">community@1 — 社区教育课程' in form.text
    status, location, _ = await _grant(client, index)
    assert status == 303
    assert location.startswith("/awards?granted=")
    granted = int(location.rpartition("=")[2])
    queue = await client.get(location)
    assert f"认定结果为日志第 {granted} 条" in queue.text
    assert f'href="/awards/{index}"' not in queue.text
    assert "待认定记录：2 条" in queue.text
    assert (await client.get(f"/awards/{index}")).status_code == 404, "no longer waiting"

    learner = next(number for number in banked.codes if number.startswith("110105195"))
    await sign_in_learner(client, learner, banked.codes[learner])
    archive = await client.get("/archive")
    assert "1.50" in archive.text
    assert "经认定" in archive.text
    assert "学分<strong>1.50</strong>" in archive.text, "the totals count the grant"
    assert "community.culture" in archive.text, "the category's total"
    record = await client.get(f"/archive/outcomes/{index}")
    assert record.status_code == 200
    assert "由学分认定人员" in record.text
    assert "社区教育学分认定办法" in record.text
    assert "经评审，太极拳课程出勤良好" in record.text
    assert f"认定结果为日志第 {granted} 条" in record.text
    assert f"第 {granted} 条" in record.text
    assert 'id="grant-receipt"' in record.text


async def test_a_grant_over_the_cap_names_the_cap_and_what_fits(
    client: AsyncTestClient[Litestar], bank: Bank, banked: Banked
) -> None:
    """Three credits under a standard capping the category at two a year: refused beside the
    credits, naming the standard, the cap and the 2.00 that fit; nothing is granted."""
    await sign_in_staff(client, bank, "admin")
    index = banked.waiting[1]
    status, _, text = await _grant(client, index, credits="3", standard="community@1")
    assert status == 409
    assert 'id="e-credits"' in text
    assert "超过了标准 community@1 的上限（同类学分每年上限）：最多还能认定 2.00 学分" in text
    assert 'value="3"' in text, "the form keeps what was typed"
    english = await client.post(
        f"/awards/{index}",
        data={**GRANT, "credits": "3", "_csrf_token": await csrf(client, f"/awards/{index}")},
        headers={"Accept-Language": "en"},
    )
    assert "Over the cap of community@1 (the most in this category in a year)" in english.text
    assert (await client.get(f"/awards/{index}")).status_code == 200, "still waiting"


async def test_granting_twice_is_refused(
    client: AsyncTestClient[Litestar], bank: Bank, banked: Banked
) -> None:
    """The second grant for a record is refused with a plain message, and the first stands."""
    await sign_in_staff(client, bank, "accreditor")
    index = banked.waiting[2]
    token = await csrf(client, f"/awards/{index}")
    first = await client.post(
        f"/awards/{index}", data={**GRANT, "_csrf_token": token}, follow_redirects=False
    )
    assert first.status_code == 303
    second = await client.post(
        f"/awards/{index}", data={**GRANT, "_csrf_token": token}, follow_redirects=False
    )
    assert second.status_code == 409
    assert "这条记录已经有学分了" in second.text
    deposit_awarded = await client.post(
        f"/awards/{banked.awarded[0]}", data={**GRANT, "_csrf_token": token}
    )
    assert deposit_awarded.status_code == 409, "awarded by a standard at deposit"


async def test_problems_are_shown_beside_their_fields(
    client: AsyncTestClient[Litestar], bank: Bank, banked: Banked
) -> None:
    """Empty fields, too many decimals, a malformed category, a category other than the named
    standard's, an unknown standard: each beside its own field, all at once."""
    await sign_in_staff(client, bank, "accreditor")
    index = banked.waiting[0]
    status, _, text = await _grant(client, index, credits="", category="", basis="", reason="")
    assert status == 400
    for name in ("credits", "category", "basis", "reason"):
        assert f'id="e-{name}"' in text, name
        assert f'id="f-{name}"' in text
    assert 'id="problems"' in text
    _, _, decimals = await _grant(client, index, credits="1.255", category="Community Culture")
    assert "最多保留两位小数" in decimals
    assert "用小写英文字母" in decimals
    _, _, mismatch = await _grant(client, index, standard="safety@1")
    assert "标准 safety@1 对应的学分类别是 vocational.safety" in mismatch
    _, _, unknown = await _grant(client, index, standard="nothing@9")
    assert 'id="e-standard"' in unknown
    _, _, negative = await _grant(client, index, credits="-1")
    assert "学分须大于 0" in negative
    for odd in ("1e30", "1.0000000000000000000000000001", "sNaN"):  # past decimal's 28 digits
        status, _, text = await _grant(client, index, credits=odd)
        assert status == 400, odd
        assert 'id="e-credits"' in text, odd
    assert (await client.get(f"/awards/{index}")).status_code == 200, "nothing was granted"


async def test_a_grant_without_its_token_is_refused_and_odd_entries_are_404(
    client: AsyncTestClient[Litestar], bank: Bank, banked: Banked
) -> None:
    """No CSRF token: 403 with the stable code, nothing granted. An entry that is not a waiting
    outcome (an issuer's registration, an awarded outcome, past the log's end) is 404."""
    await sign_in_staff(client, bank, "accreditor")
    index = banked.waiting[0]
    refused = await client.post(f"/awards/{index}", data=GRANT)
    assert refused.status_code == 403
    assert "forbidden" in refused.text
    assert (await client.get(f"/awards/{index}")).status_code == 200, "still waiting"
    for other in (0, banked.awarded[0], 10_000):
        assert (await client.get(f"/awards/{other}")).status_code == 404, other
    token = await csrf(client, f"/awards/{index}")
    assert (await client.post("/awards/0", data={**GRANT, "_csrf_token": token})).status_code == 404
