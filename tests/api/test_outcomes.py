"""Recording outcomes over HTTP: idempotency, conflicts and typed 4xx errors, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import ISSUER_ID, Api
from tests.factories import resident_id

VALID: dict[str, Any] = {
    "issuer_id": ISSUER_ID,
    "record_id": "HR-2026-0001",
    "learner_id": resident_id(7),
    "learner_name": "王五",
    "course_code": "SAFE-101",
    "course_title": "安全生产培训",
    "outcome_type": "enterprise_training",
    "hours": 16,
    "result": "passed",
    "score": "92.5",
    "completed_on": "2026-03-14",
}


async def register(api: Api) -> None:
    response = await api.client.post(
        "/v1/issuers",
        json={"issuer_id": ISSUER_ID, "name": "华东精密制造有限公司", "kind": "enterprise"},
        headers=api.auth("admin"),
    )
    assert response.status_code == 201, response.text


async def post(api: Api, body: object | bytes) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await api.client.post(
        "/v1/outcomes",
        content=content,
        headers={**api.auth("issuer"), "Content-Type": "application/json"},
    )


async def test_record_then_resubmit_answers_exists_with_the_original_index(api: Api) -> None:
    """The same record twice is recorded once; the second answer points at the first entry."""
    await register(api)
    first = await post(api, VALID)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "recorded"
    again = await post(api, {**VALID, "hours": "16.0"})  # same value, other spelling
    assert again.status_code == 200
    assert again.json() == {**first.json(), "status": "exists"}
    receipt = await api.client.get(first.json()["receipt"], headers=api.auth("issuer"))
    assert receipt.status_code == 200
    assert receipt.text.startswith("c2sp.org/tlog-proof@v1\n")


async def test_different_content_under_the_same_record_id_is_a_conflict(api: Api) -> None:
    """409 exists_with_different_content, naming the existing entry; nothing new is logged."""
    await register(api)
    first = await post(api, VALID)
    conflict = await post(api, {**VALID, "hours": "24"})
    assert conflict.status_code == 409
    problem = conflict.json()
    assert problem["code"] == "exists_with_different_content"
    assert problem["index"] == first.json()["index"]
    assert conflict.headers["content-type"].startswith("application/problem+json")
    checkpoint = await api.client.get("/v1/log/checkpoint")
    assert checkpoint.text.split("\n")[1] == "2"


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"hours": -1}, 422, "malformed", "hours"),
        ({"hours": "1.25"}, 422, "malformed", "hours"),
        ({"hours": "NaN"}, 422, "malformed", "hours"),
        ({"score": 101}, 422, "malformed", "score"),
        ({"completed_on": "2026-02-30"}, 400, "malformed_request", "completed_on"),
        ({"completed_on": "2999-01-01"}, 422, "malformed", "completed_on"),
        ({"learner_id": "110105199005170010"}, 422, "invalid_learner_id", "learner_id"),
        ({"result": "excellent"}, 400, "malformed_request", "result"),
        ({"favourite_colour": "blue"}, 400, "malformed_request", "body"),
        ({"evidence_sha256": "xyz"}, 422, "malformed", "evidence_sha256"),
        ({"issuer_id": None}, 422, "malformed", "issuer_id"),
    ],
)
async def test_bad_records_get_typed_problems(
    api: Api, change: dict[str, Any], status: int, code: str, field: str
) -> None:
    """Each kind of bad input has its status, stable code and field; the log does not move."""
    await register(api)
    response = await post(api, {**VALID, **change})
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["code"] == code
    assert problem["status"] == status
    if field != "body":
        assert field in [error["field"] for error in problem["errors"]], problem


async def test_unknown_issuer_is_refused(api: Api) -> None:
    """Outcomes for an issuer that was never registered are refused with unknown_issuer."""
    response = await post(api, VALID)
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_issuer"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{", "malformed_request"),
        (b"[]", "malformed_request"),
        (b"null", "malformed_request"),
        (b"\xff\xfe", "invalid_utf8"),
        (b'{"hours": 1e999}', "malformed_request"),
    ],
)
async def test_malformed_json_is_a_400(api: Api, body: bytes, code: str) -> None:
    """Bytes that are not a JSON object of the right shape are a 400 problem, never a 500."""
    await register(api)
    response = await post(api, body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code


async def test_oversize_bodies_are_refused(api: Api) -> None:
    """A body over the limit is a 413 problem before it is parsed."""
    await register(api)
    response = await post(api, {**VALID, "course_title": "课" * 40_000})
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


async def test_issuer_registration_is_idempotent(api: Api) -> None:
    """The same registration twice is one entry; other details under the same id conflict."""
    await register(api)
    again = await api.client.post(
        "/v1/issuers",
        json={"issuer_id": ISSUER_ID, "name": "华东精密制造有限公司", "kind": "enterprise"},
        headers=api.auth("admin"),
    )
    assert again.status_code == 200
    assert again.json()["status"] == "exists"
    other = await api.client.post(
        "/v1/issuers",
        json={"issuer_id": ISSUER_ID, "name": "别的公司", "kind": "enterprise"},
        headers=api.auth("admin"),
    )
    assert other.status_code == 409


async def test_negative_zero_is_recorded_as_zero(api: Api) -> None:
    """-0.0 is zero: it is logged as "0.0", and the entry stays canonical and verifiable."""
    await register(api)
    response = await post(api, {**VALID, "hours": -0.0, "score": "-0.0"})
    assert response.status_code == 201, response.text
    index = response.json()["index"]
    entry = await api.client.get(f"/v1/log/entries/{index}", headers=api.auth("auditor"))
    assert b'"hours":"0.0"' in entry.content
    assert b'"score":"0.0"' in entry.content
    receipt = await api.client.get(f"/v1/log/receipt/{index}", headers=api.auth("issuer"))
    assert receipt.status_code == 200


async def test_long_employee_numbers_fit_on_both_databases(api: Api) -> None:
    """The longest issuer id with the longest employee number is stored, never a 500."""
    long_issuer = "i" * 64
    response = await api.client.post(
        "/v1/issuers",
        json={"issuer_id": long_issuer, "name": "长名企业", "kind": "enterprise"},
        headers=api.auth("admin"),
    )
    assert response.status_code == 201
    token = await api.token_for_issuer(long_issuer)
    body = {
        **VALID,
        "issuer_id": long_issuer,
        "learner_id_type": "employee_no",
        "learner_id": "E" * 64,
    }
    answer = await api.client.post(
        "/v1/outcomes", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 201, answer.text


async def test_titles_keep_wide_spaces_fold_line_breaks_and_refuse_control_characters(
    api: Api,
) -> None:
    """Full-width and no-break spaces are ordinary in Chinese titles and kept; a line break (what
    Alt+Enter in Excel leaves) becomes one space in the recorded entry; a bell character is
    still refused with the field named."""
    await register(api)
    spaced = await post(api, {**VALID, "course_title": "安全\u3000生产\u00a0培训"})
    assert spaced.status_code == 201, spaced.text
    folded = await post(api, {**VALID, "record_id": "HR-2", "course_title": "安全\r\n 生产"})
    assert folded.status_code == 201, folded.text
    entry = await api.client.get(
        f"/v1/log/entries/{folded.json()['index']}", headers=api.auth("auditor")
    )
    assert entry.json()["course_title"] == "安全 生产"
    broken = await post(api, {**VALID, "record_id": "HR-3", "course_title": "安全\x07生产"})
    assert broken.status_code == 422
    assert broken.json()["errors"][0]["field"] == "course_title"
