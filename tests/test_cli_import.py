"""``creditbank import``: the example files, a dry run, the report, resubmission and URL mode.

Local mode runs the real command in a child process against the test database; URL mode runs
in-process against the real application through Litestar's TestClient (an httpx client).
"""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import io
import json
import os
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from litestar.testing import TestClient

from api.app import create_app
from creditbank.cli import imports as cli_import
from creditbank.cli.common import exit_status
from creditbank.cli.imports import ProgressBar, import_via_url, progress_line, summarise
from creditbank.service.deployment import open_bank
from creditbank.service.imports.pipeline import ImportOptions
from creditbank.settings import load_settings
from creditbank.storage.access import create_token
from creditbank.storage.engine import create_engine
from creditbank.storage.import_jobs import JobRow
from creditbank.tokens import Principal
from schemas.api import IssuerRegistration
from schemas.imports import ImportRow, ImportStatus, OnError
from tests.cli import creditbank

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "imports"
ENTERPRISE = "huadong-precision"
COMMUNITY = "xuhui-community"
EXAMPLE_ISSUERS = {
    "enterprise-training.csv": ENTERPRISE,
    "enterprise-training-gb18030.csv": ENTERPRISE,
    "community-courses.ndjson": COMMUNITY,
    "community-courses.json": COMMUNITY,
}
EXAMPLE_ROWS = {"csv": 6, "ndjson": 5, "json": 5}


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CREDITBANK_DATA_DIR": str(tmp_path / "data"),
        "CREDITBANK_DATABASE_URL": database_url,
    }


async def register_issuers(env: dict[str, str], public_key: str | None = None) -> None:
    bank = await open_bank(load_settings(env))
    try:
        await bank.start()
        await bank.deposits.register_issuer(
            IssuerRegistration(
                issuer_id=ENTERPRISE,
                name="华东精密制造有限公司",
                kind="enterprise",
                public_key=public_key,
            )
        )
        await bank.deposits.register_issuer(
            IssuerRegistration(issuer_id=COMMUNITY, name="徐汇区社区学校", kind="community_school")
        )
    finally:
        await bank.engine.dispose()


async def log_size(env: dict[str, str]) -> int:
    bank = await open_bank(load_settings(env))
    try:
        return int((await bank.log.checkpoint()).splitlines()[1])
    finally:
        await bank.engine.dispose()


async def import_in_process(env: dict[str, str], path: Path, signature: str) -> JobRow:
    bank = await open_bank(load_settings(env))
    try:
        await bank.start()
        options = ImportOptions(issuer_id=ENTERPRISE, file_format="csv", signature=signature)
        return await bank.imports.run_local(options, path)
    finally:
        await bank.engine.dispose()


def counts(summary: str) -> dict[str, int]:
    """The classification table of the command's summary."""
    found = {}
    for line in summary.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].replace(",", "").isdigit():
            found[parts[0]] = int(parts[1].replace(",", ""))
    return found


def report_rows(path: Path, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding))))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXAMPLE_ISSUERS))
def test_an_example_file_commits(env: dict[str, str], name: str) -> None:
    """Each shipped example file imports through the real command: committed, every row counted,
    a receipt path printed, and no progress bar when stdout is not a terminal."""
    asyncio.run(register_issuers(env))
    done = creditbank(env, "import", str(EXAMPLES / name), "--issuer", EXAMPLE_ISSUERS[name])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "result: committed" in done.stdout
    rows = EXAMPLE_ROWS[cli_import.FORMAT_BY_SUFFIX[Path(name).suffix]]
    found = counts(done.stdout)
    assert (found["rows"], found["recorded"], found["no_standard"]) == (rows, rows, rows)
    assert "/receipt" in done.stdout
    assert done.stderr == ""  # not a terminal: no progress bar


