"""A stateful test of deposits, recognition, revocation and reversal against a plain model.

Hypothesis drives a real ``Bank`` (on SQLite and on PostgreSQL, a fresh database per example)
through deposits, applications, revocations and reversals in random order, while a model in
plain Python keeps what should have happened: each outcome's credits (16 h = 1.00, rounded down
to 0.50), completion date and revocation, each recognition's requirement, outcomes and reversal.
After every step the bank's totals, archives, read tables and log replay must agree with it.
"""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import datetime
import decimal
import secrets
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from creditbank.audit.replay import replay_log
from creditbank.errors import AlreadyReversedError, AlreadyRevokedError
from creditbank.keys import KeyRing
from creditbank.learners.archive import ArchiveFilter
from creditbank.privacy import Pseudonymizer, normalise_identifier
from creditbank.rules.arithmetic import credits_text
from creditbank.service.bank import Bank
from creditbank.storage.engine import create_engine
from creditbank.storage.projections import load_totals
from creditbank.storage.tables import outcome, recognition, recognition_use
from creditbank.tokens import Principal
from schemas.learners import Archive, RecognitionApplication, RequirementDecision
from tests.conftest import ORIGIN, REQUIRE_PG, Templates, _pg_admin, _pg_url
from tests.factories import issuer_registration, outcome_record, resident_id
from tests.learners.seed import ISSUER_ID, NOW, PROGRAMME, SAFETY, TODAY


