"""The rules engine alone: ``RuleBook.evaluate`` over a million generated outcomes.

The outcomes (a few hundred course codes with Chinese titles, ~50,000 learners, five standards
with caps, a cap year starting 1 March and a superseding version) are generated before any timing.
One pass evaluates every outcome in order and adds its deltas to a dict of running totals, as an
import does. Reported: evaluations/s (median of 3 passes when three fit in about a minute, else
one pass), the same for a trivial loop doing one dict look-up per outcome, and their ratio, plus,
from an untimed pass, how the outcomes were classified. No database is involved.
"""

from __future__ import annotations

import datetime
import gc
import random
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import msgspec

from creditbank.rules import RuleBook, TotalKey, compile_rulebook
from schemas.entries import OutcomeRecorded
from schemas.standards import Standard

OUTCOMES = 1_000_000
LEARNERS = 50_000
ISSUERS = 200
COURSES = 300
SEED = 20261128
PASSES_MAX = 3
TIMED_SECONDS_BUDGET = 60.0  # three passes only if they fit in about this long
FIRST_DAY = datetime.date(2025, 1, 1)
DAYS = 700

ISSUER_KINDS = ("enterprise", "community_school", "elderly_university", "adult_school", "college")
# (outcome type, code prefix, share of outcomes)
COURSE_FAMILIES = (
    ("enterprise_training", "SAFE", 0.35),
    ("enterprise_training", "CNC", 0.25),
    ("community_course", "COMM", 0.2),
    ("elderly_course", "ELD", 0.1),
    ("vocational_certificate", "VC", 0.1),
)
# Who teaches what; one outcome in MISMATCHED comes from any issuer (and may find no standard).
ISSUER_KINDS_BY_TYPE = {
    "enterprise_training": ("enterprise",),
    "community_course": ("community_school", "adult_school"),
    "elderly_course": ("elderly_university",),
    "vocational_certificate": ("college", "adult_school"),
}
MISMATCHED = 50
TITLES = (
    "安全生产培训",
    "数控机床操作",
    "社区书法与国画",
    "老年智能手机应用",
    "焊工职业技能等级证书",
)


# Five standards as accreditation staff write them (the TOML files' shape, decimals as text); the
# elderly one gets a version 2 in 2026 that supersedes version 1.
_MARCH = "03-01"
_SINCE = "2024-01-01"
STANDARD_DOCUMENTS: list[dict[str, Any]] = [
    {
        "id": "enterprise-safety",
        "category": "vocational.safety",
        "applies_to": {"outcome_types": ["enterprise_training"], "course_codes": ["SAFE-*"]},
        "requires": {"min_score": "60"},
        "award": {"method": "per_hours", "hours_per_unit": "16"},
        "max_per_outcome": "4",
        "caps": {
            "per_category_per_year": "10",
            "per_issuer_per_year": "6",
            "lifetime": "40",
            "year_starts": _MARCH,
        },
        "precedence": 10,
    },
    {
        "id": "enterprise-general",
        "category": "vocational.general",
        "applies_to": {"outcome_types": ["enterprise_training"], "issuer_kinds": ["enterprise"]},
        "award": {"method": "per_hours", "hours_per_unit": "20", "rounding": "half_up"},
        "caps": {"per_category_per_year": "8", "year_starts": _MARCH},
    },
    {
        "id": "community-course",
        "category": "community.general",
        "applies_to": {"outcome_types": ["community_course"]},
        "requires": {"results": ["passed", "completed"], "min_attendance_pct": "80"},
        "award": {"method": "fixed", "credits": "1"},
        "caps": {"lifetime": "30"},
    },
    {
        "id": "vocational-certificate",
        "category": "vocational.certificate",
        "applies_to": {"outcome_types": ["vocational_certificate"]},
        "award": {
            "method": "table",
            "levels": [
                {"level": "高级", "course_codes": ["VC-*-L3"], "credits": "8"},
                {"level": "中级", "course_codes": ["VC-*-L2"], "credits": "5"},
                {"level": "初级", "course_codes": ["VC-*-L1"], "credits": "3"},
            ],
        },
        "caps": {"lifetime": "60", "year_starts": _MARCH},
    },
    *(
        {
            "id": "elderly-course",
            "version": version,
            "effective_from": since,
            "category": "leisure.elderly",
            "applies_to": {"outcome_types": ["elderly_course"]},
            "award": {
                "method": "per_hours",
                "hours_per_unit": "10",
                "credits_per_unit": "0.5",
                "rounding_step": "0.25",
            },
            "caps": {"per_category_per_year": cap, "year_starts": _MARCH},
        }
        for version, since, cap in ((1, _SINCE, "5"), (2, "2026-01-01", "6"))
    ),
]


