"""The rules engine: from a recorded outcome and a learner's running totals to an award (pure).

``compile_rulebook`` turns the standards in force at recording time (published, not retired) into
a ``RuleBook``; ``RuleBook.evaluate`` decides one outcome and returns the award for its entry plus
the amounts to add to the learner's running totals. No I/O: the caller loads and stores totals.

Selection, in this order:

1. Dates. A version is in force on ``completed_on`` when ``effective_from <= completed_on <=
   effective_until`` (inclusive; no end date means open).
2. Supersession. Of the versions of one standard id, only the highest version in force on that day
   counts, whether or not it applies to the outcome: a new version replaces the old one entirely,
   so narrowing ``applies_to`` in version 2 does not leave version 1 applying to what was dropped.
3. Applicability. ``outcome_type`` is listed; ``issuer_kind``, ``issuer_id`` and the course code
   fit ``applies_to`` (see ``matching``: ``*`` any run, ``?`` one character, all else literal).
4. Precedence. The highest ``precedence`` wins; equal precedence goes to the smallest ``id`` (by
   code point; after step 2 an id has one version left). Validation forbids such ties among
   published standards; this rule only keeps the engine deterministic if one slips through.

No standard: ``Decision(award=None, deltas=())``, the import's ``no_standard``.

Requirements are checked in the order ``result``, ``min_hours``, ``min_score``,
``min_attendance_pct`` (a missing score or attendance fails a minimum on it), then, for a table,
``level`` (no row matches the course code). The first one unmet is named in ``basis.unmet``;
credits and ``computed`` are ``0.00`` and there are no deltas.

Amounts (see ``arithmetic``; exact integers, never floats):

* ``per_hours``: ``hours / hours_per_unit * credits_per_unit``, rounded to a multiple of
  ``rounding_step`` (``down`` floors, ``half_up`` rounds halves up), then floored to 0.01 if the
  step is finer than that. ``fixed``: ``credits``. ``table``: the first level row whose patterns
  match the course code. Amounts in a standard are floored to 0.01 when it is compiled.
* An amount above 999999.99 (the most an entry can hold) is cut to 999999.99 without naming a cap;
  validation should make this unreachable.
* ``max_per_outcome`` then applies (``basis.cap = "per_outcome"`` when it lowers the amount);
  the result is ``basis.computed``.
* Learner caps, all within the standard's category, read the running totals: credits =
  min(computed, per_category_per_year - category-year total, per_issuer_per_year - issuer-year
  total, lifetime - lifetime total), never below 0. ``basis.cap`` names the cap that lowered the
  amount last; on equal remainders the first in that order wins (a cap equal to the amount does
  not bind). ``basis.cap_year_start`` is set exactly when ``basis.cap`` is a yearly cap. The cap
  year is the one containing ``completed_on`` and starting on ``caps.year_starts`` (never 29
  February, which not every year has).
* Deltas: when credits > 0, that amount is added to all three totals (category-year, issuer-year,
  lifetime), whether or not a cap is set, so archives can show totals by category and year.

Total keys are ``(learner_ref, scope, subject, period)``: ``("…", "category_year", category,
"2025-03-01")``, ``("…", "issuer_year", "category|issuer_id", "2025-03-01")``, ``("…",
"lifetime", category, "")``. Totals missing from the mapping count as 0.

``basis``: ``method``; for ``per_hours`` always the outcome's ``hours``, ``ratio``
(``"<hours_per_unit>h:<credits_per_unit>"``) and ``rounding`` (``"<down|half_up> <step>"``), in
the standard's own decimal text; for ``table`` the matched ``level``.

Equal inputs give equal decisions. Awards, candidates and cap years are memoised in the rule book
(bounded) and shared, which is safe because they are frozen; a memo only ever holds what would be
recomputed, so one book may serve many imports. A standard the engine cannot evaluate (a ratio or
step of 0, a negative amount, an impossible year start, two different standards under one
``id@version``) makes ``compile_rulebook`` raise ``StandardInvalidError`` naming it. An outcome
whose hours, score or attendance text is malformed (possible only if it skipped validation) makes
``evaluate`` raise ``MalformedError``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, TypeVar

import msgspec

from creditbank.errors import MalformedError, StandardInvalidError
from creditbank.rules.arithmetic import (
    award_hundredths_max,
    cap_year_start,
    compile_amount_rule,
    credits_text,
    optional_amount,
    optional_minimum,
    parse_credits,
    parse_month_day,
    year_start_on,
)
from creditbank.rules.matching import Applicability
from schemas.entries import Award, AwardBasis, OutcomeRecorded
from schemas.standards import Standard, standard_name

__all__ = [
    "Decision",
    "RuleBook",
    "TotalKey",
    "cap_year_start",
    "compile_rulebook",
    "credits_text",
    "parse_credits",
]

TotalKey = tuple[str, str, str, str]  # (learner_ref, scope, subject, period)
Key = TypeVar("Key")
Value = TypeVar("Value")
CapName = Literal["per_outcome", "per_category_per_year", "per_issuer_per_year", "lifetime"]

# Entries in each memo: (outcome type, completion date) -> candidates; per standard, hours text or
# course code -> award, completion date -> cap year, issuer id -> "category|issuer_id". Real
# imports repeat a few hundred of each; a memo that fills up anyway is cleared and refilled.
memo_entries_max: Final = 65_536

_YEARLY_CAPS: Final = frozenset({"per_category_per_year", "per_issuer_per_year"})


@dataclass(frozen=True, slots=True)
class Decision:
    """The award for one outcome, and the amounts to add to the learner's running totals."""

    award: Award | None  # None: no standard applies ("no_standard")
    deltas: tuple[tuple[TotalKey, int], ...]


