"""Passwords and the one-time secrets handed to people: pure, no I/O.

Passwords are hashed with Argon2id (argon2-cffi's defaults follow RFC 9106's second recommended
option). Activation codes are printed on paper and typed by people who may rarely use a keyboard,
so their alphabet leaves out letters that read like digits (I, L, O, U) and they are grouped in
fours; typing them in lower case, with or without the dashes, is accepted.
"""

from __future__ import annotations

import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from creditbank import limits
from creditbank.errors import MalformedError

__all__ = [
    "check_password_rules",
    "code_hash",
    "hash_password",
    "new_activation_code",
    "new_secret",
    "normalise_code",
    "password_matches",
    "secret_hash",
]

_hasher = PasswordHasher()
# Crockford's base32 alphabet: no I, L, O or U.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
code_groups = 3
code_group_chars = 4  # 12 characters, 60 bits: guessing one is hopeless under the sign-in limit
_LOOK_ALIKES = str.maketrans("OIL", "011")
_secret_bytes = 32


@functools.cache
def _dummy_hash() -> str:
    """Checked when no account matched, so a missing account takes as long to refuse as a
    wrong password. Made on first use: hashing costs a tenth of a second, which every process
    (each CLI command among them) would otherwise pay at import."""
    return _hasher.hash("not a password anyone has")


def check_password_rules(password: str) -> None:
    if len(password) < limits.password_chars_min:
        raise MalformedError("password", f"use at least {limits.password_chars_min} characters")
    if len(password) > limits.password_chars_max:
        raise MalformedError("password", f"use at most {limits.password_chars_max} characters")
    if not password.strip():
        raise MalformedError("password", "a password of spaces only is too easy to guess")


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; a missing hash costs the same time and does not match."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    """A URL-safe random secret: a set-password link or a session id."""
    return secrets.token_urlsafe(_secret_bytes)


def secret_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def new_activation_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(code_groups * code_group_chars))
    return "-".join(
        raw[start : start + code_group_chars] for start in range(0, len(raw), code_group_chars)
    )


def normalise_code(typed: str) -> str:
    """The code as printed, from what a person typed (case, spaces, dashes, O for 0, I/L for 1)."""
    kept = "".join(char for char in typed.upper() if char.isalnum())
    kept = kept.translate(_LOOK_ALIKES)
    if len(kept) != code_groups * code_group_chars or not set(kept) <= set(_CODE_ALPHABET):
        return ""
    return "-".join(
        kept[start : start + code_group_chars] for start in range(0, len(kept), code_group_chars)
    )


def code_hash(code: str) -> bytes:
    return hashlib.sha256(("activation:" + code).encode()).digest()