def standards() -> list[Standard]:
    """The benchmark's standards, decoded and validated by the schema like staff's files."""
    defaults = {"version": 1, "title": "学分转换标准", "effective_from": _SINCE}
    return [msgspec.convert({**defaults, **document}, Standard) for document in STANDARD_DOCUMENTS]


def _courses(generator: random.Random) -> list[tuple[str, str, str]]:
    """(outcome type, course code, title) for a few hundred courses."""
    courses = []
    weights = [share for _, _, share in COURSE_FAMILIES]
    for serial in range(COURSES):
        outcome_type, prefix, _ = generator.choices(COURSE_FAMILIES, weights)[0]
        if prefix == "VC":
            code = f"VC-{generator.choice(['WELD', 'ELEC', 'CNC'])}{serial:03d}-L{serial % 3 + 1}"
        else:
            code = f"{prefix}-{serial:03d}"
        title = f"{generator.choice(TITLES)}（第{serial % 12 + 1}期）"
        courses.append((outcome_type, code, title))
    return courses


def generate(count: int, seed: int = SEED) -> tuple[list[OutcomeRecorded], dict[str, str]]:
    """``count`` outcomes and each issuer's kind; strings are shared as a decoder would not, to
    keep a million outcomes within a few hundred megabytes."""
    generator = random.Random(seed)
    issuers = {f"issuer-{serial:03d}": ISSUER_KINDS[serial % 5] for serial in range(ISSUERS)}
    issuer_ids = sorted(issuers)
    teaching = {
        outcome_type: [issuer for issuer in issuer_ids if issuers[issuer] in kinds]
        for outcome_type, kinds in ISSUER_KINDS_BY_TYPE.items()
    }
    learners = [f"{generator.getrandbits(256):064x}" for _ in range(LEARNERS)]
    courses = _courses(generator)
    days = [FIRST_DAY + datetime.timedelta(days=offset) for offset in range(DAYS)]
    hours = [f"{tenths // 10}.{tenths % 10}" for tenths in range(0, 801, 5)]
    scores = [f"{tenths // 10}.{tenths % 10}" for tenths in range(550, 1001, 5)]
    attendance = [f"{tenths // 10}.{tenths % 10}" for tenths in range(700, 1001, 5)]
    results = ("passed",) * 18 + ("completed", "failed")
    outcomes = []
    for serial in range(count):
        outcome_type, code, title = courses[generator.randrange(COURSES)]
        candidates = issuer_ids if serial % MISMATCHED == 0 else teaching[outcome_type]
        outcomes.append(
            OutcomeRecorded(
                issuer_id=candidates[generator.randrange(len(candidates))],
                record_id=f"R-{serial:09d}",
                learner_ref=learners[generator.randrange(LEARNERS)],
                outcome_type=outcome_type,  # type: ignore[arg-type]
                course_code=code,
                course_title=title,
                hours=hours[generator.randrange(len(hours))],
                result=results[generator.randrange(len(results))],  # type: ignore[arg-type]
                score=scores[generator.randrange(len(scores))] if serial % 7 else None,
                attendance_pct=attendance[generator.randrange(len(attendance))],
                completed_on=days[generator.randrange(DAYS)],
                recorded_at="2026-11-28T12:00:00Z",
            )
        )
    return outcomes, issuers


