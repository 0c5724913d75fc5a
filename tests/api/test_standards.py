"""Standards over HTTP: the accreditor's lifecycle, who may see what, and awards on deposit."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.test_outcomes import VALID, post, register

SAFETY: dict[str, Any] = {
    "id": "ent-safety",
    "version": 1,
    "title": "企业安全生产培训",
    "category": "vocational.safety",
    "effective_from": "2026-01-01",
    "applies_to": {"outcome_types": ["enterprise_training"], "course_codes": ["SAFE-*"]},
    "requires": {"results": ["passed"], "min_score": "60"},
    "award": {"method": "per_hours", "hours_per_unit": "16", "rounding_step": "0.5"},
    "max_per_outcome": "4",
    "caps": {"per_category_per_year": "5"},
}


async def publish(api: Api, document: dict[str, Any] = SAFETY) -> dict[str, Any]:
    accreditor = api.auth("accreditor")
    created = await api.client.post("/v1/standards", json=document, headers=accreditor)
    assert created.status_code == 201, created.text
    path = f"/v1/standards/{document['id']}/{document['version']}"
    published = await api.client.post(f"{path}/publish", headers=accreditor)
    assert published.status_code == 201, published.text
    body: dict[str, Any] = published.json()
    return body


async def test_lifecycle_draft_validate_publish_retire(api: Api) -> None:
    """A draft is private to accreditors until published; published versions are immutable."""
    accreditor, issuer = api.auth("accreditor"), api.auth("issuer")
    created = await api.client.post("/v1/standards", json=SAFETY, headers=accreditor)
    assert created.status_code == 201
    assert created.json()["status"] == "draft"
    path = "/v1/standards/ent-safety/1"
    assert (await api.client.get(path, headers=issuer)).status_code == 404
    assert (await api.client.get(path, headers=accreditor)).json()["status"] == "draft"
    edited = await api.client.put(path, json={**SAFETY, "title": "安全培训"}, headers=accreditor)
    assert edited.status_code == 200
    report = await api.client.post(f"{path}/validate", headers=accreditor)
    assert report.json() == {"valid": True, "problems": []}
    published = await api.client.post(f"{path}/publish", headers=accreditor)
    assert published.status_code == 201
    assert published.json()["status"] == "published"
    seen = await api.client.get(path, headers=issuer)
    assert seen.json()["standard"]["title"] == "安全培训"
    frozen = await api.client.put(path, json=SAFETY, headers=accreditor)
    assert frozen.status_code == 409
    again = await api.client.post("/v1/standards", json=SAFETY, headers=accreditor)
    assert again.status_code == 409
    retired = await api.client.post(
        f"{path}/retire", json={"reason": "superseded"}, headers=accreditor
    )
    assert retired.json()["status"] == "retired"
    entry = await api.client.get(
        f"/v1/log/entries/{retired.json()['retired_index']}", headers=api.auth("auditor")
    )
    assert entry.json()["kind"] == "standard.retired"


async def test_only_accreditors_change_standards(api: Api) -> None:
    """Every other role is refused drafting, publishing, retiring and simulating."""
    for role in ("issuer", "learner", "auditor", "admin"):
        headers = api.auth(role)
        assert (
            await api.client.post("/v1/standards", json=SAFETY, headers=headers)
        ).status_code == 403
        simulate = await api.client.post(
            "/v1/standards/simulate", json={"standard": SAFETY}, headers=headers
        )
        assert simulate.status_code == 403
        listing = await api.client.get("/v1/standards", headers=headers)
        assert listing.status_code == 200
    assert (await api.client.get("/v1/standards")).status_code == 401


async def test_invalid_drafts_name_their_fields(api: Api) -> None:
    """A draft with problems gets a report naming each field, and cannot be published."""
    accreditor = api.auth("accreditor")
    bad = {**SAFETY, "effective_until": "2025-01-01", "caps": {"per_category_per_year": "2"}}
    await api.client.post("/v1/standards", json=bad, headers=accreditor)
    report = (
        await api.client.post("/v1/standards/ent-safety/1/validate", headers=accreditor)
    ).json()
    assert report["valid"] is False
    fields = {problem["field"] for problem in report["problems"]}
    assert "effective_until" in fields
    refused = await api.client.post("/v1/standards/ent-safety/1/publish", headers=accreditor)
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_standard"


async def test_outcomes_receive_the_award_the_standard_says(api: Api) -> None:
    """16 hours passed at 92.5 under 16h:1 rounded down to 0.5 earns 1.00 credit, with basis."""
    await register(api)
    await publish(api)
    first = await post(api, {**VALID, "hours": "40"})
    assert first.status_code == 201, first.text
    entry = (
        await api.client.get(
            f"/v1/log/entries/{first.json()['index']}", headers=api.auth("auditor")
        )
    ).json()
    award = entry["award"]
    assert (award["credits"], award["category"], award["standard"]) == (
        "2.50",
        "vocational.safety",
        "ent-safety@1",
    )
    assert award["basis"]["ratio"] == "16h:1"
    assert award["basis"]["computed"] == "2.50"
    assert first.json()["award"] == award  # the issuer sees the award in the answer
    second = await post(api, {**VALID, "record_id": "HR-2", "hours": "48"})
    capped = (
        await api.client.get(
            f"/v1/log/entries/{second.json()['index']}", headers=api.auth("auditor")
        )
    ).json()["award"]
    assert capped["credits"] == "2.50"  # 3.00 computed, 5.00 a year, 2.50 already banked
    assert capped["basis"]["cap"] == "per_category_per_year"


async def test_outcomes_no_standard_applies_to_are_recorded_without_award(api: Api) -> None:
    """An outcome outside every standard is banked, with award null."""
    await register(api)
    await publish(api)
    response = await post(api, {**VALID, "course_code": "MGMT-1"})
    entry = (
        await api.client.get(
            f"/v1/log/entries/{response.json()['index']}", headers=api.auth("auditor")
        )
    ).json()
    assert entry["award"] is None


async def test_simulation_reports_and_writes_nothing(api: Api) -> None:
    """A draft with a richer ratio reports the changes it would make; the log does not move."""
    await register(api)
    await publish(api)
    for serial in range(3):
        await post(api, {**VALID, "record_id": f"HR-{serial}", "hours": "32"})
    size_before = (await api.client.get("/v1/log/checkpoint")).text.split("\n")[1]
    richer = {
        **SAFETY,
        "version": 2,
        "award": {"method": "per_hours", "hours_per_unit": "8", "rounding_step": "0.5"},
    }
    report = await api.client.post(
        "/v1/standards/simulate", json={"standard": richer}, headers=api.auth("accreditor")
    )
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["outcomes_considered"] == 3
    assert body["outcomes_matched"] == 3
    assert body["outcomes_changed"] >= 1
    assert body["learners_capped"] == 1
    assert body["totals_by_category"] == [
        {"category": "vocational.safety", "in_force": "5.00", "with_draft": "5.00"}
    ]
    assert (await api.client.get("/v1/log/checkpoint")).text.split("\n")[1] == size_before


async def test_replay_agrees_with_an_honest_bank(api: Api) -> None:
    """Replaying the log re-derives every award and total with no difference."""
    await register(api)
    await publish(api)
    for serial in range(4):
        await post(api, {**VALID, "record_id": f"HR-{serial}", "hours": "24"})
    report = await api.client.post("/v1/audit/replay", headers=api.auth("auditor"))
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["differences"] == []
    assert body["awards_checked"] == 4
    assert body["totals_checked"] >= 3
    assert (
        await api.client.post("/v1/audit/replay", headers=api.auth("issuer"))
    ).status_code == 403


async def test_simulation_over_supplied_outcomes_records_nothing(api: Api) -> None:
    """Outcomes supplied with the request are evaluated, skipped when invalid, never recorded."""
    await register(api)
    await publish(api)
    supplied = [
        {**VALID, "record_id": "S-1", "hours": "32"},
        {**VALID, "record_id": "S-2", "hours": "16"},
        {**VALID, "record_id": "S-3", "issuer_id": "nobody"},
        {**VALID, "record_id": "S-4", "completed_on": "2999-01-01"},
    ]
    size_before = (await api.client.get("/v1/log/checkpoint")).text.split("\n")[1]
    report = await api.client.post(
        "/v1/standards/simulate",
        json={"standard": {**SAFETY, "version": 2}, "outcomes": supplied},
        headers=api.auth("accreditor"),
    )
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["outcomes_considered"], body["outcomes_skipped"]) == (2, 2)
    assert body["outcomes_matched"] == 2
    assert body["outcomes_changed"] == 0  # ent-safety@2 decides instead of @1, same credits
    assert body["totals_by_category"][0]["with_draft"] == "3.00"
    assert (await api.client.get("/v1/log/checkpoint")).text.split("\n")[1] == size_before


async def test_every_change_is_for_accreditors_and_drafts_stay_private(api: Api) -> None:
    """Editing, validating, publishing and retiring are refused to every other role, and only
    accreditors see drafts in the catalogue."""
    accreditor = api.auth("accreditor")
    await api.client.post("/v1/standards", json=SAFETY, headers=accreditor)
    path = "/v1/standards/ent-safety/1"
    for role in ("issuer", "learner", "auditor", "admin"):
        headers = api.auth(role)
        assert (await api.client.put(path, json=SAFETY, headers=headers)).status_code == 403
        for action in ("validate", "publish"):
            assert (await api.client.post(f"{path}/{action}", headers=headers)).status_code == 403
        retire = await api.client.post(f"{path}/retire", json={"reason": "x"}, headers=headers)
        assert retire.status_code == 403
        assert (await api.client.get("/v1/standards", headers=headers)).json() == []
    drafts = (await api.client.get("/v1/standards", headers=accreditor)).json()
    assert [view["status"] for view in drafts] == ["draft"]


async def test_retiring_a_version_retires_the_older_ones_too(api: Api) -> None:
    """An older version never comes back into force when the newer one is retired."""
    await register(api)
    await publish(api)
    await publish(api, {**SAFETY, "version": 2})
    accreditor = api.auth("accreditor")
    retired = await api.client.post(
        "/v1/standards/ent-safety/2/retire", json={"reason": "withdrawn"}, headers=accreditor
    )
    assert retired.status_code == 200
    statuses = [
        view["status"]
        for view in (await api.client.get("/v1/standards", headers=accreditor)).json()
    ]
    assert statuses == ["retired", "retired"]
    assert (await post(api, VALID)).json()["award"] is None
    bad_reason = await api.client.post(
        "/v1/standards/ent-safety/1/retire", json={"reason": "a\nb"}, headers=accreditor
    )
    assert bad_reason.status_code == 400


async def test_one_cap_year_per_category(api: Api) -> None:
    """A second standard of a category may not count its caps from another day of the year."""
    await publish(api)
    other = {
        **SAFETY,
        "id": "ent-safety-school",
        "applies_to": {"outcome_types": ["community_course"]},
        "caps": {"per_category_per_year": "5", "year_starts": "03-01"},
    }
    accreditor = api.auth("accreditor")
    await api.client.post("/v1/standards", json=other, headers=accreditor)
    report = (
        await api.client.post("/v1/standards/ent-safety-school/1/validate", headers=accreditor)
    ).json()
    assert "caps.year_starts" in [problem["field"] for problem in report["problems"]]


async def test_simulation_never_shows_pseudonyms(api: Api) -> None:
    """Learners are numbered within the report: no learner_ref can be linked to a supplied ID."""
    await register(api)
    await publish(api)
    await post(api, VALID)
    richer = {**SAFETY, "version": 2, "award": {"method": "fixed", "credits": "3"}}
    report = await api.client.post(
        "/v1/standards/simulate",
        json={"standard": richer, "outcomes": [{**VALID, "record_id": "X"}]},
        headers=api.auth("accreditor"),
    )
    body = report.json()
    assert body["largest_changes"][0]["learner"] == 1
    accepted = (await post(api, {**VALID, "record_id": "Y"})).json()
    assert accepted["learner_ref"] not in report.text


async def test_odd_standard_ids_in_paths_are_client_errors(api: Api) -> None:
    """A NUL or capital letters in a standard id are a 400, never a 500 (PostgreSQL refuses NUL)."""
    for path in ("/v1/standards/a%00b/1", "/v1/standards/ABC/1"):
        response = await api.client.get(path, headers=api.auth("issuer"))
        assert response.status_code == 400, path
