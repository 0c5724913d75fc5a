"""The log's HTTP surface (docs/architecture.md, "Proofs and receipts"). Paths are a contract.

The checkpoint and the verifier keys are public: a signed tree head reveals only a size and a
hash, and publishing it widely is what lets witnesses and learners detect a split view. Entries,
tiles and proofs are for auditors (and admins); a receipt is for whoever may see its entry.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from api.auth import allow, provide_principal
from api.desks import Log
from creditbank import limits
from creditbank.ledger.tiles import parse_tile_path
from creditbank.tokens import Principal
from schemas.api import ConsistencyProof, InclusionProof

__all__ = ["AuditController", "PublicLogController", "ReceiptController"]

TEXT = "text/plain; charset=utf-8"
OCTETS = "application/octet-stream"
IndexInPath = Annotated[int, PathParameter(ge=0, le=limits.proof_tree_size_max)]


def _size(name: str) -> QueryParameter:
    return QueryParameter(name=name, ge=0, le=limits.proof_tree_size_max)


class PublicLogController(Controller):
    path = "/v1/log"
    tags = ["log"]

    @get("/checkpoint", media_type=TEXT, summary="The latest signed checkpoint (C2SP)")
    async def checkpoint(self, log: Log) -> Response[str]:
        text = await log.checkpoint()
        return Response(text, media_type=TEXT, headers={"Cache-Control": "no-cache"})

    @get("/vkeys", media_type=TEXT, summary="Verifier keys of the active signing keys")
    async def vkeys(self, log: Log) -> Response[str]:
        return Response("".join(key + "\n" for key in log.verifier_keys()), media_type=TEXT)


class AuditController(Controller):
    path = "/v1/log"
    tags = ["log"]
    guards = [allow("auditor", "admin")]

    @get("/entries/{index:int}", media_type=MediaType.JSON, summary="An entry's canonical bytes")
    async def entry(self, log: Log, index: IndexInPath) -> Response[bytes]:
        return Response(await log.entry(index), media_type=MediaType.JSON)

    @get("/proof/inclusion", summary="RFC 9162 inclusion proof")
    async def inclusion(
        self,
        log: Log,
        index: Annotated[int, _size("index")],
        tree_size: Annotated[int, _size("tree_size")],
    ) -> InclusionProof:
        return await log.inclusion_proof(index, tree_size)

    @get("/proof/consistency", summary="RFC 9162 consistency proof")
    async def consistency(
        self,
        log: Log,
        from_size: Annotated[int, _size("from")],
        to_size: Annotated[int, _size("to")],
    ) -> ConsistencyProof:
        return await log.consistency_proof(from_size, to_size)

    @get("/tile/{path:path}", media_type=OCTETS, summary="C2SP tlog-tiles tiles and entry bundles")
    async def tile(self, log: Log, path: Annotated[str, PathParameter()]) -> Response[bytes]:
        # Exactly one leading slash comes from the route; anything else is not a canonical path.
        tile = parse_tile_path(path.removeprefix("/"))
        # Full tiles never change; partial ones are superseded as the log grows.
        # They are served to auditors only, so shared caches must not keep them ("private").
        cache = "private, max-age=31536000, immutable" if tile.width == 256 else "no-cache"
        return Response(await log.tile(tile), media_type=OCTETS, headers={"Cache-Control": cache})


class ReceiptController(Controller):
    path = "/v1/log/receipt"
    tags = ["log"]
    guards = [allow("issuer", "learner", "accreditor", "auditor", "admin")]
    dependencies = {"principal": provide_principal}

    @get("/{index:int}", media_type=TEXT, summary="The entry's c2sp.org/tlog-proof@v1")
    async def receipt(
        self,
        log: Log,
        principal: NamedDependency[Principal],
        index: IndexInPath,
    ) -> Response[str]:
        return Response(await log.receipt(principal, index), media_type=TEXT)