_NO_STANDARD: Final = Decision(award=None, deltas=())
# The generated __init__ of a frozen dataclass sets each field through object.__setattr__, which
# costs half a microsecond; the hot path builds a Decision by setting its two slots directly.
_new_decision: Final = object.__new__
_set_award: Final = vars(Decision)["award"].__set__
_set_deltas: Final = vars(Decision)["deltas"].__set__


@dataclass(frozen=True, slots=True)
class _Base:
    """An award before the learner's caps; ``decision`` is set when nothing more can change it."""

    computed: int
    award: Award
    cap: CapName | None
    decision: Decision | None


class _Compiled:
    """One standard version in the form the hot path reads."""

    def __init__(self, standard: Standard) -> None:
        self.standard = standard
        self.name = standard_name(standard.id, standard.version)
        self.category = standard.category
        self.outcome_types = frozenset(standard.applies_to.outcome_types)
        self.applicability = Applicability(standard)
        self.applies = self.applicability.applies
        requires = standard.requires
        self.results = frozenset(requires.results)
        self.min_hours = optional_minimum(requires.min_hours, "min_hours")
        self.min_score = optional_minimum(requires.min_score, "min_score")
        self.min_attendance = optional_minimum(requires.min_attendance_pct, "min_attendance_pct")
        self.max_per_outcome = optional_amount(standard.max_per_outcome, "max_per_outcome")
        caps = standard.caps
        self.cap_category = optional_amount(
            caps.per_category_per_year, "caps.per_category_per_year"
        )
        self.cap_issuer = optional_amount(caps.per_issuer_per_year, "caps.per_issuer_per_year")
        self.cap_lifetime = optional_amount(caps.lifetime, "caps.lifetime")
        self.month, self.day_of_month = parse_month_day(caps.year_starts)
        self.amount_rule = compile_amount_rule(standard.award)
        self.per_hours = self.amount_rule.method == "per_hours"
        self._bases: dict[str, _Base] = {}
        self._unmet: dict[tuple[str, str | None], Decision] = {}
        self._periods: dict[datetime.date, tuple[datetime.date, str]] = {}
        self._issuer_subjects: dict[str, str] = {}

    def evaluate(self, outcome: OutcomeRecorded, totals: Mapping[TotalKey, int]) -> Decision:
        if outcome.result not in self.results:
            return self._unmet_decision("result", outcome.hours)
        if self.min_hours is not None and not self.min_hours.met(outcome.hours):
            return self._unmet_decision("min_hours", outcome.hours)
        if self.min_score is not None and not self.min_score.met(outcome.score):
            return self._unmet_decision("min_score", outcome.hours)
        attendance = self.min_attendance
        if attendance is not None and not attendance.met(outcome.attendance_pct):
            return self._unmet_decision("min_attendance_pct", outcome.hours)
        key = outcome.hours if self.per_hours else outcome.course_code
        base = self._bases.get(key)
        if base is None:
            base = _remember(self._bases, key, self._base(outcome))
        if base.decision is not None:
            return base.decision
        return self._capped(base, outcome, totals)

    def _unmet_decision(self, unmet: str, hours: str) -> Decision:
        key = (unmet, hours if self.per_hours else None)
        decision = self._unmet.get(key)
        if decision is None:
            award = self._award(0, 0, hours=key[1], unmet=unmet)
            decision = _remember(self._unmet, key, Decision(award, ()))
        return decision

    def _base(self, outcome: OutcomeRecorded) -> _Base:
        """The award before learner caps: what the outcome earns under this standard alone."""
        amount = self.amount_rule.amount(outcome.hours, outcome.course_code)
        if amount is None:
            decision = self._unmet_decision("level", outcome.hours)
            assert decision.award is not None
            return _Base(0, decision.award, None, decision)
        raw, level = amount
        hours = outcome.hours if self.per_hours else None
        computed = min(raw, award_hundredths_max)
        cap: CapName | None = None
        if self.max_per_outcome is not None and self.max_per_outcome < computed:
            computed, cap = self.max_per_outcome, "per_outcome"
        award = self._award(computed, computed, hours=hours, level=level, cap=cap)
        return _Base(computed, award, cap, Decision(award, ()) if computed == 0 else None)

    def _capped(
        self, base: _Base, outcome: OutcomeRecorded, totals: Mapping[TotalKey, int]
    ) -> Decision:
        """Apply the learner's caps to a positive amount and say what to add to the totals."""
        cap_year = self._periods.get(outcome.completed_on)
        if cap_year is None:
            cap_year = self._remember_period(outcome.completed_on)
        start, period = cap_year
        subject = self._issuer_subjects.get(outcome.issuer_id)
        if subject is None:
            # One shared string per issuer: its hash is computed once, not for every total key.
            subject = f"{self.category}|{outcome.issuer_id}"
            _remember(self._issuer_subjects, outcome.issuer_id, subject)
        learner, category = outcome.learner_ref, self.category
        category_key = (learner, "category_year", category, period)
        issuer_key = (learner, "issuer_year", subject, period)
        lifetime_key = (learner, "lifetime", category, "")
        credits, cap = base.computed, base.cap
        # A strict "<" leaves a tie with the earlier cap; once a cap leaves nothing, no later cap
        # is consulted, so it cannot claim an amount that is already 0.
        if self.cap_category is not None:
            remaining = self.cap_category - totals.get(category_key, 0)
            if remaining < credits:
                credits, cap = (remaining if remaining > 0 else 0), "per_category_per_year"
        if credits and self.cap_issuer is not None:
            remaining = self.cap_issuer - totals.get(issuer_key, 0)
            if remaining < credits:
                credits, cap = (remaining if remaining > 0 else 0), "per_issuer_per_year"
        if credits and self.cap_lifetime is not None:
            remaining = self.cap_lifetime - totals.get(lifetime_key, 0)
            if remaining < credits:
                credits, cap = (remaining if remaining > 0 else 0), "lifetime"
        award = base.award
        if cap is not base.cap:
            basis = msgspec.structs.replace(
                award.basis, cap=cap, cap_year_start=start if cap in _YEARLY_CAPS else None
            )
            award = msgspec.structs.replace(award, credits=credits_text(credits), basis=basis)
        decision: Decision = _new_decision(Decision)
        _set_award(decision, award)
        if credits:
            deltas = ((category_key, credits), (issuer_key, credits), (lifetime_key, credits))
            _set_deltas(decision, deltas)
        else:
            _set_deltas(decision, ())
        return decision

    def _remember_period(self, day: datetime.date) -> tuple[datetime.date, str]:
        start = year_start_on(day, self.month, self.day_of_month)
        return _remember(self._periods, day, (start, start.isoformat()))

    def _award(
        self,
        credits: int,
        computed: int,
        *,
        hours: str | None = None,
        level: str | None = None,
        unmet: str | None = None,
        cap: CapName | None = None,
    ) -> Award:
        basis = AwardBasis(
            method=self.amount_rule.method,
            hours=hours,
            level=level,
            ratio=self.amount_rule.ratio,
            rounding=self.amount_rule.rounding,
            computed=credits_text(computed),
            unmet=unmet,
            cap=cap,
        )
        return Award(
            credits=credits_text(credits), category=self.category, standard=self.name, basis=basis
        )


