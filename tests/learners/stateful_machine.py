"""The hypothesis state machine that drives a real ``Bank`` alongside the model.

``LedgerMachine`` deposits, grants, applies, revokes and reverses on a fresh database per
example (SQLite copied from the session's template file, or a PostgreSQL database cloned from
its template),
records in the model (``stateful_model.py``) what should have happened, and after every step
reads the bank once and checks its totals, archives and read tables against the model; every
few steps, and at teardown, the log replay must re-derive the read tables without differences.
"""

from __future__ import annotations

import asyncio
import contextlib
import decimal
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)

from creditbank.audit.replay import replay_log
from creditbank.errors import AlreadyAwardedError, AlreadyReversedError, AlreadyRevokedError
from creditbank.keys import KeyRing
from creditbank.learners.archive import ArchiveFilter
from creditbank.privacy import Pseudonymizer, normalise_identifier
from creditbank.rules.arithmetic import credits_text
from creditbank.service.bank import Bank
from creditbank.storage.engine import create_engine
from creditbank.storage.projections import load_totals
from creditbank.storage.tables import outcome, recognition, recognition_use
from creditbank.tokens import Principal
from schemas.awards import GrantRequest
from schemas.learners import Archive, RecognitionApplication
from tests.conftest import ORIGIN
from tests.factories import issuer_registration, outcome_record, resident_id
from tests.learners.seed import ISSUER_ID, NOW, PROGRAMME, SAFETY, TODAY
from tests.learners.stateful_model import (
    DEPOSITS,
    LEARNERS,
    REASONS,
    REQUIREMENTS,
    Deposits,
    ModelDecisions,
    ModelOutcome,
    ModelRecognition,
    model_credits,
    model_status,
)

ISSUER = Principal(role="issuer", issuer_id=ISSUER_ID)
ADMIN = Principal(role="admin")
ACCREDITOR = Principal(role="accreditor")
REPLAY_EVERY = 3  # steps between log replays; the teardown replays once more


@dataclass
class BankState:
    """What the bank holds, read after a step."""

    archives: dict[int, Archive] = field(default_factory=dict)
    lifetimes: dict[int, int] = field(default_factory=dict)  # sum of "lifetime" totals
    uses: list[tuple[str, str, int, int]] = field(default_factory=list)  # recognition_use
    grants: dict[int, bool] = field(default_factory=dict)  # recognition -> reversed
    revoked: set[int] = field(default_factory=set)  # outcomes with a revoked_index


# The machine -----------------------------------------------------------------------------------


