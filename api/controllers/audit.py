"""Audit operations beyond the log's own surface."""

from __future__ import annotations

from litestar import Controller, post
from litestar.di import NamedDependency

from api.auth import allow
from creditbank.audit.replay import replay_log
from creditbank.service.bank import Bank
from schemas.api import ReplayReport

__all__ = ["ReplayController"]


class ReplayController(Controller):
    path = "/v1/audit"
    tags = ["audit"]
    guards = [allow("auditor", "admin")]

    @post("/replay", status_code=200, summary="Re-derive awards and totals from the log alone")
    async def replay(self, bank: NamedDependency[Bank]) -> ReplayReport:
        return await replay_log(bank.engine)
