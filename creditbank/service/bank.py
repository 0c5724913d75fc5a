"""The bank: the composition root that builds the write context and every desk.

The HTTP API and the CLI ask the desks, not the bank: ``bank.deposits``, ``bank.standards``,
``bank.imports``, ``bank.archives``, ``bank.recognitions``, ``bank.revocations``,
``bank.simulation``, ``bank.log``, ``bank.access`` (tokens) and ``bank.accounts`` (people).
Each desk receives the one ``WriteContext`` (engine, keys, clock, writes-disabled state) and
the few collaborators it uses, never the bank, so no desk reaches another through it. The clock
and keys are fixed when the bank is built: a test that wants another clock, or a rotated key,
builds another bank.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from creditbank import compiled
from creditbank.errors import IntegrityError, LedgerError
from creditbank.imports.row_paths import RowPath, warn_if_pure_python
from creditbank.keys import KeyRing
from creditbank.privacy import Pseudonymizer
from creditbank.service.access import AccessDesk
from creditbank.service.accounts import AccountDesk
from creditbank.service.archives import ArchiveDesk
from creditbank.service.awards import AwardDesk
from creditbank.service.context import Clock, WriteContext, utc_now
from creditbank.service.deposits import DepositDesk
from creditbank.service.imports.desk import ImportDesk
from creditbank.service.log import LogDesk
from creditbank.service.recognitions import RecognitionDesk
from creditbank.service.revocations import RevocationDesk
from creditbank.service.rulebooks import Rulebooks
from creditbank.service.simulation import SimulationDesk
from creditbank.service.standards import StandardsDesk
from creditbank.service.statistics import StatisticsDesk
from creditbank.settings import DEFAULT_DATA_DIR
from creditbank.statistics.disclosure import disclosure_k_default
from creditbank.storage.import_jobs import mark_interrupted
from creditbank.storage.integrity import check_head, publish_initial_checkpoint

__all__ = ["Bank"]


class Bank:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        keys: KeyRing,
        pseudonymizer: Pseudonymizer,
        clock: Clock = utc_now,
        data_dir: Path | None = None,
        row_path: RowPath = "lean",
        disclosure_k: int = disclosure_k_default,
    ) -> None:
        warn_if_pure_python(compiled.status)
        self.context = context = WriteContext(engine=engine, keys=keys, clock=clock)
        self.pseudonymizer = pseudonymizer
        self.data_dir = data_dir or Path(DEFAULT_DATA_DIR)
        rulebooks = Rulebooks()
        self.access = AccessDesk(context)
        self.accounts = AccountDesk(context, pseudonymizer)
        self.log = LogDesk(context, self.data_dir)
        self.standards = StandardsDesk(context)
        self.simulation = SimulationDesk(context, pseudonymizer)
        self.deposits = DepositDesk(context, pseudonymizer, rulebooks)
        # Imports keep their input and row results under the data directory.
        self.imports = ImportDesk(
            context,
            pseudonymizer=pseudonymizer,
            rulebooks=rulebooks,
            log=self.log,
            data_dir=self.data_dir,
            row_path=row_path,
        )
        self.archives = ArchiveDesk(context, pseudonymizer)
        self.recognitions = RecognitionDesk(context)
        self.revocations = RevocationDesk(context, pseudonymizer, rulebooks)
        self.awards = AwardDesk(context)
        self.statistics = StatisticsDesk(context, disclosure_k)

    @property
    def engine(self) -> AsyncEngine:
        return self.context.engine

    @property
    def keys(self) -> KeyRing:
        return self.context.keys

    @property
    def writes_disabled(self) -> str | None:
        return self.context.writes_disabled

    async def start(self) -> None:
        """Publish a checkpoint if needed, then verify the head; on failure refuse writes."""
        async with self.context.begin() as connection:
            await mark_interrupted(connection)
        try:
            await publish_initial_checkpoint(self.engine, self.keys)
            await check_head(self.engine, self.keys)
        except (IntegrityError, LedgerError) as error:
            self.context.disable_writes(error.message)
        else:
            self.context.enable_writes()