@pytest.mark.slow
def test_a_dry_run_with_a_malformed_row_exits_1_and_writes_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A dry run over a file with one wrong ID check character exits 1, names row 3's field and
    reason on stdout and in the UTF-8-with-BOM report, and leaves the log's size unchanged."""
    asyncio.run(register_issuers(env))
    source = tmp_path / "with-an-error.csv"
    # Row 3's resident ID number with a wrong check character.
    data = (EXAMPLES / "enterprise-training.csv").read_bytes()
    source.write_bytes(data.replace(b"110105197811231035", b"110105197811231036"))
    before = asyncio.run(log_size(env))
    report = tmp_path / "report.csv"
    arguments = ("--issuer", ENTERPRISE, "--dry-run", "--report", str(report))
    done = creditbank(env, "import", str(source), *arguments)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "result: dry_run" in done.stdout
    assert counts(done.stdout)["malformed"] == 1
    reason = "the check character of the resident ID number is wrong"
    assert f"3\tmalformed\tlearner_id\t{reason}" in done.stdout
    assert asyncio.run(log_size(env)) == before
    rows = report_rows(report, "utf-8-sig")
    assert rows[0][-2:] == ["状态", "错误说明"]
    assert rows[3][-2:] == ["malformed", f"learner_id: {reason}"]
    assert [row[-2] for row in rows[1:]] == ["no_standard"] * 2 + ["malformed"] + [
        "no_standard"
    ] * 3


@pytest.mark.slow
def test_a_signed_file_sent_again_reports_every_row_as_exists(
    env: dict[str, str], tmp_path: Path
) -> None:
    """The same signed GB18030 file sent twice: the second run commits nothing and reports every row
    as exists, naming the banked entry, in a report kept in the input's encoding."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    asyncio.run(register_issuers(env, base64.b64encode(public).decode()))
    path = EXAMPLES / "enterprise-training-gb18030.csv"
    signature = base64.b64encode(key.sign(hashlib.sha256(path.read_bytes()).digest())).decode()
    first = asyncio.run(import_in_process(env, path, signature))
    assert first.result == "committed", first
    report = tmp_path / "again.csv"
    arguments = ("--issuer", ENTERPRISE, "--signature", signature, "--report", str(report))
    again = creditbank(env, "import", str(path), *arguments)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "result: nothing_to_commit" in again.stdout
    assert counts(again.stdout)["exists"] == counts(again.stdout)["rows"] == 6
    rows = report_rows(report, "gb18030")  # the report keeps the input's encoding
    assert {row[-2] for row in rows[1:]} == {"exists"}
    assert rows[1][-1] == f"already banked as entry {first.first_index}"


async def issuer_token(database_url: str, issuer_id: str) -> str:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            return await create_token(connection, Principal(role="issuer", issuer_id=issuer_id))
    finally:
        await engine.dispose()


def test_url_mode_uploads_follows_and_reports(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Through the API: an upload commits and writes its report; a mixed file with on_error=skip
    commits the good rows and lists the malformed and duplicate ones; a bad signature fails the
    file with exit 2; an --issuer that is not the token's is refused as forbidden; an unknown
    token is refused as unauthenticated."""
    monkeypatch.setattr(cli_import, "poll_seconds", 0.05)
    settings = load_settings(
        {"CREDITBANK_DATA_DIR": str(tmp_path / "data"), "CREDITBANK_DATABASE_URL": database_url}
    )
    app = create_app(settings, announce_admin_token=False)
    with TestClient(app=app) as client:
        registered = client.post(
            "/v1/issuers",
            json={"issuer_id": COMMUNITY, "name": "徐汇区社区学校", "kind": "community_school"},
            headers={"Authorization": f"Bearer {app.state.bootstrap_admin_token}"},
        )
        assert registered.status_code == 201, registered.text
        token = asyncio.run(issuer_token(database_url, COMMUNITY))

        def upload(
            path: Path, on_error: OnError = "reject", signature: str | None = None
        ) -> tuple[ImportStatus, list[ImportRow], int, Path]:
            chosen = ImportOptions(
                issuer_id="", file_format="ndjson", on_error=on_error, signature=signature
            )
            report = tmp_path / f"{path.stem}.report.csv"
            status, rows = import_via_url(
                path, chosen, url="http://unused", token=token, report=report, client=client
            )
            return status, rows, summarise(status, rows, io.StringIO()), report

        status, rows, code, report = upload(EXAMPLES / "community-courses.ndjson")
        assert status.counts is not None
        assert (status.result, status.counts.recorded, rows, code) == ("committed", 5, [], 0)
        assert status.receipt == f"/v1/imports/{status.id}/receipt"
        header, *lines = report_rows(report, "utf-8-sig")
        assert header[0] == "record_id"
        assert header[-2:] == ["status", "error"]
        assert [line[-2] for line in lines] == ["no_standard"] * 5

        # New record ids; line 2 has hours at two decimals; line 6 repeats line 5's record id.
        text = (EXAMPLES / "community-courses.ndjson").read_text(encoding="utf-8")
        records = [json.loads(line) for line in text.splitlines()]
        for record in records:
            record["record_id"] = record["record_id"].replace("2026", "2027")
        records[1]["hours"] = "32.05"
        records.append({**records[4], "course_code": "COM-CN-02"})
        mixed = tmp_path / "mixed.ndjson"
        encoded = [json.dumps(record, ensure_ascii=False) + "\n" for record in records]
        mixed.write_text("".join(encoded), encoding="utf-8")
        status, rows, code, _ = upload(mixed, on_error="skip")
        assert status.counts is not None
        assert (status.result, status.counts.recorded, code) == ("committed", 4, 1)
        assert [(row.number, row.status, row.field) for row in rows] == [
            (2, "malformed", "hours"),
            (6, "duplicate_in_file", "record_id"),
        ]

        # The issuer has no key: the signature fails the whole file.
        status, rows, code, _ = upload(mixed, signature=base64.b64encode(bytes(64)).decode())
        assert (status.state, code) == ("failed", 2)
        assert "creditbank: invalid_signature:" in capsys.readouterr().err

        # An --issuer that is not the token's is refused, not imported as the token's issuer.
        elsewhere = ImportOptions(issuer_id="someone-else", file_format="ndjson")
        with pytest.raises(cli_import.ImportCommandError) as forbidden:
            import_via_url(mixed, elsewhere, url="", token=token, client=client)
        assert forbidden.value.code == "forbidden"

        plain = ImportOptions(issuer_id="", file_format="ndjson")
        with pytest.raises(cli_import.ImportCommandError) as refused:
            import_via_url(mixed, plain, url="", token="cbt_wrong", client=client)
        assert refused.value.code == "unauthenticated"


