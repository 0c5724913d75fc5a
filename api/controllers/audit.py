"""Audit operations beyond the log's own surface."""

from __future__ import annotations

from litestar import Controller, post

from api.auth import allow
from api.desks import Log
from schemas.api import ReplayReport

__all__ = ["ReplayController"]


class ReplayController(Controller):
    path = "/v1/audit"
    tags = ["audit"]
    guards = [allow("auditor", "admin")]

    @post("/replay", status_code=200, summary="Re-derive awards and totals from the log alone")
    async def replay(self, log: Log) -> ReplayReport:
        return await log.replay()
