"""The command line's one error type, how every command prints it, and its one HTTP helper."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from creditbank.audit.verification import VerificationError
from creditbank.cli import imports as cli_import
from creditbank.cli.common import (
    CommandError,
    async_client,
    error_line,
    exit_status,
    open_service,
    service_token,
)
from creditbank.cli.main import main
from creditbank.errors import AlreadyRevokedError


@pytest.fixture
def umask() -> Iterator[None]:
    """``main`` sets a private umask for the whole process; give the old one back."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def test_every_error_is_one_line_with_its_code() -> None:
    """A CommandError, any other CreditbankError and a failed verification print the same way;
    only a failed verification exits 1."""
    assert error_line(CommandError("usage", "--issuer is required")) == (
        "creditbank: usage: --issuer is required"
    )
    revoked = AlreadyRevokedError("the outcome is already revoked")
    assert error_line(revoked) == f"creditbank: {revoked.code}: the outcome is already revoked"
    assert (exit_status(CommandError("usage", "x")), exit_status(revoked)) == (2, 2)
    assert exit_status(VerificationError("entry 3 differs")) == 1
    assert cli_import.ImportCommandError is CommandError  # the older name, kept for its tests


def test_main_prints_a_command_error_on_stderr_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], umask: None
) -> None:
    """A command's own error reaches the user as ``creditbank: CODE: message`` on stderr."""
    assert main(["import", str(tmp_path / "missing.csv"), "--issuer", "acme"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"creditbank: not_found: no file at {tmp_path / 'missing.csv'}\n"
    assert main(["verify-bundle", str(tmp_path / "missing.json")]) == 2
    assert capsys.readouterr().err.startswith("creditbank: not_found: cannot read ")


def test_verify_url_without_a_token_names_both_ways_to_give_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], umask: None
) -> None:
    """``verify --url`` with neither --token nor CREDITBANK_TOKEN fails before any request,
    saying how to give the token."""
    monkeypatch.delenv("CREDITBANK_TOKEN", raising=False)
    # Port 9 (discard): were anything fetched, the error would be a different one.
    assert main(["verify", "--url", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("creditbank: usage: --url needs an auditor's")
    assert "--token" in err
    assert "CREDITBANK_TOKEN" in err


def test_the_token_comes_from_the_option_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--token wins; CREDITBANK_TOKEN is the default; neither is a usage error."""
    monkeypatch.setenv("CREDITBANK_TOKEN", "cbt_from_env")
    assert service_token("cbt_given") == "cbt_given"
    assert service_token(None) == "cbt_from_env"
    monkeypatch.delenv("CREDITBANK_TOKEN")
    with pytest.raises(CommandError) as missing:
        service_token(None, role="an issuer")
    assert missing.value.code == "usage"
    assert "--token" in missing.value.message
    assert "CREDITBANK_TOKEN" in missing.value.message


def problem_server(request: httpx.Request) -> httpx.Response:
    """A service that knows one token and one path."""
    if request.headers.get("Authorization") != "Bearer cbt_good":
        return httpx.Response(
            401,
            json={"type": "about:blank", "code": "unauthenticated", "detail": "unknown token"},
            headers={"Content-Type": "application/problem+json"},
        )
    if request.url.path == "/v1/thing":
        return httpx.Response(200, json={"ok": True})
    if request.url.path == "/v1/plain":
        return httpx.Response(502, text="<html>bad gateway</html>")
    return httpx.Response(404, json={"code": "not_found", "detail": "no such thing"})


def test_a_service_answer_becomes_a_command_error_with_its_problem_code() -> None:
    """The helper sends the bearer token, passes successes through, and turns a problem+json
    answer (or any other failure) into a CommandError carrying the problem's code."""
    transport = httpx.MockTransport(problem_server)
    with httpx.Client(transport=transport, base_url="http://bank.test") as client:
        with open_service("http://bank.test", "cbt_good", client=client) as service:
            assert service.get("/v1/thing").json() == {"ok": True}
            with pytest.raises(CommandError) as missing:
                service.get("/v1/other")
            assert (missing.value.code, missing.value.message) == ("not_found", "no such thing")
            with pytest.raises(CommandError) as plain:
                service.get("/v1/plain")
            assert (plain.value.code, plain.value.message) == ("http_502", "Bad Gateway")
        with (
            pytest.raises(CommandError) as refused,
            open_service("http://bank.test", "cbt_bad", client=client) as service,
        ):
            service.get("/v1/thing")
        assert refused.value.code == "unauthenticated"
        assert refused.value.message == "unknown token (check --token or CREDITBANK_TOKEN)"


def test_an_unreachable_service_is_a_command_error() -> None:
    """A network failure inside ``open_service`` is reported as ``unreachable``, not a traceback."""

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    transport = httpx.MockTransport(down)
    with (
        httpx.Client(transport=transport, base_url="http://bank.test") as client,
        pytest.raises(CommandError) as failed,
        open_service("http://bank.test", "cbt_good", client=client) as service,
    ):
        service.get("/v1/thing")
    assert failed.value.code == "unreachable"
    assert failed.value.message == "http://bank.test: connection refused"


def test_the_async_client_reports_a_refused_token_as_a_command_error() -> None:
    """``verify --url``'s client: a 401 is the caller's wrong token (a CommandError, exit 2),
    while other answers are left for the verifier to judge."""

    async def fetch(path: str) -> httpx.Response:
        transport = httpx.MockTransport(problem_server)
        async with async_client("http://bank.test", "cbt_bad", transport=transport) as client:
            return await client.get(path)

    with pytest.raises(CommandError) as refused:
        asyncio.run(fetch("/v1/thing"))
    assert refused.value.code == "unauthenticated"

    async def fetch_good(path: str) -> httpx.Response:
        transport = httpx.MockTransport(problem_server)
        async with async_client("http://bank.test/", "cbt_good", transport=transport) as client:
            return await client.get(path)

    assert asyncio.run(fetch_good("/v1/other")).status_code == 404


def test_every_url_option_reads_its_token_at_run_time() -> None:
    """No parser bakes CREDITBANK_TOKEN in as a default: the token is looked up when used."""
    from creditbank.cli.main import _parser

    parser = _parser()
    for argv in (
        ["verify", "--url", "http://x"],
        ["import", "f.csv", "--url", "http://x"],
        ["learners", "archive", "REF", "--url", "http://x"],
        ["learners", "export", "REF", "-o", "out.json", "--url", "http://x"],
    ):
        arguments: argparse.Namespace = parser.parse_args(argv)
        assert arguments.token is None, argv
