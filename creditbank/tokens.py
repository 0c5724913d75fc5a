"""Bearer tokens: random secrets shown once, stored only as SHA-256 hashes.

A token has exactly one role and, for the ``issuer`` and ``learner`` roles, one scope. The
tokens are 256-bit random values, so a plain SHA-256 is the right hash: there is nothing to
brute-force that a slow hash would protect.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal, get_args

from creditbank.errors import MalformedError

__all__ = ["Principal", "Role", "hash_token", "new_token", "roles"]

Role = Literal["issuer", "learner", "accreditor", "auditor", "admin"]
roles: tuple[Role, ...] = get_args(Role)
token_prefix = "cbt_"  # noqa: S105 - a prefix that makes leaked tokens greppable
token_random_bytes = 32


@dataclass(frozen=True, kw_only=True)
class Principal:
    """Who is calling: a role and, for issuers and learners, the one id they may act for."""

    role: Role
    issuer_id: str | None = None
    learner_ref: str | None = None

    def __post_init__(self) -> None:
        if self.role == "issuer" and not self.issuer_id:
            raise MalformedError("issuer", "an issuer token needs --issuer")
        if self.role == "learner" and not self.learner_ref:
            raise MalformedError("learner", "a learner token needs --learner")
        if self.role != "issuer" and self.issuer_id is not None:
            raise MalformedError("issuer", "only issuer tokens carry an issuer scope")
        if self.role != "learner" and self.learner_ref is not None:
            raise MalformedError("learner", "only learner tokens carry a learner scope")


def new_token() -> str:
    return token_prefix + secrets.token_urlsafe(token_random_bytes)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
