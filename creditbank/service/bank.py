"""The application service: what the HTTP API and the CLI ask of the bank.

It owns the engine, the keys and the pseudonymizer, runs every write through the single append
path, and enforces the scope of each principal. Controllers stay thin: they decode, call one
method, encode.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from creditbank.errors import (
    ExistsWithDifferentContentError,
    ForbiddenError,
    IntegrityError,
    LedgerError,
    MalformedError,
    NotFoundError,
    UnknownIssuerError,
    WritesDisabledError,
)
from creditbank.keys import KeyRing
from creditbank.ledger.entries import SealedEntry, content_sha256, open_entry
from creditbank.ledger.proof_text import encode_tlog_proof
from creditbank.ledger.tiles import BundleId, TileId
from creditbank.outcomes import entry_for_issuer, normalise_outcome
from creditbank.privacy import Pseudonymizer
from creditbank.service.archives import ArchiveDesk
from creditbank.service.imports.desk import ImportDesk
from creditbank.service.recognitions import RecognitionDesk
from creditbank.service.revocations import RevocationDesk
from creditbank.service.standards import StandardsDesk
from creditbank.settings import DEFAULT_DATA_DIR
from creditbank.storage import access, reads
from creditbank.storage.append import log_transaction
from creditbank.storage.import_jobs import mark_interrupted
from creditbank.storage.integrity import check_head, publish_initial_checkpoint
from creditbank.storage.projections import load_totals
from creditbank.tokens import Principal
from schemas.api import (
    ConsistencyProof,
    InclusionProof,
    IssuerAccepted,
    IssuerRegistration,
    OutcomeAccepted,
    OutcomeRecord,
)
from schemas.entries import (
    BatchCommitted,
    OutcomeRecorded,
    OutcomeRevoked,
    RecognitionGranted,
    RecognitionReversed,
)

__all__ = ["Bank"]

Clock = Callable[[], datetime.datetime]


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Bank:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        keys: KeyRing,
        pseudonymizer: Pseudonymizer,
        clock: Clock = _utc_now,
        data_dir: Path | None = None,
    ) -> None:
        self.engine = engine
        self.pseudonymizer = pseudonymizer
        self.clock = clock
        self.writes_disabled: str | None = None
        self.standards = StandardsDesk(engine=engine, keys=keys, clock=lambda: self.clock())
        self.keys = keys
        # Imports keep their input and row results under the data directory.
        self.imports = ImportDesk(self, data_dir or Path(DEFAULT_DATA_DIR))
        self.archives = ArchiveDesk(
            engine=engine,
            pseudonymizer=pseudonymizer,
            clock=lambda: self.clock(),  # the bank's clock, even when a test replaces it
            keys=lambda: self.keys,
        )
        self.recognitions = RecognitionDesk(self)
        self.revocations = RevocationDesk(self)

    @property
    def keys(self) -> KeyRing:
        return self._keys

    @keys.setter
    def keys(self, ring: KeyRing) -> None:
        """Swap the signing keys (after a rotation) for every writer at once."""
        self._keys = ring
        self.standards.keys = ring

    async def start(self) -> None:
        """Publish a checkpoint if needed, then verify the head; on failure refuse writes."""
        async with self.engine.begin() as connection:
            await mark_interrupted(connection)
        try:
            await publish_initial_checkpoint(self.engine, self.keys)
            await check_head(self.engine, self.keys)
        except (IntegrityError, LedgerError) as error:
            self.writes_disabled = error.message
        else:
            self.writes_disabled = None

    def require_writable(self) -> None:
        if self.writes_disabled is not None:
            raise WritesDisabledError(f"the log refuses writes: {self.writes_disabled}")

    # Access ----------------------------------------------------------------------------------

    async def authenticate(self, token: str) -> Principal | None:
        async with self.engine.connect() as connection:
            return await access.principal_for_token(connection, token)

    async def create_token(self, principal: Principal, label: str | None = None) -> str:
        async with self.engine.begin() as connection:
            return await access.create_token(connection, principal, label)

    async def bootstrap_admin_token(self) -> str | None:
        """A one-time admin token when the database has no tokens at all, else None."""
        async with log_transaction(self.engine, self.keys) as transaction:
            # The log's write lock serialises two processes starting at once.
            if await access.count_tokens(transaction.connection) > 0:
                return None
            token = await access.create_token(
                transaction.connection, Principal(role="admin"), "bootstrap"
            )
            await transaction.commit()
            return token

    # Writes ----------------------------------------------------------------------------------

    async def register_issuer(self, registration: IssuerRegistration) -> IssuerAccepted:
        self.require_writable()
        entry = entry_for_issuer(registration, now=self.clock())
        digest = content_sha256(entry)
        async with log_transaction(self.engine, self.keys) as transaction:
            existing = await reads.find_issuer(transaction.connection, entry.issuer_id)
            if existing is not None:
                if existing.content_sha256 != digest:
                    raise ExistsWithDifferentContentError(
                        f"issuer {entry.issuer_id} is registered with other details",
                        index=existing.entry_index,
                    )
                return IssuerAccepted(
                    status="exists", issuer_id=entry.issuer_id, index=existing.entry_index
                )
            appended = await transaction.append([SealedEntry(entry)])
            await transaction.commit()
        return IssuerAccepted(
            status="recorded", issuer_id=entry.issuer_id, index=appended.first_index
        )

    async def record_outcome(self, principal: Principal, record: OutcomeRecord) -> OutcomeAccepted:
        self.require_writable()
        if record.issuer_id is None:
            raise MalformedError("issuer_id", "is required")
        if principal.role != "issuer" or principal.issuer_id != record.issuer_id:
            raise ForbiddenError("an issuer token may record outcomes for its own issuer only")
        entry, personal = normalise_outcome(
            record, issuer_id=record.issuer_id, pseudonymizer=self.pseudonymizer, now=self.clock()
        )
        digest = content_sha256(entry)
        async with log_transaction(self.engine, self.keys) as transaction:
            connection = transaction.connection
            issuer = await reads.find_issuer(connection, entry.issuer_id)
            if issuer is None:
                raise UnknownIssuerError(f"issuer {entry.issuer_id} is not registered")
            existing = await reads.find_outcome(connection, entry.issuer_id, entry.record_id)
            if existing is not None:
                if existing.content_sha256 != digest:
                    raise ExistsWithDifferentContentError(
                        f"record {entry.record_id} of issuer {entry.issuer_id} was recorded "
                        "with other content",
                        index=existing.entry_index,
                    )
                original = open_entry(await reads.entry(connection, existing.entry_index))
                assert isinstance(original, OutcomeRecorded)
                return _accepted("exists", existing.entry_index, original)
            # Under the lock, so the caps see every award committed before this one.
            rulebook = await self.standards.rulebook(connection)
            totals = await load_totals(connection, [entry.learner_ref])
            decision = rulebook.evaluate(entry, issuer.kind, totals)
            entry = msgspec.structs.replace(entry, award=decision.award)
            appended = await transaction.append([SealedEntry(entry)], decision.deltas)
            await access.upsert_person(connection, personal)
            await transaction.commit()
        return _accepted("recorded", appended.first_index, entry)

    # The log's read surface ------------------------------------------------------------------

    async def checkpoint(self) -> str:
        async with self.engine.connect() as connection:
            stored = await reads.latest_checkpoint(connection)
        if stored is None:
            raise NotFoundError("the log has no checkpoint yet")
        return stored.signed_note

    def verifier_keys(self) -> list[str]:
        return self.keys.active_verifier_keys()

    async def entry(self, index: int) -> bytes:
        async with self.engine.connect() as connection:
            return await reads.entry(connection, index)

    async def inclusion_proof(self, index: int, tree_size: int) -> InclusionProof:
        async with self.engine.connect() as connection:
            hashes = await reads.inclusion_proof(connection, index, tree_size)
        return InclusionProof(index=index, tree_size=tree_size, hashes=[_b64(h) for h in hashes])

    async def consistency_proof(self, old_size: int, new_size: int) -> ConsistencyProof:
        async with self.engine.connect() as connection:
            hashes = await reads.consistency_proof(connection, old_size, new_size)
        return ConsistencyProof(
            from_size=old_size, to_size=new_size, hashes=[_b64(h) for h in hashes]
        )

    async def tile(self, tile: TileId | BundleId) -> bytes:
        async with self.engine.connect() as connection:
            head = await reads.log_head(connection)
            if isinstance(tile, BundleId):
                return await reads.read_bundle(connection, tile, head.tree_size)
            return await reads.read_tile(connection, tile, head.tree_size)

    async def receipt(self, principal: Principal, index: int) -> str:
        """The entry's c2sp.org/tlog-proof@v1 against the latest checkpoint."""
        async with self.engine.connect() as connection:
            body = await reads.entry(connection, index)
            _check_entry_visible(principal, open_entry(body), index)
            stored = await reads.latest_checkpoint(connection)
            if stored is None or stored.tree_size <= index:
                raise NotFoundError(f"no signed checkpoint covers entry {index} yet")
            path = await reads.inclusion_proof(connection, index, stored.tree_size)
        return encode_tlog_proof(index, path, stored.signed_note)


def _accepted(
    status: Literal["recorded", "exists"], index: int, entry: OutcomeRecorded
) -> OutcomeAccepted:
    return OutcomeAccepted(
        status=status,
        index=index,
        learner_ref=entry.learner_ref,
        award=entry.award,
        receipt=f"/v1/log/receipt/{index}",
    )


def _check_entry_visible(principal: Principal, entry: object, index: int) -> None:
    """Issuers see their own outcomes, revocations and batches; learners the entries about
    themselves; others get 404, not 403."""
    if principal.role in ("auditor", "admin"):
        return
    issuer_id = principal.issuer_id if principal.role == "issuer" else None
    if isinstance(entry, BatchCommitted | OutcomeRecorded | OutcomeRevoked) and (
        issuer_id is not None and entry.issuer_id == issuer_id
    ):
        return
    learner_ref = principal.learner_ref if principal.role == "learner" else None
    about_learner = OutcomeRecorded | OutcomeRevoked | RecognitionGranted | RecognitionReversed
    if isinstance(entry, about_learner) and (
        learner_ref is not None and entry.learner_ref == learner_ref
    ):
        return
    raise NotFoundError(f"no entry {index}")