def test_the_progress_bar_redraws_at_most_five_times_a_second() -> None:
    """The progress bar draws percent, rows, rate and ETA, skips a redraw within 0.2 s of the
    last, clears its line on close, and stays off when the stream is not a terminal."""
    stream = io.StringIO()
    bar = ProgressBar(stream, enabled=True)
    bar.draw(8192, 512, 1024, 4096.0, 75.0)
    bar.draw(16384, 1000, 1024, 4096.0, 1.0)  # within 0.2 s of the last: not drawn
    line = progress_line(8192, 512, 1024, 4096.0, 75.0)
    assert stream.getvalue() == "\r" + line
    assert all(part in line for part in ("50.0%", "8,192 rows", "4,096 rows/s", "ETA 01:15"))
    bar.close()
    assert stream.getvalue() == "\r" + line + "\r" + " " * len(line) + "\r"
    assert not ProgressBar(io.StringIO()).enabled  # only on a terminal


def test_following_a_job_gives_up_at_its_deadline_with_exit_3(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--follow-seconds`` bounds the wait: past it the command stops with exit 3 and says
    where the job can still be followed; a poll answered 503 meanwhile is tried again, not
    taken as the job's end."""
    monkeypatch.setattr(cli_import, "poll_seconds", 0.01)
    settings = load_settings(
        {"CREDITBANK_DATA_DIR": str(tmp_path / "data"), "CREDITBANK_DATABASE_URL": database_url}
    )
    app = create_app(settings, announce_admin_token=False)
    with TestClient(app=app) as client:
        admin = {"Authorization": f"Bearer {app.state.bootstrap_admin_token}"}
        issuer = {"issuer_id": COMMUNITY, "name": "徐汇区社区学校", "kind": "community_school"}
        client.post("/v1/issuers", json=issuer, headers=admin).raise_for_status()
        token = asyncio.run(issuer_token(database_url, COMMUNITY))
        options = ImportOptions(issuer_id="", file_format="ndjson")
        path = EXAMPLES / "community-courses.ndjson"
        with pytest.raises(cli_import.ImportCommandError) as gave_up:
            import_via_url(path, options, url="", token=token, client=client, follow_seconds=0)
        assert gave_up.value.code == "still_running"
        assert "GET /v1/imports/" in gave_up.value.message
        assert exit_status(gave_up.value) == 3

        # Polls that meet a 503 keep following until the job ends.
        answers = iter([503, 503])
        real_get = client.get

        def flaky_get(url: str, **kwargs: object) -> object:
            status = next(answers, None)
            if status is not None and "/v1/imports/" in str(url):
                problem = {"code": "database_unavailable", "detail": "restarting"}
                return httpx.Response(status, json=problem, request=httpx.Request("GET", url))
            return real_get(url, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(client, "get", flaky_get)
        status, _ = import_via_url(path, options, url="", token=token, client=client)
        assert (status.state, status.result) == ("finished", "nothing_to_commit")
