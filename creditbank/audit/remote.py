"""``creditbank verify --url``: verify a log through its public HTTP surface, as an outsider.

Fetch the checkpoint and check its signature against the trusted keys and origin; check it is
consistent with the checkpoint remembered in the state file from the previous run (a log that
shrank or forked fails); rebuild the tree from the entry bundles and compare every served tile
and the root. A misbehaving server produces a VerificationError, never a traceback.

The caller may pass the ``httpx.AsyncClient`` to use (the command line passes the one its
``--url`` commands share, which already carries the base URL and the token).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from pathlib import Path

import httpx

from creditbank.audit.local import Verified, expected_origin, open_trusted, summary
from creditbank.audit.verification import LogSource, VerificationError, rebuild_and_compare
from creditbank.errors import NoteError, ProofError, TileError
from creditbank.ledger.checkpoint import Checkpoint
from creditbank.ledger.merkle import verify_consistency
from creditbank.ledger.note import VerifierKey
from creditbank.ledger.tiles import BundleId, TileId, bundle_path, decode_entry_bundle, tile_path

__all__ = ["verify_url"]

http_timeout_seconds = 60.0


async def verify_url(
    url: str,
    *,
    token: str | None,
    vkeys: list[str],
    state_file: Path | None,
    origin: str | None = None,
    client: httpx.AsyncClient | None = None,
) -> Verified:
    """Verify the log served at ``url`` (through ``client`` when given, which is left open)."""
    state = _load_state(state_file)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    lines: list[str] = []
    async with contextlib.AsyncExitStack() as stack:
        if client is None:
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=url.rstrip("/"), headers=headers, timeout=http_timeout_seconds
                )
            )
        trusted = vkeys or _remembered_keys(state)
        if not trusted:
            trusted = (await _get(client, "/v1/log/vkeys")).decode(errors="replace").split()
            lines.append("warning: no --vkey given; trusting the keys the log serves (first use)")
        verifiers = [_parse_vkey(text) for text in trusted]
        remembered_origin = state.get("origin")
        pinned = origin or (remembered_origin if isinstance(remembered_origin, str) else None)
        expected = expected_origin(verifiers, pinned)
        signed_note = (await _get(client, "/v1/log/checkpoint")).decode(errors="replace")
        signed = open_trusted(signed_note, verifiers, expected)
        lines.append(
            f"ok: checkpoint {signed.origin} size {signed.size} is signed by a trusted key"
        )
        if "size" in state:
            lines.append(await _check_consistency(client, state, signed))
        report = await rebuild_and_compare(_http_source(client), signed.size, signed.root)
        lines.extend(summary(report))
        root = base64.b64encode(signed.root).decode()
        lines.append(f"ok: the rebuilt root equals the signed root {root}")
    if state_file is not None:
        _save_state(state_file, trusted, signed, signed_note)
        lines.append(f"saved: checkpoint size {signed.size} to {state_file}")
    return Verified(checkpoint=signed, report=report, lines=lines)


def _remembered_keys(state: dict[str, object]) -> list[str]:
    remembered = state.get("vkeys", [])
    return [str(key) for key in remembered] if isinstance(remembered, list) else []


def _parse_vkey(text: str) -> VerifierKey:
    try:
        return VerifierKey.parse(text)
    except NoteError as error:
        raise VerificationError(f"bad verifier key {text!r}: {error.message}") from error


async def _check_consistency(
    client: httpx.AsyncClient, state: dict[str, object], signed: Checkpoint
) -> str:
    try:
        old_size = int(str(state["size"]))
        old_root = base64.b64decode(str(state["root"]), validate=True)
    except (KeyError, ValueError, binascii.Error) as error:
        raise VerificationError(f"the state file is damaged: {error}") from error
    if old_size > signed.size:
        raise VerificationError(
            f"the log shrank: size {signed.size} now, {old_size} at the last verification"
        )
    answer = await _get(client, f"/v1/log/proof/consistency?from={old_size}&to={signed.size}")
    try:
        proof = [base64.b64decode(item, validate=True) for item in json.loads(answer)["hashes"]]
        verify_consistency(old_size, signed.size, old_root, signed.root, proof)
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise VerificationError(f"the consistency proof is malformed: {error!r}") from error
    except ProofError as error:
        raise VerificationError(
            f"the log is not consistent with the checkpoint of size {old_size}: {error.message}"
        ) from error
    return f"ok: consistent with the previously verified checkpoint of size {old_size}"


def _http_source(client: httpx.AsyncClient) -> LogSource:
    async def entries(start: int, end: int) -> list[bytes]:
        assert start % 256 == 0, "HTTP rebuilds read whole bundles"
        bodies: list[bytes] = []
        for index in range(start // 256, (end + 255) // 256):
            bundle = BundleId(index, min(256, end - index * 256))
            try:
                decoded = decode_entry_bundle(await _get(client, "/v1/log/" + bundle_path(bundle)))
            except TileError as error:
                raise VerificationError(f"bundle {index} is malformed: {error.message}") from error
            if len(decoded) != bundle.width:
                raise VerificationError(
                    f"bundle {index} holds {len(decoded)} entries, not {bundle.width}",
                    index=index * 256 + min(len(decoded), bundle.width),
                )
            bodies.extend(decoded)
        return bodies

    async def tiles(wanted: list[TileId]) -> dict[TileId, bytes]:
        return {tile: await _get(client, "/v1/log/" + tile_path(tile)) for tile in wanted}

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
    except (OSError, ValueError) as error:
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
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(state, indent=2) + "\n")
    temporary.replace(path)