class RuleBook:
    """The standards in force at recording time, indexed for evaluating millions of outcomes."""

    __slots__ = ("_selections", "_versions_by_type", "standards")

    def __init__(self, standards: Iterable[Standard]) -> None:
        self.standards: tuple[Standard, ...] = tuple(standards)
        by_id: dict[str, dict[int, _Compiled]] = {}
        for standard in self.standards:
            versions = by_id.setdefault(standard.id, {})
            known = versions.get(standard.version)
            if known is None:
                versions[standard.version] = _compile(standard)
            elif known.standard != standard:
                problem = ("standards", f"two different standards are named {known.name}")
                raise StandardInvalidError([problem])
        # The index: per outcome type, the version lists (highest first) of every standard id
        # with a version that applies to that type. Supersession needs all versions of an id.
        self._versions_by_type: dict[str, tuple[tuple[_Compiled, ...], ...]] = {}
        for identifier in sorted(by_id):
            versions_descending = tuple(
                by_id[identifier][version] for version in sorted(by_id[identifier], reverse=True)
            )
            types = set().union(*(version.outcome_types for version in versions_descending))
            for outcome_type in sorted(types):
                group = self._versions_by_type.get(outcome_type, ())
                self._versions_by_type[outcome_type] = (*group, versions_descending)
        self._selections: dict[tuple[str, datetime.date], tuple[_Compiled, ...]] = {}

    def evaluate(
        self, outcome: OutcomeRecorded, issuer_kind: str, totals: Mapping[TotalKey, int]
    ) -> Decision:
        """The award for ``outcome`` and the deltas for the learner's totals (see module doc)."""
        compiled = self._select(outcome, issuer_kind)
        return _NO_STANDARD if compiled is None else compiled.evaluate(outcome, totals)

    def select(self, outcome: OutcomeRecorded, issuer_kind: str) -> Standard | None:
        """The standard that decides ``outcome``, or None when none applies."""
        compiled = self._select(outcome, issuer_kind)
        return None if compiled is None else compiled.standard

    def _select(self, outcome: OutcomeRecorded, issuer_kind: str) -> _Compiled | None:
        key = (outcome.outcome_type, outcome.completed_on)
        candidates = self._selections.get(key)
        if candidates is None:
            candidates = self._remember_candidates(key)
        issuer_id, course_code = outcome.issuer_id, outcome.course_code
        for compiled in candidates:
            if compiled.applies(issuer_kind, issuer_id, course_code):
                return compiled
        return None

    def _remember_candidates(self, key: tuple[str, datetime.date]) -> tuple[_Compiled, ...]:
        return _remember(self._selections, key, self._candidates(*key))

    def _candidates(self, outcome_type: str, day: datetime.date) -> tuple[_Compiled, ...]:
        """The versions in force on ``day`` for ``outcome_type``, in order of precedence."""
        found = []
        for versions in self._versions_by_type.get(outcome_type, ()):
            current = next((one for one in versions if one.applicability.in_force(day)), None)
            if current is not None and outcome_type in current.outcome_types:
                found.append(current)
        found.sort(key=_precedence_order)
        return tuple(found)


def _remember(memo: dict[Key, Value], key: Key, value: Value) -> Value:
    """Store ``value`` in a bounded memo, clearing it first when it is full."""
    if len(memo) >= memo_entries_max:
        memo.clear()
    memo[key] = value
    return value


def _precedence_order(compiled: _Compiled) -> tuple[int, str, int]:
    standard = compiled.standard
    return (-standard.precedence, standard.id, -standard.version)


def _compile(standard: Standard) -> _Compiled:
    """Compile one version; a quantity the engine cannot use is reported under its name."""
    try:
        return _Compiled(standard)
    except MalformedError as error:
        field = f"standards[{standard_name(standard.id, standard.version)}].{error.field}"
        raise StandardInvalidError([(field, error.reason)]) from None


def compile_rulebook(standards: Iterable[Standard]) -> RuleBook:
    """A rule book for the given standards (published, not retired, at recording time)."""
    return RuleBook(standards)
