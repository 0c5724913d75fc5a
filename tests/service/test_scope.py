"""The permission checks of ``creditbank.service.scope``: who may act or see, and whether a
refusal is 403 (the caller named what they act for) or 404 (existence itself is the secret)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from creditbank.errors import ForbiddenError, NotFoundError
from creditbank.service import scope
from creditbank.tokens import Principal
from schemas.entries import IssuerRegistered, OutcomeRevoked

ADMIN = Principal(role="admin")
AUDITOR = Principal(role="auditor")
ACCREDITOR = Principal(role="accreditor")
ACME = Principal(role="issuer", issuer_id="acme")
OTHER_ISSUER = Principal(role="issuer", issuer_id="other")
LEARNER = Principal(role="learner", learner_ref="ref-1")
OTHER_LEARNER = Principal(role="learner", learner_ref="ref-2")
EVERYONE = [ADMIN, AUDITOR, ACCREDITOR, ACME, OTHER_ISSUER, LEARNER, OTHER_LEARNER]


def _allowed(check: Callable[..., object], *arguments: object) -> bool | type[Exception]:
    try:
        check(*arguments)
    except (ForbiddenError, NotFoundError) as error:
        return type(error)
    return True


def test_acting_for_an_issuer_is_the_issuers_own_token_alone_and_others_get_403() -> None:
    """Only acme's issuer token records or imports for acme; everyone else, admin included,
    is refused with 403, since they named the issuer themselves."""
    answers = {p: _allowed(scope.acts_for_issuer, p, "acme", "import") for p in EVERYONE}
    assert answers == {p: True if p is ACME else ForbiddenError for p in EVERYONE}


def test_changing_an_outcome_is_for_its_issuer_or_admin_and_others_get_404() -> None:
    """Revocation and correction: the depositing issuer or an admin; to anyone else the
    outcome does not exist, so a record id cannot be probed."""
    answers = {p: _allowed(scope.changes_outcome, p, "acme", "R-1") for p in EVERYONE}
    assert answers == {p: True if p in (ADMIN, ACME) else NotFoundError for p in EVERYONE}


def test_a_learner_is_seen_by_themself_and_admin_only_and_others_get_404() -> None:
    """Archives, exports and recognition: the learner or an admin; not even auditors or the
    learner's own issuer learn that a learner_ref exists."""
    answers = {p: _allowed(scope.sees_learner, p, "ref-1") for p in EVERYONE}
    assert answers == {p: True if p in (ADMIN, LEARNER) else NotFoundError for p in EVERYONE}


def test_an_import_is_seen_by_its_issuer_and_admin_only_and_others_get_404() -> None:
    """Import jobs: the importing issuer or an admin; other callers get 404 for the job id."""
    answers = {p: _allowed(scope.sees_import, p, "acme", "job-1") for p in EVERYONE}
    assert answers == {p: True if p in (ADMIN, ACME) else NotFoundError for p in EVERYONE}


REVOKED = OutcomeRevoked(
    issuer_id="acme",
    record_id="R-1",
    outcome_index=0,
    learner_ref="ref-1",
    reason="录入错误",
    revoked_by="issuer",
    revoked_at="2026-11-28T09:00:00Z",
)
REGISTERED = IssuerRegistered(
    issuer_id="acme",
    name="华东精密制造有限公司",
    issuer_kind="enterprise",
    registered_at="2026-11-28T09:00:00Z",
)


def test_an_entry_about_an_issuer_and_a_learner_is_seen_by_both_and_auditors() -> None:
    """A revocation is acme's and ref-1's: they, auditors and admins see it; other issuers,
    other learners and accreditors get 404."""
    answers = {p: _allowed(scope.sees_entry, p, REVOKED, 7) for p in EVERYONE}
    seen_by = (ADMIN, AUDITOR, ACME, LEARNER)
    assert answers == {p: True if p in seen_by else NotFoundError for p in EVERYONE}


def test_an_issuer_registration_is_for_auditors_and_admins_only() -> None:
    """Receipts of registrations are not an issuer's own outcomes: only auditors and admins."""
    answers = {p: _allowed(scope.sees_entry, p, REGISTERED, 0) for p in EVERYONE}
    assert answers == {p: True if p in (ADMIN, AUDITOR) else NotFoundError for p in EVERYONE}


def test_only_a_learner_may_look_up_their_own_ref() -> None:
    """The ID-number look-up answers a learner with their own ref and everyone else with 404."""
    assert scope.is_the_learner(LEARNER) == "ref-1"
    for principal in EVERYONE:
        if principal.role != "learner":
            with pytest.raises(NotFoundError):
                scope.is_the_learner(principal)


def test_drafts_are_for_accreditors_and_acts_are_recorded_as_admin_or_owner() -> None:
    """Draft standards are visible to accreditors alone; an entry records an admin's act as
    the admin's and everyone else's as the owner's own."""
    assert [p for p in EVERYONE if scope.sees_drafts(p)] == [ACCREDITOR]
    assert [p for p in EVERYONE if scope.acts_as_admin(p)] == [ADMIN]
