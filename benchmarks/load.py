"""``python -m benchmarks load``: single deposits under load, alone and during a 1M-row import.

A real ``creditbank serve`` on a scratch database, on the loopback interface only, and N clients,
each one keep-alive HTTP/1.1 connection sending deposits back to back (new record ids; a learner
per 8 deposits; the course earns credits under a capped standard, so every deposit runs the rules
engine). The deposits come from another enterprise than the import's, about other learners, as
when one company uploads its year while others record single courses: a deposit about a learner
of the file would make the staged import classify again under the lock (``storage.staging``).
The clients speak raw HTTP over asyncio streams: a full HTTP client would spend more of the
machine's two cores than the server it measures. Every run is bounded twice, by requests and by
seconds, whichever comes first; a request taking longer than ``request_timeout_seconds`` counts
as an error. Printed per backend, clients and phase: requests/s, p50/p99/max latency, errors.

During the import phase a file of ``import_rows`` rows is uploaded to the same server, and the
deposits run from the moment the job is accepted until it ends (or the bounds), in open loop:
``rate`` a second on schedule, each latency counted from when its request was due. A closed loop
(the alone phases, which measure the most the server can take) sends less while the server
stalls, so its p99 would hide a stall; the schedule does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.databases import scratch_database
from benchmarks.import_files import ISSUER_ID, ISSUER_NAME, SAFETY, resident_id, write_import_file
from creditbank.service.deployment import open_bank
from creditbank.settings import load_settings
from creditbank.storage.access import create_token
from creditbank.tokens import Principal
from schemas.api import IssuerRegistration

__all__ = ["LoadRun", "run", "run_backend"]

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
DEFAULT_CLIENTS = (8, 32)
DEFAULT_REQUESTS = 20_000
DEFAULT_SECONDS = 15.0
DEFAULT_IMPORT_ROWS = 1_000_000
DURING_IMPORT_SECONDS = 300.0
# Deposits a second during the import, sent on schedule whatever the answers (open loop).
DEFAULT_RATE = 100.0
request_timeout_seconds = 60.0
DEPOSIT_ISSUER = "bench-other"
# Deposits' learners are numbered from here: the import file's are below it.
DEPOSIT_LEARNERS_FROM = 10_000_000
_BODY = (
    '{{"issuer_id":"{issuer}","record_id":"L{run}-{serial}","learner_id":"{learner}",'
    '"learner_name":"王芳","course_code":"SAFE-101","course_title":"安全生产培训",'
    '"outcome_type":"enterprise_training","hours":"16","result":"passed",'
    '"completed_on":"2025-0{month}-1{day}"}}'
)


@dataclass
class LoadRun:
    """One phase's figures."""

    backend: str
    clients: int
    phase: str
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def figures(self) -> dict[str, Any]:
        ordered = sorted(self.latencies) or [0.0]
        return {
            "backend": self.backend,
            "clients": self.clients,
            "phase": self.phase,
            "requests": self.requests,
            "requests_per_second": round(self.requests / self.seconds, 1) if self.seconds else 0,
            "p50_ms": round(1000 * statistics.median(ordered), 1),
            "p99_ms": round(1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
            "max_ms": round(1000 * ordered[-1], 1),
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
        }


class _Requests:
    """The deposit requests of one run, each with a new record id, as raw HTTP/1.1 bytes."""

    def __init__(self, token: str, run: str) -> None:
        self._token = token
        self._run = run
        self._serials = itertools.count()

    def next(self) -> bytes:
        serial = next(self._serials)
        body = _BODY.format(
            issuer=DEPOSIT_ISSUER,
            run=self._run,
            serial=serial,
            learner=resident_id(DEPOSIT_LEARNERS_FROM + serial // 8),
            month=1 + serial % 9,
            day=serial % 10,
        ).encode()
        head = (
            f"POST /v1/outcomes HTTP/1.1\r\nHost: {LOOPBACK}\r\n"
            f"Authorization: Bearer {self._token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body


async def _response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


class _Schedule:
    """When each request is due, at ``rate`` a second from the start (open loop), or None for
    closed loop (each client sends as soon as its last answer came)."""

    def __init__(self, rate: float | None) -> None:
        self._rate = rate
        self._start = time.perf_counter()
        self._sent = itertools.count()

    def due(self) -> float | None:
        if self._rate is None:
            return None
        return self._start + next(self._sent) / self._rate


async def _client(
    port: int, requests: _Requests, until: Callable[[], bool], run: LoadRun, schedule: _Schedule
) -> None:
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while not until():
        due = schedule.due()
        if due is not None:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        if connection is None:
            connection = await asyncio.open_connection(LOOPBACK, port)
        reader, writer = connection
        # Open loop: from when the request was due, so time spent queued behind a stalled one
        # counts (a closed loop sends less while the server stalls, and hides the stall).
        started = time.perf_counter() if due is None else due
        try:
            writer.write(requests.next())
            status = await asyncio.wait_for(_response(reader), request_timeout_seconds)
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
            run.errors[type(error).__name__] += 1
            writer.close()
            connection = None
            continue
        run.latencies.append(time.perf_counter() - started)
        run.requests += 1
        if status not in (200, 201):
            run.errors[str(status)] += 1
    if connection is not None:
        connection[1].close()


async def deposit_load(
    port: int,
    token: str,
    run: LoadRun,
    *,
    requests: int,
    seconds: float,
    also_until: Callable[[], bool] = lambda: False,
    at_least: int = 0,
    rate: float | None = None,
) -> LoadRun:
    """``run.clients`` clients sending deposits until ``requests`` were sent, ``seconds`` passed
    or, once ``at_least`` were sent, ``also_until`` says so; at ``rate`` a second in all, each
    latency counted from when its request was due, or (None) as fast as answers come."""
    deadline = time.monotonic() + seconds
    # Record ids stay short and new in every run: "L<run>-<serial>", the run a time in hex.
    source = _Requests(token, f"{time.time_ns():x}")
    schedule = _Schedule(rate)

    def until() -> bool:
        if run.requests >= requests or time.monotonic() >= deadline:
            return True
        return run.requests >= at_least and also_until()

    started = time.perf_counter()
    await asyncio.gather(*(_client(port, source, until, run, schedule) for _ in range(run.clients)))
    run.seconds = time.perf_counter() - started
    return run


# The server ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


async def _prepare(env: dict[str, str]) -> tuple[str, str]:
    """Keys, the two issuers, the capped standard; the depositing and the importing issuer's
    tokens."""
    bank = await open_bank(load_settings(env))
    try:
        await bank.start()
        async with bank.engine.begin() as connection:
            await create_token(connection, Principal(role="admin"))  # nothing printed at start
            tokens = [
                await create_token(connection, Principal(role="issuer", issuer_id=issuer))
                for issuer in (DEPOSIT_ISSUER, ISSUER_ID)
            ]
        for issuer in (DEPOSIT_ISSUER, ISSUER_ID):
            await bank.deposits.register_issuer(
                IssuerRegistration(issuer_id=issuer, name=ISSUER_NAME, kind="enterprise")
            )
        await bank.standards.publish(SAFETY)
        return tokens[0], tokens[1]
    finally:
        await bank.engine.dispose()


@contextlib.contextmanager
def serving(url: str, data_dir: Path, workers: int) -> Iterator[tuple[int, str, str]]:
    """``creditbank serve`` on a loopback port; the port, the depositing issuer's token and
    the importing issuer's."""
    port = _free_port()
    env = {
        **os.environ,
        "CREDITBANK_DATABASE_URL": url,
        "CREDITBANK_DATA_DIR": str(data_dir),
        "CREDITBANK_HOST": LOOPBACK,
        "CREDITBANK_PORT": str(port),
    }
    token, importer = asyncio.run(_prepare(env))
    server = subprocess.Popen(
        [sys.executable, "-m", "creditbank.cli.main", "serve", "--workers", str(workers)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://{LOOPBACK}:{port}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield port, token, importer
    finally:
        server.terminate()
        server.wait(timeout=60)


# The import beside the deposits ----------------------------------------------------------------


def _upload(port: int, token: str, path: Path) -> str:
    """Upload the import file; the job's URL."""

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                yield chunk

    response = httpx.post(
        f"http://{LOOPBACK}:{port}/v1/imports",
        params={"format": "csv", "on_error": "skip"},
        content=chunks(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "text/csv",
            "Content-Length": str(path.stat().st_size),
        },
        timeout=600,
    )
    response.raise_for_status()
    return f"http://{LOOPBACK}:{port}/v1/imports/{response.json()['id']}"


async def _during_import(
    port: int, tokens: tuple[str, str], path: Path, run: LoadRun, requests: int, rate: float
) -> dict[str, Any]:
    token, importer = tokens
    job = await asyncio.to_thread(_upload, port, importer, path)
    state = {"running": True, "job": {}}
    started = time.perf_counter()

    async def watch() -> None:
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {importer}"}) as client:
            while state["running"]:
                state["job"] = (await client.get(job, timeout=60)).json()
                state["running"] = state["job"]["state"] == "running"
                await asyncio.sleep(0.5)

    watcher = asyncio.create_task(watch())
    await deposit_load(
        port,
        token,
        run,
        requests=requests,
        seconds=DURING_IMPORT_SECONDS,
        also_until=lambda: not state["running"],
        at_least=run.clients,  # a small import may end before the first deposit
        rate=rate,
    )
    await watcher
    job_state: dict[str, Any] = state["job"]  # type: ignore[assignment]
    return {
        "import_state": job_state.get("state"),
        "import_result": job_state.get("result"),
        "import_seconds": round(time.perf_counter() - started, 1),
    }


def run_backend(
    backend: str,
    url: str,
    *,
    clients: tuple[int, ...] = DEFAULT_CLIENTS,
    requests: int = DEFAULT_REQUESTS,
    seconds: float = DEFAULT_SECONDS,
    import_rows: int = DEFAULT_IMPORT_ROWS,
    workers: int = 1,
    rate: float = DEFAULT_RATE,
) -> list[dict[str, Any]]:
    """Every phase on one backend: deposits alone per client count, then during an import."""
    figures = []
    with tempfile.TemporaryDirectory(prefix="creditbank-load-") as work:
        directory = Path(work)
        with serving(url, directory / "data", workers) as (port, token, importer):
            for count in clients:
                run = LoadRun(backend, count, f"alone, {workers} worker(s)")
                asyncio.run(deposit_load(port, token, run, requests=requests, seconds=seconds))
                figures.append(run.figures())
                print(f"[load/{backend}] {json.dumps(figures[-1])}", flush=True)
            if import_rows:
                made = write_import_file(directory / "import.csv", import_rows)
                phase = f"during a {import_rows}-row import, {rate:g}/s open loop"
                run = LoadRun(backend, max(clients), phase)
                tokens = (token, importer)
                extra = asyncio.run(_during_import(port, tokens, made.path, run, requests, rate))
                figures.append(run.figures() | extra)
                print(f"[load/{backend}] {json.dumps(figures[-1])}", flush=True)
    return figures


def run(
    backends: list[str],
    *,
    clients: tuple[int, ...] = DEFAULT_CLIENTS,
    requests: int = DEFAULT_REQUESTS,
    seconds: float = DEFAULT_SECONDS,
    import_rows: int = DEFAULT_IMPORT_ROWS,
    workers: int = 1,
    rate: float = DEFAULT_RATE,
) -> dict[str, list[dict[str, Any]]]:
    report = {}
    for backend in backends:
        with scratch_database(backend) as url:
            report[backend] = run_backend(
                backend,
                url,
                clients=clients,
                requests=requests,
                seconds=seconds,
                import_rows=import_rows,
                workers=workers,
                rate=rate,
            )
    return report
