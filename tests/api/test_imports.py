"""``/v1/imports`` through the real application: upload, status, rows, report, receipt, roles."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from typing import Any

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from creditbank.ledger.note import VerifierKey
from creditbank.ledger.proof_text import verify_tlog_proof
from tests.api.conftest import ISSUER_ID, Api
from tests.conftest import ORIGIN
from tests.imports.files import SAFETY, csv_bytes, row

POLL_SECONDS_MAX = 60
ROLES = ("anonymous", "issuer", "other_issuer", "learner", "accreditor", "auditor", "admin")


async def register(api: Api, public_key: str | None = None) -> None:
    body: dict[str, Any] = {"issuer_id": ISSUER_ID, "name": "华东精密制造", "kind": "enterprise"}
    if public_key is not None:
        body["public_key"] = public_key
    response = await api.client.post("/v1/issuers", json=body, headers=api.auth("admin"))
    assert response.status_code == 201, response.text
    response = await api.client.post(
        "/v1/standards",
        content=msgspec.json.encode(SAFETY),
        headers=api.auth("accreditor"),
    )
    assert response.status_code == 201, response.text
    response = await api.client.post(
        f"/v1/standards/{SAFETY.id}/{SAFETY.version}/publish", headers=api.auth("accreditor")
    )
    assert response.status_code == 201, response.text


async def upload(api: Api, data: bytes, query: str = "", role: str = "issuer") -> Any:
    return await api.client.post(
        f"/v1/imports{query}",
        content=data,
        headers={**api.auth(role), "Content-Type": "text/csv"},
    )


async def finished(api: Api, job_id: str) -> dict[str, Any]:
    for _ in range(POLL_SECONDS_MAX * 20):
        response = await api.client.get(f"/v1/imports/{job_id}", headers=api.auth("issuer"))
        assert response.status_code == 200, response.text
        status: dict[str, Any] = response.json()
        if status["state"] != "running":
            return status
        await asyncio.sleep(0.05)
    pytest.fail("the import did not finish")


async def test_upload_follow_page_report_and_verify(api: Api) -> None:
    """A GB18030 upload with one malformed row (on_error=skip) commits the rest; the job, the
    filtered and paged rows, the report in the file's own encoding and the batch receipt all
    agree, and the receipt verifies against the served keys."""
    await register(api)
    rows = [row(1), row(2, hours="abc"), *(row(n) for n in range(3, 50))]
    data = csv_bytes(rows, encoding="gb18030")
    response = await upload(api, data, "?on_error=skip")
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    assert response.headers["location"] == f"/v1/imports/{job_id}"
    status = await finished(api, job_id)
    assert (status["state"], status["result"]) == ("finished", "committed"), status
    assert status["counts"]["recorded"] == 48
    assert status["file_sha256"] == hashlib.sha256(data).hexdigest()

    page = await api.client.get(
        f"/v1/imports/{job_id}/rows?status=malformed", headers=api.auth("issuer")
    )
    assert page.json() == {
        "rows": [
            {
                "number": 2,
                "status": "malformed",
                "record_id": "T-0000002",
                "field": "hours",
                "reason": "is not a number",
                "index": None,
                "credits": None,
                "standard": None,
            }
        ],
        "next_after": None,
    }
    first = await api.client.get(f"/v1/imports/{job_id}/rows?limit=10", headers=api.auth("issuer"))
    assert [r["number"] for r in first.json()["rows"]] == list(range(1, 11))
    assert first.json()["next_after"] == 10

    report = await api.client.get(f"/v1/imports/{job_id}/report.csv", headers=api.auth("issuer"))
    lines = report.content.decode("gb18030").splitlines()
    assert lines[0].endswith("类型,状态,错误说明")
    assert lines[2].endswith(",malformed,hours: is not a number")
    assert len(lines) == 1 + len(rows)

    receipt = await api.client.get(f"/v1/imports/{job_id}/receipt", headers=api.auth("issuer"))
    assert receipt.status_code == 200, receipt.text
    entry = await api.client.get(
        f"/v1/log/entries/{status['batch_index']}", headers=api.auth("auditor")
    )
    vkeys = (await api.client.get("/v1/log/vkeys")).text.splitlines()
    verify_tlog_proof(
        receipt.text, entry.content, [VerifierKey.parse(line) for line in vkeys], ORIGIN
    )


@pytest.mark.parametrize("role", ROLES)
async def test_import_endpoints_admit_their_roles(api: Api, role: str) -> None:
    """Issuers start imports, always for themselves (the token names the issuer); the issuer and
    admin read a job; another issuer gets 404, other roles 403."""
    await register(api)
    started = await upload(api, csv_bytes([row(1)]), role=role)
    if role in ("issuer", "other_issuer"):
        assert started.status_code == 202
        assert started.json()["issuer_id"] == ("other" if role == "other_issuer" else ISSUER_ID)
    else:
        assert started.status_code == (401 if role == "anonymous" else 403), started.text
    own = await upload(api, csv_bytes([row(2)]))
    job_id = own.json()["id"]
    await finished(api, job_id)
    for suffix in ("", "/rows", "/report.csv", "/receipt"):
        response = await api.client.get(f"/v1/imports/{job_id}{suffix}", headers=api.auth(role))
        if role in ("issuer", "admin"):
            assert response.status_code == 200, f"{role} {suffix}: {response.text}"
        elif role == "other_issuer":
            assert response.status_code == 404, suffix
        elif role == "anonymous":
            assert response.status_code == 401, suffix
        else:
            assert response.status_code == 403, f"{role} {suffix}: {response.status_code}"


async def test_a_format_the_bank_cannot_tell_is_a_problem(api: Api) -> None:
    """An upload with neither ?format nor a known content type is refused as invalid_file (422,
    problem+json) instead of being guessed."""
    response = await api.client.post(
        "/v1/imports",
        content=b"x",
        headers={**api.auth("issuer"), "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_file"


async def test_a_signed_import_is_verified_before_anything_is_written(api: Api) -> None:
    """A signature over another file's digest fails the job with invalid_signature and writes no
    batch; the right one commits, lands in the batch entry, and replay finds no difference."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    await register(api, base64.b64encode(public).decode())
    data = csv_bytes([row(1)])
    forged = base64.b64encode(private.sign(hashlib.sha256(data + b" ").digest())).decode()
    response = await upload(api, data, f"?signature={forged.replace('+', '%2B')}")
    failed = await finished(api, response.json()["id"])
    assert (failed["state"], failed["error"]["code"]) == ("failed", "invalid_signature")
    assert failed["batch_index"] is None

    signature = base64.b64encode(private.sign(hashlib.sha256(data).digest())).decode()
    response = await upload(api, data, f"?signature={signature.replace('+', '%2B')}")
    status = await finished(api, response.json()["id"])
    assert (status["result"], status["signed"]) == ("committed", True)
    entry = await api.client.get(
        f"/v1/log/entries/{status['batch_index']}", headers=api.auth("auditor")
    )
    assert entry.json()["signature"] == signature
    replay = await api.client.post("/v1/audit/replay", headers=api.auth("auditor"))
    assert replay.json()["differences"] == []


async def test_naming_another_issuer_is_refused_not_replaced(api: Api) -> None:
    """An issuer token that names another issuer (?issuer=, as `creditbank import --issuer X
    --url` sends it) gets 403 before any job starts; naming its own issuer imports as usual."""
    await register(api)
    refused = await upload(api, csv_bytes([row(1)]), "?issuer=someone-else")
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "forbidden"
    own = await upload(api, csv_bytes([row(1)]), f"?issuer={ISSUER_ID}")
    assert own.status_code == 202, own.text
    assert (await finished(api, own.json()["id"]))["result"] == "committed"
