"""Who may act on or see what: every resource-dependent permission check of the service.

Role guards on the API say which roles may call an endpoint at all; the checks here depend on the
resource as well (an issuer's own records, a learner's own archive). Each answers in one of two
ways, chosen for what the refusal would reveal:

- 403 (``ForbiddenError``) where the caller names the issuer they act for: an issuer token
  recording or importing for another issuer learns nothing it did not say itself.
- 404 (``NotFoundError``) where the resource's existence is the secret: another learner's
  archive, another issuer's outcome, import or entry. Telling such a caller "forbidden" would
  confirm the learner_ref, record id or job id exists, so they are told there is none.

Every check is pure: it looks at the principal and the resource's owner, never at the database,
so it can run before a look-up that could itself reveal something.
"""

from __future__ import annotations

from creditbank.errors import ForbiddenError, NotFoundError
from creditbank.tokens import Principal
from schemas.entries import (
    AwardGranted,
    BatchCommitted,
    OutcomeRecorded,
    OutcomeRevoked,
    RecognitionGranted,
    RecognitionReversed,
)

__all__ = [
    "acts_as_admin",
    "acts_for_issuer",
    "changes_outcome",
    "is_the_learner",
    "sees_drafts",
    "sees_entry",
    "sees_import",
    "sees_learner",
]

_ISSUER_ENTRIES = BatchCommitted | OutcomeRecorded | OutcomeRevoked | AwardGranted
_LEARNER_ENTRIES = (
    OutcomeRecorded | OutcomeRevoked | AwardGranted | RecognitionGranted | RecognitionReversed
)


def acts_for_issuer(principal: Principal, issuer_id: str, action: str) -> None:
    """403 unless an issuer token acts for its own issuer (``action``: "record outcomes")."""
    if principal.role != "issuer" or principal.issuer_id != issuer_id:
        raise ForbiddenError(f"an issuer token may {action} for its own issuer only")


def changes_outcome(principal: Principal, issuer_id: str, record_id: str) -> None:
    """The depositing issuer or admin may revoke or correct; to anyone else, 404."""
    if principal.role == "admin":
        return
    if principal.role == "issuer" and principal.issuer_id == issuer_id:
        return
    raise NotFoundError(f"no outcome {issuer_id}/{record_id}")


def sees_learner(principal: Principal, learner_ref: str) -> None:
    """The learner themself or an admin; anyone else is told there is no such learner (404)."""
    if principal.role == "admin":
        return
    if principal.role == "learner" and principal.learner_ref == learner_ref:
        return
    raise NotFoundError(f"no learner {learner_ref}")


def is_the_learner(principal: Principal) -> str:
    """A learner's own learner_ref; 404 for any other caller of a learner-only look-up."""
    if principal.role != "learner" or principal.learner_ref is None:
        raise NotFoundError("only a learner may look up their own learner_ref")
    return principal.learner_ref


def sees_import(principal: Principal, issuer_id: str, job_id: str) -> None:
    """The importing issuer or an admin; anyone else is told there is no such import (404)."""
    if principal.role == "admin":
        return
    if principal.role == "issuer" and principal.issuer_id == issuer_id:
        return
    raise NotFoundError(f"no import {job_id}")


def sees_entry(principal: Principal, entry: object, index: int) -> None:
    """Auditors and admins see every entry; issuers their own outcomes, revocations and
    batches; learners the entries about themselves; anyone else gets 404, not 403."""
    if principal.role in ("auditor", "admin"):
        return
    if (
        principal.role == "issuer"
        and isinstance(entry, _ISSUER_ENTRIES)
        and entry.issuer_id == principal.issuer_id
    ):
        return
    if (
        principal.role == "learner"
        and isinstance(entry, _LEARNER_ENTRIES)
        and entry.learner_ref == principal.learner_ref
    ):
        return
    raise NotFoundError(f"no entry {index}")


def sees_drafts(principal: Principal) -> bool:
    """Drafts are the working documents of accreditation staff; everyone else, admins
    included, sees published standards only."""
    return principal.role == "accreditor"


def acts_as_admin(principal: Principal) -> bool:
    """Whether an entry records the act as an admin's rather than the owner's own."""
    return principal.role == "admin"
