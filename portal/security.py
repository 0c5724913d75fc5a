"""Headers every page carries: a strict Content-Security-Policy and its companions.

No inline script or style is allowed anywhere (our script and CSS are files under /static), no
frame may hold a page, and nothing is sent to other sites. The API's JSON gets the same headers
except the policy of the interactive API docs (/schema), which loads its own scripts.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_SECURITY_POLICY", "ERROR_HEADERS", "security_headers"]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
_OWN_POLICY_PREFIXES = ("/schema",)
# An error raised before routing (an unknown path) never passes the middleware; its response is
# built by the exception handlers, which add these themselves.
ERROR_HEADERS = {**_HEADERS, "Content-Security-Policy": CONTENT_SECURITY_POLICY}


def security_headers(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        with_policy = not scope["path"].startswith(_OWN_POLICY_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in _HEADERS.items():
                    headers[name] = value
                if with_policy:
                    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
