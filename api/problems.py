"""The one place errors become RFC 9457 problem+json responses.

Handlers never build error responses: they raise typed errors, and this module maps each stable
code to a status. Litestar's own exceptions (validation, size limits, routing) are mapped too, so
every error a client sees has the same shape and a ``code``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from creditbank.errors import (
    CreditbankError,
    ExistsWithDifferentContentError,
    MalformedError,
    StandardInvalidError,
    TooManyAttemptsError,
    UnauthenticatedError,
    UnavailableError,
)
from creditbank.service.faults import unavailable_for
from portal.errors import error_page, wants_page
from portal.security import ERROR_HEADERS
from schemas.api import Problem, ProblemField

__all__ = ["PROBLEM_MEDIA_TYPE", "exception_handlers", "problem_type"]

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE_BASE = "https://creditbank.example/problems/"
_logger = logging.getLogger("creditbank.api")

# Every code of creditbank.errors, base classes included, has its status here: a code missing
# from this table would otherwise leave its status to chance, so tests/api/test_problem_statuses.py
# fails on any error class without an entry, and an unmapped code is answered 500 and logged.
STATUS_BY_CODE: dict[str, int] = {
    "error": 500,  # a bare CreditbankError is a programming error, not the client's
    "malformed": 422,
    "invalid_learner_id": 422,
    "invalid_input": 422,
    "unknown_issuer": 422,
    "table_too_large": 422,
    "invalid_standard": 422,
    "invalid_file": 422,
    "invalid_signature": 422,
    "file_too_large": 413,
    "not_found": 404,
    "conflict": 409,
    "exists_with_different_content": 409,
    "already_revoked": 409,
    "already_awarded": 409,
    "cap_exceeded": 409,
    "already_reversed": 409,
    "not_in_effect": 409,
    "auth": 403,
    "unauthenticated": 401,
    "forbidden": 403,
    "sign_in_failed": 401,
    "too_many_attempts": 429,
    "link_invalid": 410,
    "account_exists": 409,
    # Proofs, notes and tiles asked of the log with impossible parameters (an index past the
    # tree, a tile beyond its size) are the request's fault.
    "ledger": 400,
    "invalid_proof": 400,
    "invalid_note": 400,
    "invalid_tile": 400,
    # The request path opens only the log's own checkpoints: one that no trusted key signed
    # means the log cannot be vouched for, as with a failed integrity check, not a bad request.
    "no_trusted_signature": 503,
    "non_canonical_entry": 422,
    "log_integrity_failure": 503,
    "writes_disabled": 503,
    # Requests no handler is given: a NUL anywhere, a body that is not UTF-8 or nests too deep.
    "unreadable_request": 400,
    "nul_character": 400,
    "invalid_utf8": 400,
    "nesting_too_deep": 400,
    # The store cannot answer now; nothing was written and the client should retry.
    "unavailable": 503,
    "database_unavailable": 503,
    "database_busy": 503,
    "storage_full": 507,
    "configuration": 500,
}

# Litestar's HTTP exceptions, by status, get these stable codes.
CODE_BY_STATUS: dict[int, str] = {
    400: "malformed_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}

_FIELD_PATH = re.compile(r"`\$\.([A-Za-z0-9_.\[\]]+)`")


def problem_type(code: str) -> str:
    return _TYPE_BASE + code


def _response(
    request: Request[Any, Any, Any], problem: Problem, headers: dict[str, str] | None = None
) -> Response[Any]:
    headers = {**ERROR_HEADERS, **(headers or {})}
    if wants_page(request):  # a person's page: the same problem, shown as a page
        return error_page(request, problem, headers)
    return Response(
        content=msgspec.json.encode(problem),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _domain_error(request: Request[Any, Any, Any], error: CreditbankError) -> Response[Any]:
    status = STATUS_BY_CODE.get(error.code)
    if status is None:
        _logger.error("error code %r has no HTTP status; answering 500", error.code)
        status = HTTP_500_INTERNAL_SERVER_ERROR
    errors = None
    if isinstance(error, MalformedError):
        errors = [ProblemField(field=error.field, reason=error.reason)]
    elif isinstance(error, StandardInvalidError):
        errors = [ProblemField(field=field, reason=reason) for field, reason in error.problems]
    index = error.index if isinstance(error, ExistsWithDifferentContentError) else None
    headers = None
    if isinstance(error, UnauthenticatedError):
        headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(error, UnavailableError | TooManyAttemptsError):
        headers = {"Retry-After": str(error.retry_after)}
    problem = Problem(
        type=problem_type(error.code),
        title=error.code.replace("_", " "),
        status=status,
        code=error.code,
        detail=error.message,
        instance=request.url.path,
        errors=errors,
        index=index,
    )
    return _response(request, problem, headers)


def _validation_fields(error: ValidationException) -> list[ProblemField]:
    fields: list[ProblemField] = []
    extra = error.extra if isinstance(error.extra, list) else []
    for item in extra:
        message = str(item.get("message", "")) if isinstance(item, dict) else str(item)
        key = item.get("key") if isinstance(item, dict) else None
        match = _FIELD_PATH.search(message)
        field = str(key) if key else (match.group(1) if match else "body")
        fields.append(ProblemField(field=field, reason=message))
    return fields


def _http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    status = error.status_code
    code = CODE_BY_STATUS.get(status, "http_error")
    errors = _validation_fields(error) if isinstance(error, ValidationException) else None
    problem = Problem(
        type=problem_type(code),
        title=code.replace("_", " "),
        status=status,
        code=code,
        detail=error.detail,
        instance=request.url.path,
        errors=errors or None,
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return _response(request, problem, headers)


def _unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    fault = unavailable_for(error)
    if fault is not None:
        # The store is down, locked or full: the client is told to retry, the operator why.
        _logger.warning("%s on %s: %r", fault.code, request.url.path, error)
        return _domain_error(request, fault)
    _logger.exception("unexpected error on %s", request.url.path, exc_info=error)
    problem = Problem(
        type=problem_type("internal_error"),
        title="internal error",
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        code="internal_error",
        instance=request.url.path,
    )
    return _response(request, problem)


exception_handlers = {
    CreditbankError: _domain_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}