def months_back(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` earlier, clamped to the end of a shorter month."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, _days_in(year, month + 1)))


def _days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


LEARNERS = (1, 2)
HOURS = ("16.0", "8.0", "24.0", "40.0", "4.0")  # 1.00, 0.50, 1.50, 2.50 and 0.00 credits
COURSES = ("SAFE-101", "SAFE-202", "SAFE-303", "MATH-101")  # MATH: no standard applies
REQUIREMENTS = {requirement.id: requirement for requirement in PROGRAMME.requirements}
REASONS = ("录入错误", "证书作废")
ISSUER = Principal(role="issuer", issuer_id=ISSUER_ID)
ADMIN = Principal(role="admin")
# Dates on either side of the elective's 24-month window and of SAFETY's 36-month validity.
EDGES = [
    months_back(TODAY, months) + datetime.timedelta(days=shift)
    for months in (24, 36)
    for shift in (-1, 0, 1)
] + [TODAY]
COMPLETIONS = st.one_of(
    st.dates(min_value=months_back(TODAY, 24), max_value=TODAY),  # good for both requirements
    st.dates(min_value=months_back(TODAY, 48), max_value=TODAY),  # a quarter past validity
    st.sampled_from(EDGES),
)
DEPOSITS = st.lists(
    st.tuples(st.sampled_from(HOURS), COMPLETIONS, st.sampled_from(COURSES)),
    min_size=1,
    max_size=3,
)
Deposits = list[tuple[str, datetime.date, str]]
REPLAY_EVERY = 3  # steps between log replays; the teardown replays once more


# A fresh database per example ------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(backend: str, templates: Templates, directory: Path) -> Iterator[str]:
    """Like conftest's ``database_url``, but callable once per hypothesis example."""
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(dir=directory))
        shutil.copyfile(templates.sqlite_file, folder / "creditbank.db")
        try:
            yield f"sqlite+aiosqlite:///{folder / 'creditbank.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    assert templates.pg_template is not None, templates.pg_error
    name = f"creditbank_test_{secrets.token_hex(6)}"
    asyncio.run(_pg_admin(f"CREATE DATABASE {name} TEMPLATE {templates.pg_template}"))
    try:
        yield _pg_url(name)
    finally:
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


# The model -------------------------------------------------------------------------------------


@dataclass
class ModelOutcome:
    index: int  # its outcome.recorded entry
    learner: int
    record_id: str
    credits: int  # hundredths; 0 without an award
    awarded: bool  # a standard applied (SAFETY: the course code is SAFE-*)
    completed_on: datetime.date
    revoked: bool = False


@dataclass
class ModelRecognition:
    index: int  # its recognition.granted entry
    learner: int
    requirement: str
    outcomes: tuple[int, ...]
    credits_used: int  # hundredths
    reversal: tuple[int, str] | None = None  # the recognition.reversed entry and its cause

    @property
    def reversed(self) -> bool:
        return self.reversal is not None


@dataclass
class Expected:
    """What the model says one requirement's decision must be."""

    status: str
    reason: str | None
    outcomes: tuple[int, ...] = ()
    used: int = 0
    available: int = 0
    excluded: dict[str, int] = field(default_factory=dict)


@dataclass
class BankState:
    """What the bank holds, read after a step."""

    archives: dict[int, Archive] = field(default_factory=dict)
    lifetimes: dict[int, int] = field(default_factory=dict)  # sum of "lifetime" totals
    uses: list[tuple[str, str, int, int]] = field(default_factory=list)  # recognition_use
    grants: dict[int, bool] = field(default_factory=dict)  # recognition -> reversed
    revoked: set[int] = field(default_factory=set)  # outcomes with a revoked_index


def model_credits(hours: str, course: str) -> int:
    if not course.startswith("SAFE-"):
        return 0
    units = decimal.Decimal(hours) / decimal.Decimal(16) / decimal.Decimal("0.5")
    return int(units.to_integral_value(rounding=decimal.ROUND_FLOOR)) * 50


def counts_on(completed_on: datetime.date) -> bool:
    """Within SAFETY's validity today: the completion day has not recurred 36 months later."""
    assert SAFETY.validity_months == 36
    return completed_on > months_back(TODAY, 36)


def model_status(item: ModelOutcome) -> str:
    if item.revoked:
        return "revoked"
    # An outcome no standard applied to has no validity to run out.
    return "valid" if not item.awarded or counts_on(item.completed_on) else "expired"


def young_enough(completed_on: datetime.date, max_age_months: int | None) -> bool:
    return max_age_months is None or completed_on >= months_back(TODAY, max_age_months)


# The machine -----------------------------------------------------------------------------------


class LedgerMachine(RuleBasedStateMachine):
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

    # The model's decision ----------------------------------------------------------------------

    def expected_decision(self, learner: int, requirement_id: str) -> Expected:
        """creditbank/recognition.py's rules, written out again over the model."""
        if any(
            grant.learner == learner and grant.requirement == requirement_id and not grant.reversed
            for grant in self.model_recognitions
        ):
            return Expected(status="refused", reason="already_recognised")
        rule_ = REQUIREMENTS[requirement_id].satisfied_by
        required = int(rule_.min_credits * 100)
        used = self.used_for(requirement_id)
        excluded = {"too_old": 0, "expired": 0, "already_used": 0, "revoked": 0}
        usable = []
        for item in self.model_outcomes:
            if item.learner != learner or item.credits <= 0:
                continue  # SAFETY awards match both requirements (standard and category)
            if item.revoked:
                excluded["revoked"] += 1
            elif item.index in used:
                excluded["already_used"] += 1
            elif not counts_on(item.completed_on):
                excluded["expired"] += 1
            elif not young_enough(item.completed_on, rule_.max_age_months):
                excluded["too_old"] += 1
            else:
                usable.append(item)
        available = sum(item.credits for item in usable)
        if available < required:
            return Expected(
                status="refused",
                reason="not_enough_credits",
                available=available,
                excluded=excluded,
            )
        chosen, total = [], 0
        for item in sorted(usable, key=lambda item: (item.completed_on, item.index)):
            chosen.append(item.index)
            total += item.credits
            if total >= required:
                break
        return Expected(
            status="granted",
            reason=None,
            outcomes=tuple(sorted(chosen)),
            used=total,
            available=available,
            excluded=excluded,
        )

    def used_for(self, requirement_id: str) -> set[int]:
        return {
            index
            for grant in self.model_recognitions
            if grant.requirement == requirement_id and not grant.reversed
            for index in grant.outcomes
        }

    def check_decision(self, learner: int, decision: RequirementDecision, want: Expected) -> None:
        got = (decision.status, decision.reason)
        assert got == (want.status, want.reason), (decision, want)
        rule_ = REQUIREMENTS[decision.requirement_id].satisfied_by
        assert decision.credits_required == credits_text(int(rule_.min_credits * 100))
        event(f"apply: {want.reason or 'granted'} ({decision.requirement_id})")
        if want.reason == "already_recognised":
            return
        for reason, count in want.excluded.items():
            if count:
                event(f"apply: excluded as {reason}")
        assert decision.credits_available == credits_text(want.available), (decision, want)
        assert {
            "too_old": decision.excluded.too_old,
            "expired": decision.excluded.expired,
            "already_used": decision.excluded.already_used,
            "revoked": decision.excluded.revoked,
        } == want.excluded, (decision, want)
        if want.status != "granted":
            assert decision.index is None
            return
        assert tuple(decision.outcomes) == want.outcomes, (decision, want)
        assert decision.credits_granted == credits_text(
            int(REQUIREMENTS[decision.requirement_id].credits_granted * 100)
        )
        # Every outcome the bank chose is, in the model, the learner's, live, fresh and unused.
        max_age = REQUIREMENTS[decision.requirement_id].satisfied_by.max_age_months
        by_index = {item.index: item for item in self.model_outcomes}
        used = self.used_for(decision.requirement_id)
        for index in decision.outcomes:
            item = by_index[index]
            assert item.learner == learner
            assert item.credits > 0
            assert not item.revoked
            assert index not in used
            assert counts_on(item.completed_on)
            assert young_enough(item.completed_on, max_age)

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


LedgerMachine.TestCase.settings = settings(max_examples=15, stateful_step_count=15, deadline=None)


def test_ledger_agrees_with_the_model(backend: str, templates: Templates, tmp_path: Path) -> None:
    if backend == "postgresql" and templates.pg_template is None:
        if REQUIRE_PG:
            pytest.fail(f"CREDITBANK_REQUIRE_PG=1 but {templates.pg_error}")
        pytest.skip(templates.pg_error or "PostgreSQL unavailable")

    class OnFreshDatabases(LedgerMachine):
        def __init__(self) -> None:
            super().__init__(lambda: fresh_database(backend, templates, tmp_path), tmp_path)

    run_state_machine_as_test(OnFreshDatabases, settings=LedgerMachine.TestCase.settings)
