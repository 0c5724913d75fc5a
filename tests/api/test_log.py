"""The log's HTTP surface serves artefacts that standard verifiers accept."""

from __future__ import annotations

import base64

from creditbank.ledger.checkpoint import open_checkpoint
from creditbank.ledger.hashing import leaf_hash
from creditbank.ledger.merkle import verify_consistency, verify_inclusion
from creditbank.ledger.note import VerifierKey
from creditbank.ledger.proof_text import verify_tlog_proof
from creditbank.ledger.tiles import decode_entry_bundle
from tests.api.conftest import Api
from tests.api.test_roles import setup_log
from tests.conftest import ORIGIN


async def verifiers(api: Api) -> list[VerifierKey]:
    response = await api.client.get("/v1/log/vkeys")
    assert response.headers["content-type"].startswith("text/plain")
    return [VerifierKey.parse(line) for line in response.text.splitlines()]


async def test_checkpoint_and_proofs_verify(api: Api) -> None:
    """The checkpoint verifies under the served key; proofs verify against its root."""
    await setup_log(api)
    text = (await api.client.get("/v1/log/checkpoint")).text
    checkpoint = open_checkpoint(text, await verifiers(api), ORIGIN)
    assert checkpoint.size == 3
    auditor = api.auth("auditor")
    for index in range(3):
        entry = (await api.client.get(f"/v1/log/entries/{index}", headers=auditor)).content
        proof = (
            await api.client.get(
                f"/v1/log/proof/inclusion?index={index}&tree_size=3", headers=auditor
            )
        ).json()
        hashes = [base64.b64decode(h) for h in proof["hashes"]]
        verify_inclusion(leaf_hash(entry), index, 3, hashes, checkpoint.root)
    first = (await api.client.get("/v1/log/entries/0", headers=auditor)).content
    consistency = (
        await api.client.get("/v1/log/proof/consistency?from=1&to=3", headers=auditor)
    ).json()
    assert (consistency["from"], consistency["to"]) == (1, 3)
    verify_consistency(
        1,
        3,
        leaf_hash(first),
        checkpoint.root,
        [base64.b64decode(h) for h in consistency["hashes"]],
    )


async def test_receipt_verifies_offline(api: Api) -> None:
    """A receipt plus the entry's bytes and the verifier key is all an auditor needs."""
    await setup_log(api)
    receipt = (await api.client.get("/v1/log/receipt/2", headers=api.auth("issuer"))).text
    entry = (await api.client.get("/v1/log/entries/2", headers=api.auth("auditor"))).content
    checkpoint = verify_tlog_proof(receipt, entry, await verifiers(api), ORIGIN)
    assert checkpoint.size == 3


async def test_tiles_and_bundles(api: Api) -> None:
    """Partial tiles and bundles have the widths of the current tree; wider ones are 404."""
    await setup_log(api)
    auditor = api.auth("auditor")
    tile = await api.client.get("/v1/log/tile/0/000.p/3", headers=auditor)
    assert tile.status_code == 200
    assert tile.headers["content-type"] == "application/octet-stream"
    bundle = await api.client.get("/v1/log/tile/entries/000.p/3", headers=auditor)
    bodies = decode_entry_bundle(bundle.content)
    assert [leaf_hash(body) for body in bodies] == [
        tile.content[i * 32 : (i + 1) * 32] for i in range(3)
    ]
    assert (await api.client.get("/v1/log/tile/0/000.p/4", headers=auditor)).status_code == 404
    assert (await api.client.get("/v1/log/tile/0/000", headers=auditor)).status_code == 404
    malformed = await api.client.get("/v1/log/tile/0/0.p/3", headers=auditor)
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "invalid_tile"


async def test_proof_requests_beyond_the_log_are_typed_errors(api: Api) -> None:
    """Sizes beyond the log are 404, impossible ranges 400: problems, never 500."""
    await setup_log(api)
    auditor = api.auth("auditor")
    beyond = await api.client.get("/v1/log/proof/inclusion?index=0&tree_size=99", headers=auditor)
    assert beyond.status_code == 404
    backwards = await api.client.get("/v1/log/proof/consistency?from=3&to=1", headers=auditor)
    assert backwards.status_code in (400, 404)
    wrong_index = await api.client.get(
        "/v1/log/proof/inclusion?index=5&tree_size=3", headers=auditor
    )
    assert wrong_index.status_code == 400
    assert wrong_index.json()["code"] == "invalid_proof"
    negative = await api.client.get("/v1/log/entries/-1", headers=auditor)
    assert negative.status_code in (400, 404)


async def test_health_reports_the_start_up_check(api: Api) -> None:
    """/healthz says whether writes are enabled and how large the log is."""
    response = await api.client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    free = body.pop("disk_free_bytes")
    assert isinstance(free, int)
    assert free > 0
    assert body == {
        "status": "ok",
        "live": True,
        "ready": True,
        "database": "ok",
        "tree_size": 0,
        "writes": "enabled",
    }
    live = await api.client.get("/healthz/live")
    assert (live.status_code, live.json()) == (200, {"live": True})