def _evaluate_all(
    book: RuleBook, outcomes: Sequence[OutcomeRecorded], issuers: dict[str, str]
) -> float:
    """One timed pass, as an import runs it; returns evaluations/s."""
    totals: dict[TotalKey, int] = {}
    started = time.perf_counter()
    for outcome in outcomes:
        decision = book.evaluate(outcome, issuers[outcome.issuer_id], totals)
        for key, amount in decision.deltas:
            totals[key] = totals.get(key, 0) + amount
    return len(outcomes) / (time.perf_counter() - started)


def _classify(outcomes: Sequence[OutcomeRecorded], issuers: dict[str, str]) -> Counter[str]:
    """An untimed pass: how the outcomes fared, to show the data is realistic."""
    book = compile_rulebook(standards())
    totals: dict[TotalKey, int] = {}
    classes: Counter[str] = Counter()
    for outcome in outcomes:
        decision = book.evaluate(outcome, issuers[outcome.issuer_id], totals)
        for key, amount in decision.deltas:
            totals[key] = totals.get(key, 0) + amount
        award = decision.award
        if award is None:
            classes["no_standard"] += 1
        elif award.basis.unmet is not None:
            classes["unmet"] += 1
        elif award.basis.cap == "per_outcome":
            classes["reduced_to_max_per_outcome"] += 1
        elif award.basis.cap is not None:
            classes["capped"] += 1
        else:
            classes["awarded"] += 1
    return classes


def _baseline(outcomes: Sequence[OutcomeRecorded], issuers: dict[str, str]) -> float:
    """The floor of any per-outcome Python loop: one dict look-up each."""
    started = time.perf_counter()
    for outcome in outcomes:
        issuers.get(outcome.issuer_id)
    return len(outcomes) / (time.perf_counter() - started)


def run(count: int = OUTCOMES) -> dict[str, object]:
    """Generate, then time; see the module docstring for what is reported."""
    started = time.perf_counter()
    gc.disable()
    try:
        outcomes, issuers = generate(count)
    finally:
        gc.enable()
    gc.freeze()  # the generated outcomes live for the whole run; collections need not scan them
    generation_seconds = time.perf_counter() - started
    try:
        compile_started = time.perf_counter()
        book = compile_rulebook(standards())
        compile_seconds = time.perf_counter() - compile_started
        rates: list[float] = []
        baselines: list[float] = []
        for _ in range(PASSES_MAX):
            # A fresh book each pass, so its memos start empty as in a real import; the baseline
            # right after, so the machine's drift affects both alike.
            rates.append(_evaluate_all(compile_rulebook(standards()), outcomes, issuers))
            baselines.append(_baseline(outcomes, issuers))
            if len(outcomes) / rates[0] * PASSES_MAX > TIMED_SECONDS_BUDGET:
                break
        classes = _classify(outcomes, issuers)
    finally:
        gc.unfreeze()
    evaluations_per_second = statistics.median(rates)
    baseline_per_second = statistics.median(baselines)
    return {
        "outcomes": len(outcomes),
        "learners": LEARNERS,
        "courses": COURSES,
        "standards": len(book.standards),
        "passes": len(rates),
        "generation_s": round(generation_seconds, 1),
        "compile_ms": round(compile_seconds * 1000, 2),
        "evaluations_per_s": round(evaluations_per_second),
        "microseconds_per_evaluation": round(1e6 / evaluations_per_second, 2),
        "evaluations_per_s_each_pass": [round(one) for one in rates],
        "baseline_lookups_per_s": round(baseline_per_second),
        "ratio_to_baseline": round(evaluations_per_second / baseline_per_second, 3),
        "classes": dict(sorted(classes.items())),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=2))
