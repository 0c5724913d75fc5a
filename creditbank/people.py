"""A person's account, as the bank knows it: pure data, no I/O.

Staff accounts have a username and a role (an issuer officer also its issuer); a learner's
account has only its learner_ref, so the accounts table links no name or ID number to anyone.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from creditbank.tokens import Role

__all__ = ["Account"]


@dataclass(frozen=True, kw_only=True)
class Account:
    account_id: str
    username: str | None
    role: Role
    issuer_id: str | None
    learner_ref: str | None
    password_hash: str | None
    created_at: datetime.datetime
    disabled_at: datetime.datetime | None