class LedgerMachine(ModelDecisions, RuleBasedStateMachine):
    outcomes = Bundle("outcomes")  # positions in self.model_outcomes, of live outcomes
    revoked_outcomes = Bundle("revoked_outcomes")  # and of revoked ones
    recognitions = Bundle("recognitions")  # positions in self.model_recognitions

    def __init__(
        self, open_database: Callable[[], contextlib.AbstractContextManager[str]], directory: Path
    ):
        super().__init__()
        self.model_outcomes: list[ModelOutcome] = []
        self.model_recognitions: list[ModelRecognition] = []
        self.steps = 0
        self._stack = contextlib.ExitStack()
        try:
            url = self._stack.enter_context(open_database())
            workdir = Path(tempfile.mkdtemp(dir=directory))
            self._stack.callback(shutil.rmtree, workdir, ignore_errors=True)
            self._runner = self._stack.enter_context(asyncio.Runner())
            self.bank = self._runner.run(self._start(url, workdir))
        except BaseException:
            self._stack.close()
            raise
        pseudonymizer = self.bank.pseudonymizer
        self.refs = {
            number: pseudonymizer.learner_ref(
                normalise_identifier("cn_resident_id", resident_id(number), issuer_id=ISSUER_ID)
            )
            for number in LEARNERS
        }

    async def _start(self, url: str, workdir: Path) -> Bank:
        engine = create_engine(url)
        self._stack.callback(lambda: self._runner.run(engine.dispose()))
        bank = Bank(
            engine=engine,
            keys=KeyRing.load(workdir / "keys", ORIGIN),
            pseudonymizer=Pseudonymizer(bytes(range(32))),
            clock=lambda: NOW,
            data_dir=workdir / "data",
        )
        await bank.start()
        assert bank.writes_disabled is None, bank.writes_disabled
        await bank.deposits.register_issuer(issuer_registration(ISSUER_ID))
        await bank.standards.publish(SAFETY)
        await bank.recognitions.publish_programme(PROGRAMME)
        return bank

    def run(self, awaitable: Any) -> Any:
        return self._runner.run(awaitable)

    def teardown(self) -> None:
        try:
            if sys.exc_info()[1] is None:  # a failed step's own error is the one to report
                self.replays_cleanly()
        finally:
            self._stack.close()

    # Rules -------------------------------------------------------------------------------------

    @initialize(target=outcomes, first=DEPOSITS, second=DEPOSITS)
    def start_with_outcomes(self, first: Deposits, second: Deposits) -> Any:
        """Both learners start with some outcomes (hypothesis may leave any rule out of a run)."""
        return multiple(*self.record(LEARNERS[0], first), *self.record(LEARNERS[1], second))

    @rule(target=outcomes, learner=st.sampled_from(LEARNERS), deposits=DEPOSITS)
    def deposit(self, learner: int, deposits: Deposits) -> Any:
        """The issuer records one to three outcomes of one learner."""
        return multiple(*self.record(learner, deposits))

    def record(self, learner: int, deposits: Deposits) -> list[int]:
        positions = []
        for hours, completed_on, course in deposits:
            serial = len(self.model_outcomes) + 1
            record = outcome_record(
                serial,
                learner_id=resident_id(learner),
                hours=hours,
                completed_on=completed_on,
                course_code=course,
            )
            accepted = self.run(self.bank.deposits.record_outcome(ISSUER, record))
            assert accepted.status == "recorded"
            assert accepted.learner_ref == self.refs[learner]
            credits = model_credits(hours, course)
            if course.startswith("SAFE-"):
                assert accepted.award is not None
                assert accepted.award.credits == credits_text(credits)
            else:
                assert accepted.award is None
            self.model_outcomes.append(
                ModelOutcome(
                    index=accepted.index,
                    learner=learner,
                    record_id=record.record_id,
                    credits=credits,
                    awarded=course.startswith("SAFE-"),
                    completed_on=completed_on,
                )
            )
            positions.append(len(self.model_outcomes) - 1)
        return positions

    @rule(
        target=recognitions,
        learner=st.sampled_from(LEARNERS),
        as_admin=st.booleans(),
        requirement=st.sampled_from([None, *REQUIREMENTS]),
    )
    def apply(self, learner: int, as_admin: bool, requirement: str | None) -> Any:
        ref = self.refs[learner]
        principal = ADMIN if as_admin else Principal(role="learner", learner_ref=ref)
        wanted = list(REQUIREMENTS) if requirement is None else [requirement]
        expected = {name: self.expected_decision(learner, name) for name in wanted}
        application = RecognitionApplication(
            programme_id=PROGRAMME.id, requirement_ids=[] if requirement is None else wanted
        )
        result = self.run(self.bank.recognitions.apply(principal, ref, application))
        assert [decision.requirement_id for decision in result.decisions] == wanted
        granted = []
        for decision in result.decisions:
            self.check_decision(learner, decision, expected[decision.requirement_id])
            if decision.status == "granted":
                assert decision.index is not None
                self.model_recognitions.append(
                    ModelRecognition(
                        index=decision.index,
                        learner=learner,
                        requirement=decision.requirement_id,
                        outcomes=tuple(decision.outcomes),
                        credits_used=expected[decision.requirement_id].used,
                    )
                )
                granted.append(len(self.model_recognitions) - 1)
        return multiple(*granted)

    @rule(target=revoked_outcomes, position=consumes(outcomes), reason=st.sampled_from(REASONS))
    def revoke(self, position: int, reason: str) -> int:
        """The issuer revokes a live outcome; live recognitions that used it are reversed."""
        revoked = self.model_outcomes[position]
        assert not revoked.revoked
        accepted = self.run(
            self.bank.revocations.revoke(ISSUER, ISSUER_ID, revoked.record_id, reason)
        )
        using = [
            grant
            for grant in self.model_recognitions
            if not grant.reversed and revoked.index in grant.outcomes
        ]
        # One recognition.reversed per recognition that used it, in recognition order.
        assert len(accepted.reversed_recognitions) == len(using)
        event(f"revoke: reversed {len(using)} recognitions")
        revoked.revoked = True
        for grant, reversal in zip(using, accepted.reversed_recognitions, strict=True):
            grant.reversal = (reversal, "outcome_revoked")
        return position

    @rule(position=outcomes, hundredths=st.sampled_from([50, 100, 250]), named=st.booleans())
    def grant(self, position: int, hundredths: int, named: bool) -> None:
        """Accreditation staff grant credits to a live outcome no standard covered; one that
        holds an award (decided or granted) is refused."""
        item = self.model_outcomes[position]
        request = GrantRequest(
            issuer_id=ISSUER_ID,
            record_id=item.record_id,
            credits=decimal.Decimal(hundredths) / 100,
            category=SAFETY.category,
            standard="safety@1" if named else None,
            basis="社区教育学分认定办法",
            reason="课程经评审认定",
        )
        if item.awarded or item.granted:
            event("grant: refused, holds an award")
            with pytest.raises(AlreadyAwardedError):
                self.run(self.bank.awards.grant(ACCREDITOR, request))
            return
        event(f"grant: granted ({'named' if named else 'no standard named'})")
        accepted = self.run(self.bank.awards.grant(ACCREDITOR, request))
        assert accepted.outcome_index == item.index
        assert accepted.caps == "safety@1"  # named, or the category's standard in force
        item.granted, item.named, item.credits = True, named, hundredths

    @rule(position=revoked_outcomes, reason=st.sampled_from(REASONS))
    def revoke_again(self, position: int, reason: str) -> None:
        revoked = self.model_outcomes[position]
        assert revoked.revoked
        with pytest.raises(AlreadyRevokedError):
            self.run(self.bank.revocations.revoke(ISSUER, ISSUER_ID, revoked.record_id, reason))

    @rule(position=recognitions)
    def reverse(self, position: int) -> None:
        """An admin reverses a recognition; a reversed one (by either way) is refused."""
        grant = self.model_recognitions[position]
        if grant.reversed:
            event("reverse: already reversed")
            with pytest.raises(AlreadyReversedError):
                self.run(self.bank.recognitions.reverse(grant.index, "again"))
            return
        event("reverse: reversed")
        reversal = self.run(self.bank.recognitions.reverse(grant.index, "复核"))
        grant.reversal = (reversal, "admin")

    # The invariant -----------------------------------------------------------------------------

    @invariant()
    def bank_agrees_with_the_model(self) -> None:
        """Checked after every step, on one read of everything (archives are the slow part)."""
        self.steps += 1
        state = self.run(self.read_bank())
        self.check_totals(state)
        self.check_archives(state)
        self.check_read_tables(state)
        if self.steps % REPLAY_EVERY == 0:
            self.replays_cleanly()

    def check_totals(self, state: BankState) -> None:
        """1 and 3: the stored lifetime total and the archive's credits count live awards only."""
        for learner in LEARNERS:
            live = sum(
                item.credits
                for item in self.model_outcomes
                if item.learner == learner and not item.revoked
            )
            assert state.lifetimes[learner] == live, (learner, state.lifetimes[learner], live)
            credits = state.archives[learner].credits
            assert credits == credits_text(live), (learner, credits, live)

    def check_archives(self, state: BankState) -> None:
        """2 and 3 in the archives; their outcomes and recognitions are the model's."""
        for learner in LEARNERS:
            archive = state.archives[learner]
            assert archive.as_of == TODAY
            mine = {item.index: item for item in self.model_outcomes if item.learner == learner}
            assert archive.outcomes_total == len(mine)
            statuses = {item.index: item.status for item in archive.outcomes}
            assert statuses == {index: model_status(item) for index, item in mine.items()}
            grants = [grant for grant in self.model_recognitions if grant.learner == learner]
            assert [
                (
                    r.index,
                    r.requirement_id,
                    tuple(r.outcomes),
                    r.credits_used,
                    None if r.reversed is None else (r.reversed.index, r.reversed.cause),
                )
                for r in archive.recognitions
            ] == [
                (g.index, g.requirement, g.outcomes, credits_text(g.credits_used), g.reversal)
                for g in grants
            ]
            # Among live recognitions no outcome serves a requirement twice, none is revoked.
            served: set[tuple[str, str, int]] = set()
            for grant in archive.recognitions:
                if grant.reversed is not None:
                    continue
                for index in grant.outcomes:
                    use = (grant.programme_id, grant.requirement_id, index)
                    assert use not in served, use
                    served.add(use)
                    assert statuses[index] != "revoked", (grant, index)
            recognised_by: dict[int, list[int]] = {}
            for model_grant in grants:
                if not model_grant.reversed:
                    for index in model_grant.outcomes:
                        recognised_by.setdefault(index, []).append(model_grant.index)
            for item in archive.outcomes:
                assert item.recognised_by == sorted(recognised_by.get(item.index, [])), item

    def check_read_tables(self, state: BankState) -> None:
        """2 and 3 in ``recognition_use``; ``recognition`` and ``outcome`` rows are the model's."""
        live_uses = sorted(
            (PROGRAMME.id, grant.requirement, index, grant.index)
            for grant in self.model_recognitions
            if not grant.reversed
            for index in grant.outcomes
        )
        assert sorted(state.uses) == live_uses
        # One use per (programme, requirement, outcome), and nothing revoked serves.
        assert len({use[:3] for use in state.uses}) == len(state.uses)
        assert not {use[2] for use in state.uses} & state.revoked
        assert state.grants == {grant.index: grant.reversed for grant in self.model_recognitions}
        assert state.revoked == {item.index for item in self.model_outcomes if item.revoked}

    def replays_cleanly(self) -> None:
        """5: the log alone re-derives the read tables."""
        report = self.run(replay_log(self.bank.engine))
        assert report.differences == [], report.differences

    async def read_bank(self) -> BankState:
        state = BankState()
        query = ArchiveFilter(page_size=500)
        for learner, ref in self.refs.items():
            state.archives[learner] = await self.bank.archives.archive(ADMIN, ref, query)
        async with self.bank.engine.connect() as connection:
            totals = await load_totals(connection, list(self.refs.values()))
            for learner, ref in self.refs.items():
                state.lifetimes[learner] = sum(
                    amount
                    for (owner, scope, _, _), amount in totals.items()
                    if owner == ref and scope == "lifetime"
                )
            uses = sa.select(
                recognition_use.c.programme_id,
                recognition_use.c.requirement_id,
                recognition_use.c.outcome_index,
                recognition_use.c.recognition_index,
            )
            state.uses = [
                (row[0], row[1], row[2], row[3]) for row in await connection.execute(uses)
            ]
            grants = sa.select(recognition.c.entry_index, recognition.c.reversed_index)
            state.grants = {row[0]: row[1] is not None for row in await connection.execute(grants)}
            revoked = sa.select(outcome.c.entry_index).where(outcome.c.revoked_index.is_not(None))
            state.revoked = {row[0] for row in await connection.execute(revoked)}
        return state
