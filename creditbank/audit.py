"""``creditbank verify``: check a log offline, through its HTTP surface or its database.

Over HTTP: fetch the checkpoint, check its signature against the trusted verifier keys, check it
is consistent with the checkpoint remembered in the state file from the previous run, rebuild the
tree from the entry bundles and compare every tile and the root. Against the database: the same
rebuild over the stored rows, also checking every checkpoint ever signed.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from creditbank.errors import NoteError, ProofError
from creditbank.ledger.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint_body
from creditbank.ledger.merkle import verify_consistency
from creditbank.ledger.note import VerifierKey
from creditbank.ledger.tiles import BundleId, TileId, bundle_path, decode_entry_bundle, tile_path
from creditbank.storage import reads
from creditbank.storage.tables import checkpoint as checkpoint_table
from creditbank.storage.tile_store import read_tiles
from creditbank.verification import LogSource, RebuildReport, VerificationError, rebuild_and_compare

__all__ = ["verify_database", "verify_url"]

http_timeout_seconds = 60.0


@dataclass(frozen=True, kw_only=True)
class Verified:
    checkpoint: Checkpoint
    report: RebuildReport
    lines: list[str]


def _origin_of(signed_note: str) -> str:
    text = signed_note.split("\n\n", 1)[0] + "\n"
    try:
        return parse_checkpoint_body(text).origin
    except NoteError as error:
        raise VerificationError(f"the checkpoint is malformed: {error.message}") from error


def _summary(report: RebuildReport) -> list[str]:
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(report.kinds.items())) or "none"
    return [
        f"ok: {report.entries_checked} entries decode to canonical entries ({kinds})",
        f"ok: {report.tiles_checked} tiles rebuilt from the entries match the stored tiles",
    ]


async def verify_database(engine: AsyncEngine, verifiers: list[VerifierKey]) -> Verified:
    async with engine.connect() as connection:
        stored = await reads.latest_checkpoint(connection)
        head = await reads.log_head(connection)
        rows = (
            await connection.execute(checkpoint_table.select().order_by(checkpoint_table.c.id))
        ).all()
    if stored is None:
        raise VerificationError("the database has no checkpoint")
    signed = _open(stored.signed_note, verifiers)
    if (head.tree_size, head.root) != (signed.size, signed.root):
        raise VerificationError(
            f"log_state (size {head.tree_size}) disagrees with the last checkpoint "
            f"(size {signed.size})"
        )
    others: dict[int, bytes] = {}
    for row in rows:
        opened = _open(row.signed_note, verifiers)
        if others.get(opened.size, opened.root) != opened.root:
            raise VerificationError(f"two checkpoints sign different roots at size {opened.size}")
        others[opened.size] = opened.root

    async def entries(start: int, end: int) -> list[bytes]:
        async with engine.connect() as connection:
            return await reads.entries(connection, start, end)

    async def tiles(wanted: list[TileId]) -> dict[TileId, bytes]:
        async with engine.connect() as connection:
            return await read_tiles(connection, wanted)

    report = await rebuild_and_compare(
        LogSource(entries=entries, tiles=tiles), signed.size, signed.root, others
    )
    lines = [
        f"ok: checkpoint {signed.origin} size {signed.size} is signed by a trusted key",
        f"ok: all {len(rows)} stored checkpoints verify and agree with the entries",
        *_summary(report),
    ]
    return Verified(checkpoint=signed, report=report, lines=lines)


def _open(signed_note: str, verifiers: list[VerifierKey]) -> Checkpoint:
    try:
        return open_checkpoint(signed_note, verifiers, _origin_of(signed_note))
    except NoteError as error:
        raise VerificationError(f"the checkpoint does not verify: {error.message}") from error


async def verify_url(
    url: str, *, token: str | None, vkeys: list[str], state_file: Path | None
) -> Verified:
    state = _load_state(state_file)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(
        base_url=url.rstrip("/"), headers=headers, timeout=http_timeout_seconds
    ) as client:
        lines: list[str] = []
        remembered = state.get("vkeys", [])
        trusted = vkeys or ([str(v) for v in remembered] if isinstance(remembered, list) else [])
        if not trusted:
            trusted = (await _get(client, "/v1/log/vkeys")).decode().split()
            lines.append("warning: no --vkey given; trusting the keys the log serves (first use)")
        verifiers = [_parse_vkey(text) for text in trusted]
        signed_note = (await _get(client, "/v1/log/checkpoint")).decode()
        signed = _open(signed_note, verifiers)
        lines.append(
            f"ok: checkpoint {signed.origin} size {signed.size} is signed by a trusted key"
        )
        if "size" in state:
            lines.append(await _check_consistency(client, state, signed))
        source = _http_source(client, signed.size)
        report = await rebuild_and_compare(source, signed.size, signed.root)
        lines.extend(_summary(report))
        lines.append(
            f"ok: the rebuilt root equals the signed root {base64.b64encode(signed.root).decode()}"
        )
    if state_file is not None:
        _save_state(state_file, trusted, signed, signed_note)
        lines.append(f"saved: checkpoint size {signed.size} to {state_file}")
    return Verified(checkpoint=signed, report=report, lines=lines)


def _parse_vkey(text: str) -> VerifierKey:
    try:
        return VerifierKey.parse(text)
    except NoteError as error:
        raise VerificationError(f"bad verifier key {text!r}: {error.message}") from error


async def _check_consistency(
    client: httpx.AsyncClient, state: dict[str, object], signed: Checkpoint
) -> str:
    old_size = int(str(state["size"]))
    old_root = base64.b64decode(str(state["root"]))
    if old_size > signed.size:
        raise VerificationError(
            f"the log shrank: size {signed.size} now, {old_size} at the last verification"
        )
    answer = json.loads(
        await _get(client, f"/v1/log/proof/consistency?from={old_size}&to={signed.size}")
    )
    proof = [base64.b64decode(h) for h in answer["hashes"]]
    try:
        verify_consistency(old_size, signed.size, old_root, signed.root, proof)
    except ProofError as error:
        raise VerificationError(
            f"the log is not consistent with the checkpoint of size {old_size}: {error.message}"
        ) from error
    return f"ok: consistent with the previously verified checkpoint of size {old_size}"


def _http_source(client: httpx.AsyncClient, tree_size: int) -> LogSource:
    async def entries(start: int, end: int) -> list[bytes]:
        assert start % 256 == 0, "HTTP rebuilds read whole bundles"
        bodies: list[bytes] = []
        for index in range(start // 256, (end + 255) // 256):
            width = min(256, end - index * 256)
            data = await _get(client, "/v1/log/" + bundle_path(BundleId(index, width)))
            bodies.extend(decode_entry_bundle(data))
        return bodies

    async def tiles(wanted: list[TileId]) -> dict[TileId, bytes]:
        return {tile: await _get(client, "/v1/log/" + tile_path(tile)) for tile in wanted}

    del tree_size
    return LogSource(entries=entries, tiles=tiles)


async def _get(client: httpx.AsyncClient, path: str) -> bytes:
    try:
        response = await client.get(path)
    except httpx.HTTPError as error:
        raise VerificationError(f"GET {path} failed: {error}") from error
    if response.status_code != 200:
        raise VerificationError(
            f"GET {path} answered {response.status_code}: {response.text[:200]}"
        )
    return response.content


def _load_state(path: Path | None) -> dict[str, object]:
    if path is None or not path.exists():
        return {}
    try:
        loaded = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise VerificationError(f"cannot read the state file {path}: {error}") from error
    if not isinstance(loaded, dict):
        raise VerificationError(f"the state file {path} is not a JSON object")
    return loaded


def _save_state(path: Path, vkeys: list[str], signed: Checkpoint, signed_note: str) -> None:
    state = {
        "origin": signed.origin,
        "vkeys": vkeys,
        "size": signed.size,
        "root": base64.b64encode(signed.root).decode(),
        "checkpoint": signed_note,
    }
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(state, indent=2) + "\n")
    temporary.replace(path)
