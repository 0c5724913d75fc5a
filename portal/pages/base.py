"""What every page controller shares: no place in the API's schema, and the request's language
chosen before the handler runs (its messages are translated while it builds the page)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request

from portal.render import language_for

__all__ = ["PageController"]


async def _choose_language(request: Request[Any, Any, Any]) -> None:
    language_for(request)


class PageController(Controller):
    include_in_schema = False
    before_request = _choose_language  # type: ignore[assignment]
