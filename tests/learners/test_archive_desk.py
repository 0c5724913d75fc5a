"""The archive desk's views for the pages: one outcome by its index however long the archive,
and the filter menus from everything the learner holds (both databases)."""

from __future__ import annotations

import datetime

import pytest

from creditbank.errors import NotFoundError
from creditbank.learners.archive import ArchiveFilter, archive_page_size_max
from creditbank.privacy import normalise_identifier
from creditbank.service.bank import Bank
from creditbank.tokens import Principal
from tests.factories import issuer_registration, outcome_record, resident_id

LEARNER_ID = resident_id(7)


async def _deposit(bank: Bank, issuer_id: str, serial: int, completed: datetime.date) -> int:
    issuer = Principal(role="issuer", issuer_id=issuer_id)
    record = outcome_record(
        serial, issuer_id=issuer_id, learner_id=LEARNER_ID, completed_on=completed
    )
    accepted = await bank.deposits.record_outcome(issuer, record)
    return accepted.index


async def test_filter_menus_hold_every_year_and_issuer_even_when_filtered(bank: Bank) -> None:
    """The menus list what the whole archive holds, not what the current filter shows."""
    for issuer_id in ("acme-training", "other-school"):
        await bank.deposits.register_issuer(issuer_registration(issuer_id))
    first = await _deposit(bank, "acme-training", 1, datetime.date(2024, 5, 1))
    await _deposit(bank, "other-school", 2, datetime.date(2026, 3, 1))
    admin = Principal(role="admin")
    page, choices = await bank.archives.archive_page(admin, _ref(bank), ArchiveFilter(year=2024))
    assert [item.index for item in page.outcomes] == [first]
    assert choices.years == [2026, 2024]
    assert [issuer_id for issuer_id, _ in choices.issuers] == ["acme-training", "other-school"]


@pytest.mark.slow
async def test_one_outcome_is_found_past_the_largest_page(bank: Bank) -> None:
    """An archive longer than a page still shows its oldest outcome; another learner's
    outcome, or an index that is no outcome, is not found."""
    await bank.deposits.register_issuer(issuer_registration())
    start = datetime.date(2000, 1, 1)
    indices = [
        await _deposit(bank, "acme-training", serial, start + datetime.timedelta(days=serial))
        for serial in range(archive_page_size_max + 5)
    ]
    admin = Principal(role="admin")
    ref = _ref(bank)
    oldest, recognitions = await bank.archives.outcome(admin, ref, indices[0])
    assert oldest.index == indices[0]
    assert oldest.completed_on == start
    assert recognitions == []
    other = Principal(role="issuer", issuer_id="acme-training")
    someone_else = await bank.deposits.record_outcome(other, outcome_record(900))
    with pytest.raises(NotFoundError):
        await bank.archives.outcome(admin, ref, someone_else.index)
    with pytest.raises(NotFoundError):
        await bank.archives.outcome(admin, ref, 0)  # the issuer's registration


def _ref(bank: Bank) -> str:
    return bank.pseudonymizer.learner_ref(
        normalise_identifier("cn_resident_id", LEARNER_ID, issuer_id="")
    )
