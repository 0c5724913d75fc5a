"""The bulk import pipeline: a file in, every row classified, at most one append out.

Two tasks overlap. A producer reads the file and prepares rows (decode, validate, normalise,
pseudonymise, digest) in slices, yielding to the event loop between slices; the consumer takes
chunks of prepared rows and, on the log's connection, looks up what the issuer banked, loads the
learners' totals, classifies, evaluates, and adds the chunk to the append. While the database
works on one chunk (a COPY on PostgreSQL), the producer prepares the next.

``commit`` first classifies against a snapshot without the log's write lock, staging what it
would append (``storage.staging``), then takes the lock only to check that nothing it decided on
moved and to place the staged rows; if something moved it runs again holding the lock from the
first row to the last, as it always did. Either way the whole batch and its ``batch.committed``
entry are one append with one checkpoint, or nothing. ``dry_run`` reads one snapshot without the
lock and writes nothing to the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field

from msgspec.structs import replace
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.imports.classify import Banked, ChunkResult, Classifier
from creditbank.imports.prepare import Prepared, Unreadable
from creditbank.imports.row_paths import RowPath, prepared_rows
from creditbank.imports.signature import verify_file_signature
from creditbank.ledger.entries import SealedEntry
from creditbank.outcomes import demography, format_timestamp
from creditbank.privacy import Pseudonymizer
from creditbank.rules.engine import RuleBook, TotalKey
from creditbank.service.imports.files import JobFiles, ResultsWriter, job_input
from creditbank.service.imports.writer import OrderedWriter
from creditbank.statistics.facts import Demographic
from creditbank.storage import reads
from creditbank.storage.append import AppendStream
from creditbank.storage.import_rows import banked_records, has_banked, upsert_people
from creditbank.storage.import_totals import TotalsSpill, batched, committed_totals, drain_rows
from creditbank.storage.projections import add_totals
from creditbank.storage.staging import StagedAppend
from schemas.entries import BatchCommitted, BatchCounts
from schemas.imports import ImportFormat, ImportResult, OnError

__all__ = ["FileFormat", "ImportOptions", "ImportOutcome", "Progress", "classify_file"]

FileFormat = ImportFormat  # the name the command line knows it by

# Rows per chunk: one COPY per table per chunk. A row in flight holds about 2 KB of Python objects
# (its record, entry, canonical bytes, personal data, result) and up to three chunks are in flight
# (one being prepared, one queued, one being written): 4,096 rows keeps that near 25 MB, while
# larger chunks gained nothing measurable.
import_chunk_rows = 4_096
chunks_queued_max = 1
# Learners whose running totals an import keeps in memory (``RunningTotals``, about 150 bytes a
# learner: 38 MB) before it spills their deltas (``TotalsSpill``, on the reader's session) and
# forgets them. A million-row file of 125,000 learners never spills; a file with more learners
# than this, in no particular order, reads most of them back from the spill.
learners_in_memory_max = 250_000
# Allocations between collections of the youngest generation while an import runs (default 700).
gc_young_allocations = 100_000
# Rows prepared between yields to the event loop, so the connection never waits long for us.
prepare_slice_rows = 256


@dataclass(frozen=True, kw_only=True)
class ImportOptions:
    issuer_id: str
    file_format: FileFormat
    dry_run: bool = False
    on_error: OnError = "reject"
    signature: str | None = None  # base64 Ed25519 over the file's raw SHA-256
    default_outcome_type: str | None = None


@dataclass
class Progress:
    """What a running import has reached; read by the status endpoint and the progress bar."""

    bytes_total: int = 0
    bytes_read: list[int] = field(default_factory=lambda: [0])
    rows: int = 0
    errors: int = 0
    # Seconds the row loop waited for the database: what the overlap with writing did not hide.
    database_seconds: float = 0.0


@dataclass(frozen=True, kw_only=True)
class ImportOutcome:
    result: ImportResult
    counts: BatchCounts
    first_index: int | None = None
    last_index: int | None = None
    batch_index: int | None = None


class _End:
    pass


async def _prepared_chunks(
    rows: Iterator[Prepared | Unreadable],
) -> AsyncIterator[list[Prepared | Unreadable]]:
    """Chunks of prepared rows, produced by a task that runs while the consumer awaits I/O."""
    queue: asyncio.Queue[list[Prepared | Unreadable] | _End | Exception] = asyncio.Queue(
        chunks_queued_max
    )

    async def produce() -> None:
        chunk: list[Prepared | Unreadable] = []
        try:
            for row in rows:
                chunk.append(row)
                if len(chunk) % prepare_slice_rows == 0:
                    if len(chunk) >= import_chunk_rows:
                        await queue.put(chunk)
                        chunk = []
                    await asyncio.sleep(0)
            if chunk:
                await queue.put(chunk)
            await queue.put(_End())
        except Exception as error:
            if chunk:
                await queue.put(chunk)  # classified for the report; the error then ends the run
            await queue.put(error)

    producer = asyncio.create_task(produce())
    try:
        while not isinstance(item := await queue.get(), _End):
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        producer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await producer


@dataclass(kw_only=True)
class FileRun:
    """Everything one pass over a file needs; ``stream`` is None for a dry run."""

    connection: AsyncConnection  # the log's (a dry run's snapshot)
    reader: AsyncConnection  # committed state: banked records and totals, read beside writes
    options: ImportOptions
    files: JobFiles
    rulebook: RuleBook
    pseudonymizer: Pseudonymizer
    now: datetime.datetime
    progress: Progress
    stream: AppendStream | StagedAppend | None
    row_path: RowPath = "lean"


# Takes the log's lock and moves what was staged into the log; the append, to be ended.
Place = Callable[[StagedAppend], Awaitable[AppendStream]]


async def classify_file(
    run: FileRun, file_sha256: str, place: Place | None = None
) -> ImportOutcome:
    """Classify every row; when committing, add the recordable rows to the append as they come
    (or to the staged append, which ``place`` moves into the log under the lock at the end)
    and end it with the batch entry (the caller commits)."""
    options = run.options
    issuer = await reads.find_issuer(run.reader, options.issuer_id)
    if options.signature is not None:
        verify_file_signature(
            None if issuer is None else issuer.public_key, options.signature, file_sha256
        )
    classifier = Classifier(
        issuer_kind=None if issuer is None else issuer.kind, rulebook=run.rulebook
    )
    results = run.files.open_results()
    database = _Database(run)
    try:
        with _fewer_collections():
            writing = await _classify_rows(run, classifier, results, database, issuer is not None)
        await database.finish()
    finally:
        results.close()
        await database.cancel()
    counts = classifier.batch_counts()
    # ``recorded`` counts rows that are in the log; a dry run or a rejected batch recorded none.
    if run.stream is None:
        return ImportOutcome(result="dry_run", counts=replace(counts, recorded=0))
    if not writing:
        return ImportOutcome(result="rejected", counts=replace(counts, recorded=0))
    if counts.recorded == 0:
        return ImportOutcome(result="nothing_to_commit", counts=counts)
    return await _end_append(run, database, classifier, file_sha256, place)


async def _end_append(
    run: FileRun,
    database: _Database,
    classifier: Classifier,
    file_sha256: str,
    place: Place | None,
) -> ImportOutcome:
    """The batch entry after the rows, the learners' totals, and the one checkpoint; a staged
    import's rows and totals are placed under the lock first."""
    options, counts, stream = run.options, classifier.batch_counts(), run.stream
    assert stream is not None
    totals_placed = isinstance(stream, StagedAppend)
    if isinstance(stream, StagedAppend):
        assert place is not None
        await database.stage_totals(stream, classifier.deltas())
        stream = await place(stream)
    first, last = stream.first_index, stream.size - 1
    batch = BatchCommitted(
        issuer_id=options.issuer_id,
        file_sha256=file_sha256,
        file_format=options.file_format,
        on_error=options.on_error,
        counts=counts,
        first_index=first,
        last_index=last,
        signature=options.signature,
        committed_at=format_timestamp(run.now),
    )
    batch_index = await stream.add([SealedEntry(batch)])
    if not totals_placed:
        await database.add_totals(classifier.deltas())
    await stream.seal()
    return ImportOutcome(
        result="committed",
        counts=counts,
        first_index=first,
        last_index=last,
        batch_index=batch_index,
    )


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Let the cyclic garbage collector run rarely while rows stream through.

    Each chunk's thousands of row objects live just long enough to be promoted to the older
    generations, so with the default thresholds the collector kept re-scanning them and the
    import's growing totals: 30-40% of the Python time in a profile. Rows make no cycles; the
    collector still runs, every 100,000 allocations instead of 700.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(gc_young_allocations, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


class _Database:
    """The import's database side. The log's connection is the ordered writer's alone (entries,
    tiles, outcomes, people); the reader answers the row loop (banked records, committed totals)
    and hosts the totals spill, so no read waits behind a write."""

    def __init__(self, run: FileRun) -> None:
        self.run = run
        self.writer = None if run.stream is None else OrderedWriter()
        self.spill = TotalsSpill(run.reader)
        self._read_seconds = 0.0
        self.demography: dict[str, Demographic] = {}  # the file's learners: birth date, sex

    async def banked(self, record_ids: list[str]) -> dict[str, Banked]:
        started = time.perf_counter()
        found = await banked_records(self.run.reader, self.run.options.issuer_id, record_ids)
        self._waited(started)
        return found

    async def totals(self, refs: list[str]) -> dict[TotalKey, int]:
        """Committed totals, plus what this import spilled of these learners."""
        started = time.perf_counter()
        totals = await committed_totals(self.run.reader, refs)
        for key, amount in (await self.spill.read(refs)).items():
            totals[key] = totals.get(key, 0) + amount
        self._waited(started)
        return totals

    async def store(self, chunk: ChunkResult) -> None:
        """Sequence the chunk's entries now (their indices go in the report) and store them,
        with the learners' data, behind the writes already queued."""
        assert self.run.stream is not None
        assert self.writer is not None
        # Every learner of the file is in the people of the chunk that first names them.
        self.demography.update(demography(chunk.people))
        placed = self.run.stream.sequence(chunk.entries, chunk.digests, self.demography)
        for offset, result in enumerate(chunk.recorded):
            result.index = placed.first_index + offset
        connection, people = self.run.connection, chunk.people

        stream = self.run.stream

        async def write() -> None:
            await placed.store()
            if isinstance(stream, StagedAppend):
                await stream.stage_people(people)
            else:
                await upsert_people(connection, people)

        started = time.perf_counter()
        await self.writer.submit(write)
        self._waited(started)

    async def set_totals_aside(self, deltas: Iterator[tuple[TotalKey, int]]) -> None:
        started = time.perf_counter()
        await self.spill.write(deltas)
        self._waited(started)

    async def add_totals(self, in_memory: Iterator[tuple[TotalKey, int]]) -> None:
        """Add the import's deltas to the learners' totals in the log's transaction (the writer
        has finished with its connection): those in memory and those spilled, a batch at a
        time, never all at once."""
        started = time.perf_counter()
        for batch in batched(in_memory, drain_rows):
            await add_totals(self.run.connection, batch)
        async for batch in self.spill.drain():
            await add_totals(self.run.connection, batch)
        self._waited(started)

    async def stage_totals(
        self, staged: StagedAppend, in_memory: Iterator[tuple[TotalKey, int]]
    ) -> None:
        """Stage the import's deltas beside its rows, before the lock: those in memory and those
        spilled, a batch at a time."""
        started = time.perf_counter()
        for batch in batched(in_memory, drain_rows):
            await staged.stage_totals(batch)
        async for batch in self.spill.drain():
            await staged.stage_totals(batch)
        self._waited(started)

    async def finish(self) -> None:
        if self.writer is not None:
            started = time.perf_counter()
            await self.writer.finish()
            self._waited(started)

    async def cancel(self) -> None:
        if self.writer is not None:
            await self.writer.cancel()

    def _waited(self, started: float) -> None:
        self._read_seconds += time.perf_counter() - started
        self.run.progress.database_seconds = self._read_seconds


async def _classify_rows(
    run: FileRun,
    classifier: Classifier,
    results: ResultsWriter,
    database: _Database,
    issuer_known: bool,
) -> bool:
    """Classify the file chunk by chunk; whether every recordable row was added to the append."""
    options, progress = run.options, run.progress
    writing = run.stream is not None
    # An issuer's first import has nothing banked to compare with: skip a query per chunk. (Rows
    # this import adds are found by the in-file duplicate check before any look-up.)
    look_up = issuer_known and await has_banked(run.reader, options.issuer_id)
    prepared = prepared_rows(
        run.row_path,
        options.file_format,
        await job_input(run.files.input, options.file_format, progress.bytes_read),
        issuer_id=options.issuer_id,
        pseudonymizer=run.pseudonymizer,
        now=run.now,
        default_outcome_type=options.default_outcome_type,
    )
    async for rows in _prepared_chunks(prepared):
        record_ids = [row.entry.record_id for row in rows if isinstance(row, Prepared)]
        banked = await database.banked(record_ids) if look_up else {}
        if refs := classifier.learners_to_load(rows):
            classifier.load_totals(await database.totals(refs))
        chunk = classifier.classify(rows, banked)
        if chunk.errors and options.on_error == "reject":
            writing = False  # the batch is rejected; go on classifying for the report
        if writing and chunk.entries:
            await database.store(chunk)
        if classifier.learners_in_memory > learners_in_memory_max:
            await database.set_totals_aside(classifier.take_deltas())
        results.write(chunk.results)
        progress.rows += len(rows)
        progress.errors += chunk.errors
    return writing
