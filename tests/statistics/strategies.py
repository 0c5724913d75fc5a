"""Generated facts for the statistics tests: small domains, so that small cells are common."""

from __future__ import annotations

import dataclasses
import datetime

from hypothesis import strategies as st

from creditbank.statistics.facts import (
    AGE_BANDS,
    DIMENSIONS,
    SEXES,
    UNKNOWN,
    Dimension,
    OutcomeFact,
)

ISSUERS = {
    "acme": "enterprise",
    "bolt": "enterprise",
    "east-school": "community_school",
    "night-school": "adult_school",
    "silver-uni": "elderly_university",
    "city-college": "college",
}
OUTCOME_TYPES = (
    "enterprise_training",
    "community_course",
    "elderly_course",
    "vocational_certificate",
    "skill_certificate",
    "academic_course",
)
DISTRICTS = ("湖滨街道", "长庆街道", None)
CATEGORIES = ("vocational.safety", "community.arts", None)
LEARNERS_DEFAULT = 10


@st.composite
def outcome_facts(draw: st.DrawFn, learners: int = LEARNERS_DEFAULT) -> OutcomeFact:
    """One fact of one of ``learners`` learners (few: the same people in several cells)."""
    completed_on = draw(st.dates(datetime.date(2024, 1, 1), datetime.date(2025, 12, 31)))
    category = draw(st.sampled_from(CATEGORIES))
    issuer = draw(st.sampled_from(sorted(ISSUERS)))
    return OutcomeFact(
        index=0,
        learner_ref=f"{draw(st.integers(0, learners - 1)):064x}",
        completed_on=completed_on,
        cap_year=f"{completed_on.year}-01-01",
        issuer_id=issuer,
        issuer_kind=ISSUERS[issuer],
        district=draw(st.sampled_from(DISTRICTS)),
        outcome_type=draw(st.sampled_from(OUTCOME_TYPES)),
        category=category,
        hours_tenths=draw(st.integers(0, 400)),
        credits=0 if category is None else draw(st.integers(0, 300)),
        recognised=draw(st.booleans()),
        age_band=draw(st.sampled_from((*AGE_BANDS, UNKNOWN))),
        sex=draw(st.sampled_from((*SEXES, UNKNOWN))),
    )


def fact_lists(
    max_size: int = 40, learners: int = LEARNERS_DEFAULT
) -> st.SearchStrategy[list[OutcomeFact]]:
    """Facts numbered as the log would: one entry index each."""
    return st.lists(outcome_facts(learners), max_size=max_size).map(
        lambda facts: [dataclasses.replace(fact, index=i) for i, fact in enumerate(facts)]
    )


def dimension_tuples(
    min_size: int = 0, max_size: int = 3
) -> st.SearchStrategy[tuple[Dimension, ...]]:
    return st.lists(
        st.sampled_from(DIMENSIONS), min_size=min_size, max_size=max_size, unique=True
    ).map(tuple)
