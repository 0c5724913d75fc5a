"""Archives, export, look-up, recognition, revocation and correction over HTTP, role by role."""

from __future__ import annotations

import msgspec

from creditbank.audit.bundle import verify_bundle
from creditbank.ledger.note import VerifierKey
from schemas.learners import ArchiveBundle
from schemas.standards import Programme
from tests.api.conftest import ISSUER_ID, Api
from tests.factories import issuer_registration, resident_id
from tests.learners.seed import PROGRAMME, SAFETY

LEARNER_ID = resident_id(7)


async def seeded(api: Api, outcomes: int = 3) -> tuple[str, dict[str, str]]:
    """Issuer, standard, programme and a learner with outcomes; the learner's ref and token."""
    admin, accreditor, issuer = api.auth("admin"), api.auth("accreditor"), api.auth("issuer")
    registration = msgspec.to_builtins(issuer_registration(ISSUER_ID))
    assert (await api.client.post("/v1/issuers", json=registration, headers=admin)).is_success
    standard = msgspec.to_builtins(SAFETY)
    assert (await api.client.post("/v1/standards", json=standard, headers=accreditor)).is_success
    path = f"/v1/standards/{SAFETY.id}/{SAFETY.version}/publish"
    assert (await api.client.post(path, headers=accreditor)).is_success
    programme = msgspec.to_builtins(PROGRAMME)
    published = await api.client.post("/v1/programmes", json=programme, headers=accreditor)
    assert published.status_code == 201, published.text
    learner_ref = ""
    for serial in range(1, outcomes + 1):
        response = await api.client.post(
            "/v1/outcomes",
            json={
                "issuer_id": ISSUER_ID,
                "record_id": f"R-{serial}",
                "learner_id": LEARNER_ID,
                "learner_name": "王小明",
                "course_code": "SAFE-101",
                "course_title": "安全生产培训",
                "outcome_type": "enterprise_training",
                "hours": "16",
                "result": "passed",
                "completed_on": f"2026-0{serial}-15",
            },
            headers=issuer,
        )
        assert response.status_code == 201, response.text
        learner_ref = response.json()["learner_ref"]
    token = await api.token_for_learner(learner_ref)
    return learner_ref, {"Authorization": f"Bearer {token}"}


async def test_learner_reads_own_archive_and_nobody_else_does(api: Api) -> None:
    """The learner reads their archive (awards, issuer names, no name or ID number in it) and an
    admin may too; other learners, issuers, accreditors and auditors get 404, anonymous 401."""
    learner_ref, learner = await seeded(api)
    path = f"/v1/learners/{learner_ref}/archive"
    own = await api.client.get(path, headers=learner)
    assert own.status_code == 200, own.text
    archive = own.json()
    assert archive["outcomes_total"] == 3
    assert archive["credits"] == "3.00"
    assert [o["record_id"] for o in archive["outcomes"]] == ["R-3", "R-2", "R-1"]
    assert archive["outcomes"][0]["award"]["standard"] == "safety@1"
    assert archive["outcomes"][0]["issuer_name"] == "华东精密制造有限公司"
    assert "王小明" not in own.text
    assert LEARNER_ID not in own.text
    assert (await api.client.get(path, headers=api.auth("admin"))).status_code == 200
    # Another learner, issuers, accreditors and auditors: the learner does not exist for them.
    for role in ("learner", "issuer", "accreditor", "auditor"):
        denied = await api.client.get(path, headers=api.auth(role))
        assert denied.status_code == 404, (role, denied.status_code)
        assert denied.json()["code"] == "not_found"
    other = await api.client.get(path, headers=api.auth("learner"))
    assert other.status_code == 404
    assert (await api.client.get(path)).status_code == 401


async def test_archive_pages_and_filters(api: Api) -> None:
    """The archive pages newest first and filters by year, issuer and category; a page size past
    the limit is a 400."""
    learner_ref, learner = await seeded(api)
    path = f"/v1/learners/{learner_ref}/archive"
    page = (await api.client.get(path, params={"page_size": 2, "page": 2}, headers=learner)).json()
    assert [o["record_id"] for o in page["outcomes"]] == ["R-1"]
    assert page["outcomes_total"] == 3
    none = (await api.client.get(path, params={"year": 2024}, headers=learner)).json()
    assert none["outcomes_total"] == 0
    by_issuer = await api.client.get(path, params={"issuer": ISSUER_ID}, headers=learner)
    assert by_issuer.json()["outcomes_total"] == 3
    by_category = await api.client.get(
        path, params={"category": "vocational.safety"}, headers=learner
    )
    assert by_category.json()["by_category"][0]["credits"] == "3.00"
    bad = await api.client.get(path, params={"page_size": 100_000}, headers=learner)
    assert bad.status_code == 400


async def test_lookup_returns_only_the_callers_own_ref(api: Api) -> None:
    """An ID number looks up the calling learner's own learner_ref only: another person's number
    and an admin's look-up both get 404."""
    learner_ref, learner = await seeded(api, outcomes=1)
    own = await api.client.post(
        "/v1/learners/lookup", json={"learner_id": LEARNER_ID}, headers=learner
    )
    assert own.json() == {"learner_ref": learner_ref}
    someone_else = await api.client.post(
        "/v1/learners/lookup", json={"learner_id": resident_id(8)}, headers=learner
    )
    assert someone_else.status_code == 404
    admin = await api.client.post(
        "/v1/learners/lookup", json={"learner_id": LEARNER_ID}, headers=api.auth("admin")
    )
    assert admin.status_code == 404


