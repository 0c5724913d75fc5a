"""Refuse what no handler should be given, before any handler or database sees it.

A NUL character cannot be stored in PostgreSQL text (the driver raises, which used to surface as
500), names nothing, and is never meaningful in an id, a query value or a header. A JSON body
that is not UTF-8 or nests deeper than the parser's recursion limit raised outside the decoder's
own error type, also a 500. Each is now one typed 400 with a stable code (``api.problems``), the
same on SQLite and PostgreSQL.

Bodies are looked at only for handlers that take a JSON body (``data``); an import upload
streams its file to the import desk, whose readers classify such bytes per row or per file.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes

import msgspec
from litestar import Request

from creditbank.errors import InvalidUtf8Error, NestingTooDeepError, NulCharacterError

__all__ = ["refuse_unreadable_requests"]

_NUL = b"\x00"
# NUL inside a JSON string is always written as this escape (raw control bytes are invalid JSON).
_ESCAPED_NUL = b"\\u0000"


async def refuse_unreadable_requests(request: Request[Any, Any, Any]) -> None:
    """Litestar's ``before_request`` hook: raise a typed error for an unreadable request."""
    scope = request.scope
    if "\x00" in scope["path"] or _NUL in unquote_to_bytes(scope.get("query_string", b"")):
        raise NulCharacterError("the path or query string holds a NUL character")
    for name, value in scope["headers"]:
        if _NUL in name or _NUL in value:
            raise NulCharacterError("a header holds a NUL character")
    if "data" in request.route_handler.parsed_fn_signature.parameters:
        check_json_body(await request.body())


def check_json_body(body: bytes) -> None:
    """Refuse a JSON body that is not UTF-8, nests past the parser's limit, or holds NUL in a
    string or key; anything else (even invalid JSON) is left to the handler's own decoding,
    which answers it with a field-level 400."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidUtf8Error(f"the body is not UTF-8 (byte {error.start})") from None
    try:
        value = msgspec.json.decode(body)
    except RecursionError:
        raise NestingTooDeepError("the JSON body nests too deeply") from None
    except msgspec.DecodeError:
        return
    if _ESCAPED_NUL in body and _holds_nul(value):
        raise NulCharacterError("a JSON string holds a NUL character")


def _holds_nul(value: object) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
