"""What every command shares: one error type, one way of printing it, one way to call a service.

A command that cannot do what it was asked raises ``CommandError(code, message)``. ``main``
prints it, like any other ``CreditbankError``, as the one line ``error_line`` makes,
``creditbank: CODE: message`` on stderr, and exits with ``exit_status``: 1 for a failed
verification, 3 for a followed job still running at its deadline, 2 for everything else.

Every command with ``--url`` talks HTTP through ``open_service`` (or, for the asynchronous
``creditbank verify --url``, ``async_client``): the service's base URL, the bearer token (given
with ``--token`` or in ``CREDITBANK_TOKEN``), and an RFC 9457 problem answer turned into a
``CommandError`` carrying the problem's stable code.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import httpx
import msgspec

from creditbank.errors import CreditbankError

__all__ = [
    "BEARER_VARIABLE",
    "STILL_RUNNING",
    "CommandError",
    "Service",
    "add_service_options",
    "async_client",
    "error_line",
    "exit_status",
    "open_service",
    "problem_error",
    "service_token",
]

BEARER_VARIABLE = "CREDITBANK_TOKEN"
STILL_RUNNING = "still_running"
http_timeout = httpx.Timeout(60.0, connect=10.0)
_refusals = (401, 403)


class CommandError(CreditbankError):
    """A command could not do what it was asked: printed ``creditbank: CODE: message``, exit 2."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def error_line(error: CreditbankError) -> str:
    """How every command reports an error: one line, with the error's stable code."""
    return f"creditbank: {error.code}: {error.message}"


def exit_status(error: CreditbankError) -> int:
    """1 when something was checked and found wrong; 3 when a job followed through a service
    had not ended in the time given (it goes on there); 2 when the command could not run."""
    if error.code == "verification_failed":
        return 1
    return 3 if error.code == STILL_RUNNING else 2


# Calling a service -----------------------------------------------------------------------------


def add_service_options(parser: argparse.ArgumentParser, *, url_help: str, role: str) -> None:
    """``--url`` and ``--token``, the same on every command that can go through a service."""
    parser.add_argument("--url", help=url_help)
    parser.add_argument("--token", help=f"{role} token (default: ${BEARER_VARIABLE})")


def service_token(token: str | None, *, role: str = "an API") -> str:
    """The token for ``--url``: the one given, else ``CREDITBANK_TOKEN``; else a CommandError
    that says how to give one."""
    chosen = token or os.environ.get(BEARER_VARIABLE)
    if not chosen:
        raise CommandError(
            "usage", f"--url needs {role} token: pass --token TOKEN or set {BEARER_VARIABLE}"
        )
    return chosen


def problem_error(response: httpx.Response) -> CommandError:
    """A failed answer (already read) as a CommandError: the problem's ``code`` and ``detail``,
    or the HTTP status when the answer is not a problem document."""
    try:
        problem = msgspec.json.decode(response.content, type=dict[str, Any])
    except msgspec.DecodeError:
        problem = {}
    code = str(problem.get("code") or f"http_{response.status_code}")
    detail = str(
        problem.get("detail")
        or problem.get("title")
        or response.reason_phrase
        or f"HTTP {response.status_code}"
    )
    if response.status_code in _refusals:
        detail += " (check --token or CREDITBANK_TOKEN)"
    return CommandError(code, detail)


class Service:
    """A creditbank service, called with a bearer token; every answer that is not a success
    raises its problem as a CommandError. Made by ``open_service``."""

    def __init__(self, url: str, token: str, client: httpx.Client | None = None) -> None:
        self.url = url
        self._authorization = {"Authorization": f"Bearer {token}"}
        self._http = client or httpx.Client(base_url=url.rstrip("/"), timeout=http_timeout)
        self._owned = client is None

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> httpx.Response:
        return self._checked(self._http.get(path, params=params, headers=self._authorization))

    def post(
        self,
        path: str,
        content: bytes | Iterable[bytes],
        *,
        content_type: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        sent = {**self._authorization, "Content-Type": content_type, **(headers or {})}
        return self._checked(self._http.post(path, params=params, content=content, headers=sent))

    @contextlib.contextmanager
    def stream(self, path: str) -> Iterator[httpx.Response]:
        """A GET whose body is read as it arrives (``iter_bytes``)."""
        with self._http.stream("GET", path, headers=self._authorization) as response:
            if not response.is_success:
                response.read()
                raise problem_error(response)
            yield response

    def close(self) -> None:
        if self._owned:
            self._http.close()

    @staticmethod
    def _checked(response: httpx.Response) -> httpx.Response:
        if not response.is_success:
            raise problem_error(response)
        return response


@contextlib.contextmanager
def open_service(url: str, token: str, *, client: httpx.Client | None = None) -> Iterator[Service]:
    """The service at ``url`` for the ``with`` block; a network failure inside it is reported
    as ``unreachable``. ``client`` (tests) is used instead of a new one, and left open."""
    service = Service(url, token, client)
    try:
        yield service
    except httpx.HTTPError as error:
        raise CommandError("unreachable", f"{url}: {error}") from error
    finally:
        service.close()


def async_client(
    url: str, token: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """An asynchronous client of the service at ``url`` sending ``token``. An answer refusing
    the token (401, 403) raises its problem as a CommandError: a wrong token is the caller's
    mistake, not something the log did. Other answers are the caller's to judge.
    ``transport`` is for tests."""

    async def refused(response: httpx.Response) -> None:
        if response.status_code in _refusals:
            await response.aread()
            raise problem_error(response)

    return httpx.AsyncClient(
        base_url=url.rstrip("/"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=http_timeout,
        event_hooks={"response": [refused]},
        transport=transport,
    )