async def test_export_verifies_offline(api: Api) -> None:
    """The exported bundle holds the learner's outcomes plus the issuer and standard entries and
    verifies offline against the served keys; another learner gets 404 for it."""
    learner_ref, learner = await seeded(api)
    response = await api.client.get(f"/v1/learners/{learner_ref}/archive/export", headers=learner)
    assert response.status_code == 200
    bundle = msgspec.json.decode(response.content, type=ArchiveBundle)
    assert len(bundle.entries) == 3 + 2  # the outcomes; the issuer and the standard
    vkeys = (await api.client.get("/v1/log/vkeys")).text.split()
    verified = verify_bundle(response.content, [VerifierKey.parse(text) for text in vkeys])
    assert verified.entries_checked == 5
    assert not verified.keys_from_bundle
    assert (
        await api.client.get(
            f"/v1/learners/{learner_ref}/archive/export", headers=api.auth("learner")
        )
    ).status_code == 404


async def test_recognition_revocation_and_reversal_roles(api: Api) -> None:
    """Only the learner (or admin) applies; a second application is refused as already_recognised;
    a revocation by the depositing issuer reverses both recognitions it served (others 404/403,
    twice 409); only an admin reverses; totals and replay agree afterwards."""
    learner_ref, learner = await seeded(api)
    apply = f"/v1/learners/{learner_ref}/recognitions"
    body = {"programme_id": PROGRAMME.id}
    assert (await api.client.post(apply, json=body, headers=api.auth("learner"))).status_code == 404
    assert (await api.client.post(apply, json=body, headers=api.auth("issuer"))).status_code == 404
    granted = await api.client.post(apply, json=body, headers=learner)
    assert granted.status_code == 201, granted.text
    decisions = {d["requirement_id"]: d for d in granted.json()["decisions"]}
    assert decisions["safety-intro"]["status"] == "granted"
    again = await api.client.post(apply, json=body, headers=learner)
    assert again.status_code == 200
    assert {d["reason"] for d in again.json()["decisions"]} == {"already_recognised"}

    revoke = f"/v1/outcomes/{ISSUER_ID}/R-1/revocation"
    reason = {"reason": "录入错误"}
    other = await api.client.post(revoke, json=reason, headers=api.auth("other_issuer"))
    assert other.status_code == 404
    assert (await api.client.post(revoke, json=reason, headers=learner)).status_code == 403
    revoked = await api.client.post(revoke, json=reason, headers=api.auth("issuer"))
    assert revoked.status_code == 201, revoked.text
    assert len(revoked.json()["reversed_recognitions"]) == 2  # R-1 served both requirements
    twice = await api.client.post(revoke, json=reason, headers=api.auth("admin"))
    assert twice.status_code == 409
    assert twice.json()["code"] == "already_revoked"

    regranted = await api.client.post(apply, json=body, headers=api.auth("admin"))
    index = regranted.json()["decisions"][0]["index"]
    reverse = f"/v1/recognitions/{index}/reversal"
    assert (await api.client.post(reverse, json=reason, headers=learner)).status_code == 403
    reversed_ = await api.client.post(reverse, json=reason, headers=api.auth("admin"))
    assert reversed_.status_code == 201
    again = await api.client.post(reverse, json=reason, headers=api.auth("admin"))
    assert again.json()["code"] == "already_reversed"
    archive = (await api.client.get(f"/v1/learners/{learner_ref}/archive", headers=learner)).json()
    assert archive["credits"] == "2.00"
    assert sum(r["reversed"] is None for r in archive["recognitions"]) == 1
    replay = await api.client.post("/v1/audit/replay", headers=api.auth("auditor"))
    assert replay.json()["differences"] == []


async def test_correction_and_programme_problems(api: Api) -> None:
    """A correction replaces the outcome in one append and the archive shows the new credits; a
    programme naming an unpublished standard is refused with the field at fault (422), an
    admin may not publish programmes (403), and the latest version is served to learners."""
    learner_ref, learner = await seeded(api, outcomes=1)
    correction = {
        "reason": "学时录错",
        "outcome": {
            "record_id": "R-1b",
            "learner_id": LEARNER_ID,
            "course_code": "SAFE-101",
            "course_title": "安全生产培训",
            "outcome_type": "enterprise_training",
            "hours": "32",
            "result": "passed",
            "completed_on": "2026-01-15",
        },
    }
    corrected = await api.client.post(
        f"/v1/outcomes/{ISSUER_ID}/R-1/correction", json=correction, headers=api.auth("issuer")
    )
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["replacement_index"] == corrected.json()["index"] + 1
    archive = (await api.client.get(f"/v1/learners/{learner_ref}/archive", headers=learner)).json()
    assert archive["credits"] == "2.00"
    # A programme naming a standard nobody published is refused with the field at fault.
    bad = msgspec.to_builtins(
        msgspec.structs.replace(
            PROGRAMME,
            version=2,
            requirements=[
                msgspec.structs.replace(
                    PROGRAMME.requirements[0],
                    satisfied_by=msgspec.structs.replace(
                        PROGRAMME.requirements[0].satisfied_by, standards=["nonexistent"]
                    ),
                )
            ],
        )
    )
    refused = await api.client.post("/v1/programmes", json=bad, headers=api.auth("accreditor"))
    assert refused.status_code == 422
    assert "nonexistent" in refused.text
    assert (
        await api.client.post("/v1/programmes", json=bad, headers=api.auth("admin"))
    ).status_code == 403
    latest = await api.client.get(f"/v1/programmes/{PROGRAMME.id}", headers=learner)
    assert msgspec.convert(latest.json()["programme"], Programme) == PROGRAMME
