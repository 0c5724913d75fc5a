"""Every endpoint with every role: allowed answers succeed, denied ones are 401 or 403."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import ISSUER_ID, LEARNER_REF, Api
from tests.factories import issuer_registration, outcome_record

ROLES = ("anonymous", "issuer", "learner", "accreditor", "auditor", "admin")
PUBLIC = set(ROLES)
AUDIT = {"auditor", "admin"}
STATISTICS = {"accreditor", "auditor", "admin"}
PROGRAMME_ID = "ou-general"

# (method, path, body, roles allowed). Paths refer to the log after setup (3 entries).
ENDPOINTS: list[tuple[str, str, object, set[str]]] = [
    ("GET", "/healthz", None, PUBLIC),
    ("GET", "/healthz/live", None, PUBLIC),
    ("GET", "/schema/openapi.json", None, PUBLIC),
    ("GET", "/v1/log/checkpoint", None, PUBLIC),
    ("GET", "/v1/log/vkeys", None, PUBLIC),
    ("GET", "/v1/log/entries/1", None, AUDIT),
    ("GET", "/v1/log/proof/inclusion?index=1&tree_size=3", None, AUDIT),
    ("GET", "/v1/log/proof/consistency?from=1&to=3", None, AUDIT),
    ("GET", "/v1/log/tile/0/000.p/3", None, AUDIT),
    ("GET", "/v1/log/tile/entries/000.p/3", None, AUDIT),
    ("GET", "/v1/log/receipt/1", None, {"issuer", "auditor", "admin"}),
    ("POST", "/v1/issuers", "issuer", {"admin"}),
    ("POST", "/v1/outcomes", "outcome", {"issuer"}),
    ("GET", f"/v1/learners/{LEARNER_REF}/archive", None, {"learner", "admin"}),
    ("GET", f"/v1/learners/{LEARNER_REF}/archive/export", None, {"learner", "admin"}),
    ("POST", f"/v1/learners/{LEARNER_REF}/recognitions", "application", {"learner", "admin"}),
    ("POST", "/v1/programmes", "programme", {"accreditor"}),
    ("GET", f"/v1/programmes/{PROGRAMME_ID}", None, PUBLIC - {"anonymous"}),
    ("POST", f"/v1/outcomes/{ISSUER_ID}/R-001001/revocation", "reason", {"issuer", "admin"}),
    ("GET", "/v1/awards/queue", None, {"accreditor", "admin"}),
    ("POST", "/v1/awards", "grant", {"accreditor", "admin"}),
    ("GET", "/v1/statistics?group_by=year,sex", None, STATISTICS),
    ("GET", "/v1/statistics/reports/enterprise_training?format=xlsx", None, STATISTICS),
]


def programme(version: int) -> dict[str, object]:
    return {
        "id": PROGRAMME_ID,
        "version": version,
        "institution": "开放大学",
        "title": "通识",
        "effective_from": "2025-01-01",
        "requirements": [
            {
                "id": "elective",
                "title": "选修",
                "credits_granted": "1",
                "satisfied_by": {"categories": ["vocational.safety"], "min_credits": "1"},
            }
        ],
    }


def body_for(kind: object, serial: int) -> bytes | None:
    if kind == "application":
        return json.dumps({"programme_id": PROGRAMME_ID}).encode()
    if kind == "programme":
        return json.dumps(programme(2)).encode()
    if kind == "grant":  # the setup's second outcome: no standard applied to it
        record = outcome_record(1002)
        return json.dumps(
            {
                "issuer_id": ISSUER_ID,
                "record_id": record.record_id,
                "credits": "1.5",
                "category": "community.culture",
                "basis": "社区教育课程认定办法",
                "reason": "课程经评审认定",
            }
        ).encode()
    if kind == "reason":
        return json.dumps({"reason": "录入错误"}).encode()
    if kind == "issuer":
        return json.dumps(
            {"issuer_id": f"school-{serial}", "name": "社区学校", "kind": "community_school"}
        ).encode()
    if kind == "outcome":
        record = outcome_record(1000 + serial)
        return json.dumps(
            {
                "issuer_id": ISSUER_ID,
                "record_id": record.record_id,
                "learner_id": record.learner_id,
                "course_code": "SAFE-101",
                "course_title": "安全生产培训",
                "outcome_type": "enterprise_training",
                "hours": "8",
                "result": "passed",
                "completed_on": "2026-05-01",
            }
        ).encode()
    return None


async def setup_log(api: Api) -> None:
    registration = issuer_registration()
    response = await api.client.post(
        "/v1/issuers",
        json={
            "issuer_id": registration.issuer_id,
            "name": registration.name,
            "kind": registration.kind,
        },
        headers=api.auth("admin"),
    )
    assert response.status_code == 201, response.text
    for serial in (1, 2):
        response = await api.client.post(
            "/v1/outcomes", content=body_for("outcome", serial), headers=api.auth("issuer")
        )
        assert response.status_code == 201, response.text


@pytest.mark.parametrize("role", ROLES)
async def test_every_endpoint_admits_exactly_its_roles(api: Api, role: str) -> None:
    """Allowed roles get a success; others get 401 without a token and 403 with one."""
    await setup_log(api)
    published = await api.client.post(
        "/v1/programmes", json=programme(1), headers=api.auth("accreditor")
    )
    assert published.status_code == 201, published.text
    # The learner of the second outcome: an admin asking for a learner the log does not know is
    # told there is none, so the learner paths name one it knows and the learner token is
    # theirs (entry 1, whose receipt the learner must not see, is another learner's).
    entry = (await api.client.get("/v1/log/entries/2", headers=api.auth("auditor"))).json()
    api.tokens["learner"] = await api.token_for_learner(entry["learner_ref"])
    for serial, (method, template, kind, allowed) in enumerate(ENDPOINTS):
        path = template.replace(LEARNER_REF, entry["learner_ref"])
        headers = {**api.auth(role), "Content-Type": "application/json"}
        response = await api.client.request(
            method, path, content=body_for(kind, serial), headers=headers
        )
        if path.startswith("/v1/log/receipt") and role in ("learner", "accreditor"):
            # Admitted by role, but the entry is not theirs: existence itself stays private.
            assert response.status_code == 404, f"{role} {path}: {response.status_code}"
        elif path.startswith("/v1/learners/") and role not in allowed and role != "anonymous":
            # For anyone but the learner and admin, the learner does not exist.
            assert response.status_code == 404, f"{role} {path}: {response.status_code}"
        elif role in allowed:
            assert response.status_code in (200, 201), f"{role} {method} {path}: {response.text}"
        elif role == "anonymous":
            assert response.status_code == 401, f"{method} {path}: {response.status_code}"
            assert response.headers["content-type"].startswith("application/problem+json")
        else:
            assert response.status_code == 403, f"{role} {method} {path}: {response.status_code}"
            assert response.json()["code"] == "forbidden"


async def test_issuers_record_only_for_themselves(api: Api) -> None:
    """An issuer token for another issuer is refused, never recorded."""
    await setup_log(api)
    response = await api.client.post(
        "/v1/outcomes", content=body_for("outcome", 9), headers=api.auth("other_issuer")
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


async def test_learners_fetch_receipts_of_their_own_outcomes(api: Api) -> None:
    """A learner token scoped to the outcome's learner_ref gets the receipt; another does not."""
    await setup_log(api)
    entry = (await api.client.get("/v1/log/entries/1", headers=api.auth("auditor"))).json()
    own = await api.token_for_learner(entry["learner_ref"])
    response = await api.client.get("/v1/log/receipt/1", headers={"Authorization": f"Bearer {own}"})
    assert response.status_code == 200
    assert response.text.startswith("c2sp.org/tlog-proof@v1\n")
    other = await api.client.get("/v1/log/receipt/2", headers={"Authorization": f"Bearer {own}"})
    assert other.status_code == 404


async def test_receipts_of_others_are_not_found(api: Api) -> None:
    """A learner or another issuer asking for someone else's receipt gets 404, not the entry."""
    await setup_log(api)
    for role in ("learner", "other_issuer", "accreditor"):
        response = await api.client.get("/v1/log/receipt/1", headers=api.auth(role))
        assert response.status_code == 404, role
    response = await api.client.get("/v1/log/receipt/0", headers=api.auth("issuer"))
    assert response.status_code == 404  # the issuer.registered entry is the admin's
