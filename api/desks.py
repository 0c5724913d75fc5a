"""The desks as Litestar dependencies: each handler names the one desk it uses.

The bank is built once per process (``app.state.bank``); these providers hand its desks to the
controllers, so a controller depends on a desk's interface, not on the whole service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from creditbank.service.access import AccessDesk
from creditbank.service.archives import ArchiveDesk
from creditbank.service.awards import AwardDesk
from creditbank.service.bank import Bank
from creditbank.service.deposits import DepositDesk
from creditbank.service.imports.desk import ImportDesk
from creditbank.service.log import LogDesk
from creditbank.service.recognitions import RecognitionDesk
from creditbank.service.revocations import RevocationDesk
from creditbank.service.simulation import SimulationDesk
from creditbank.service.standards import StandardsDesk
from creditbank.service.statistics import StatisticsDesk

__all__ = [
    "Archives",
    "Awards",
    "Deposits",
    "Imports",
    "Log",
    "Recognitions",
    "Revocations",
    "Simulation",
    "Standards",
    "Statistics",
    "access_desk",
    "bank_of",
    "desk_dependencies",
]

Archives = NamedDependency[ArchiveDesk]
Awards = NamedDependency[AwardDesk]
Deposits = NamedDependency[DepositDesk]
Imports = NamedDependency[ImportDesk]
Log = NamedDependency[LogDesk]
Recognitions = NamedDependency[RecognitionDesk]
Revocations = NamedDependency[RevocationDesk]
Simulation = NamedDependency[SimulationDesk]
Standards = NamedDependency[StandardsDesk]
Statistics = NamedDependency[StatisticsDesk]


def bank_of(state: State) -> Bank:
    bank: Bank = state.bank
    return bank


def access_desk(state: State) -> AccessDesk:
    return bank_of(state).access


def _provider(desk: Callable[[Bank], Any]) -> Provide:
    def provide(state: State) -> Any:
        return desk(bank_of(state))

    return Provide(provide, sync_to_thread=False)


desk_dependencies: dict[str, Provide] = {
    "archives": _provider(lambda bank: bank.archives),
    "awards": _provider(lambda bank: bank.awards),
    "deposits": _provider(lambda bank: bank.deposits),
    "imports": _provider(lambda bank: bank.imports),
    "log": _provider(lambda bank: bank.log),
    "recognitions": _provider(lambda bank: bank.recognitions),
    "revocations": _provider(lambda bank: bank.revocations),
    "simulation": _provider(lambda bank: bank.simulation),
    "standards": _provider(lambda bank: bank.standards),
    "statistics": _provider(lambda bank: bank.statistics),
}
