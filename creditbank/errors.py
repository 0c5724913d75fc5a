"""Typed errors with stable codes.

Every error a caller can cause is a subclass of ``CreditbankError`` carrying a ``code`` that never
changes meaning and is never reused. The HTTP layer maps codes to RFC 9457 problems; the import
pipeline turns them into per-row classifications. Programmer errors are assertions, not these.

    CreditbankError
    ├── InputError                      the request or record is wrong
    │   ├── MalformedError              one field is wrong (field, reason)
    │   │   └── InvalidLearnerIdError   a learner identifier fails validation
    │   ├── StandardInvalidError        a standard or programme has problems [(field, reason)]
    │   ├── FileFormatError             an import file cannot be read at all (reason_code)
    │   ├── FileTooLargeError           an import file or an append past its limit
    │   ├── SignatureError              an issuer's signature over an import does not verify
    │   ├── UnknownIssuerError          the issuer is not registered
    │   ├── TableTooLargeError          a statistics table past the cells disclosure control takes
    │   └── UnreadableRequestError      HTTP input no handler should see (NUL, bad UTF-8, depth)
    │       ├── NulCharacterError
    │       ├── InvalidUtf8Error
    │       └── NestingTooDeepError
    ├── NotFoundError                   no such thing (or not visible to the caller)
    ├── ConflictError
    │   ├── ExistsWithDifferentContentError
    │   ├── AlreadyRevokedError
    │   ├── AlreadyReversedError
    │   ├── NotInEffectError
    │   ├── AlreadyAwardedError         an outcome holds an award already (decided or granted)
    │   ├── CapExceededError            a granted award would pass a cap (cap, remaining)
    │   └── AccountExistsError          the username is taken
    ├── AuthError
    │   ├── UnauthenticatedError
    │   ├── ForbiddenError
    │   ├── SignInFailedError           a person's sign-in or activation did not match
    │   ├── TooManyAttemptsError        too many failed sign-ins; wait (retry_after)
    │   └── LinkInvalidError            a one-time link is unknown, used or expired
    ├── LedgerError                     a log artefact does not verify or parse
    │   ├── ProofError
    │   ├── NoteError
    │   │   └── UnknownSignerError      no signature from a trusted key at all
    │   ├── TileError
    │   └── CanonicalError
    ├── IntegrityError                  stored state contradicts the signed checkpoint
    ├── WritesDisabledError             writes refused after a failed start-up check
    ├── UnavailableError                the store cannot answer now; retry later (retry_after)
    │   ├── DatabaseUnavailableError    the database cannot be reached
    │   ├── DatabaseBusyError           the database is locked by another writer for too long
    │   └── StorageFullError            the disk under the database or data directory is full
    └── ConfigurationError              the deployment is set up wrongly
"""

from __future__ import annotations

__all__ = [
    "AccountExistsError",
    "AlreadyAwardedError",
    "AlreadyReversedError",
    "AlreadyRevokedError",
    "AuthError",
    "CanonicalError",
    "CapExceededError",
    "ConfigurationError",
    "ConflictError",
    "CreditbankError",
    "DatabaseBusyError",
    "DatabaseUnavailableError",
    "ExistsWithDifferentContentError",
    "FileFormatError",
    "FileTooLargeError",
    "ForbiddenError",
    "InputError",
    "IntegrityError",
    "InvalidLearnerIdError",
    "InvalidUtf8Error",
    "LedgerError",
    "LinkInvalidError",
    "MalformedError",
    "NestingTooDeepError",
    "NotFoundError",
    "NotInEffectError",
    "NoteError",
    "NulCharacterError",
    "ProofError",
    "SignInFailedError",
    "SignatureError",
    "StandardInvalidError",
    "StorageFullError",
    "TableTooLargeError",
    "TileError",
    "TooManyAttemptsError",
    "UnauthenticatedError",
    "UnavailableError",
    "UnknownIssuerError",
    "UnknownSignerError",
    "UnreadableRequestError",
    "WritesDisabledError",
]


class CreditbankError(Exception):
    """Base of every error a caller can cause; ``code`` is stable."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(CreditbankError):
    code = "invalid_input"


class MalformedError(InputError):
    """One field of a record or request is wrong."""

    code = "malformed"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InvalidLearnerIdError(MalformedError):
    code = "invalid_learner_id"

    def __init__(self, reason: str, field: str = "learner_id") -> None:
        super().__init__(field, reason)


class StandardInvalidError(InputError):
    """A conversion standard or programme document has problems; ``problems`` lists them all.

    Each problem is (field, reason), the field a dotted path such as "award.hours_per_unit" or
    "document" when the text cannot be read at all, so staff can fix every one in one pass.
    """

    code = "invalid_standard"

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        assert problems, "an invalid standard has at least one problem"
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in problems))
        self.problems = list(problems)


class FileFormatError(InputError):
    """An import file cannot be read as a whole; ``reason_code`` says why and is stable.

    Problems with one row are not this error: they become that row's classification. This is for
    the file itself (binary, wrong encoding, a line past its limit, a header that does not fit).
    """

    code = "invalid_file"
    reason_codes = frozenset(
        {
            "not_text",
            "wrong_encoding",
            "line_too_long",
            "missing_column",
            "unknown_column",
            "duplicate_column",
            "malformed_json",
            "empty",
            "unknown_format",
            # Workbooks: not one calamine can read (damaged, or another kind of file), locked
            # with a password, or no row near the top that names the columns.
            "not_spreadsheet",
            "password_protected",
            "no_header",
        }
    )

    def __init__(self, reason_code: str, detail: str = "") -> None:
        assert reason_code in self.reason_codes, reason_code
        super().__init__(f"{reason_code}: {detail}" if detail else reason_code)
        self.reason_code = reason_code
        self.detail = detail


class FileTooLargeError(InputError):
    """An import file is over the size or row limit a deployment accepts in one batch."""

    code = "file_too_large"


class SignatureError(InputError):
    """An import's signature is not the issuer's over this file, or the issuer has no key."""

    code = "invalid_signature"


class NotFoundError(CreditbankError):
    code = "not_found"


class ConflictError(CreditbankError):
    code = "conflict"


class ExistsWithDifferentContentError(ConflictError):
    """The client's own id is taken by a record with other content (TigerBeetle's rule)."""

    code = "exists_with_different_content"

    def __init__(self, message: str, *, index: int) -> None:
        super().__init__(message)
        self.index = index


class AlreadyRevokedError(ConflictError):
    """The outcome was revoked before; a revocation is final."""

    code = "already_revoked"


class AlreadyReversedError(ConflictError):
    """The recognition was reversed before."""

    code = "already_reversed"


class AlreadyAwardedError(ConflictError):
    """An outcome holds an award already: decided at deposit, or granted before."""

    code = "already_awarded"


class CapExceededError(ConflictError):
    """A granted award would pass one of its standard's caps; ``remaining`` is what fits."""

    code = "cap_exceeded"

    def __init__(self, cap: str, standard: str, *, remaining: int) -> None:
        whole, cents = divmod(remaining, 100)
        super().__init__(
            f"over the {cap} cap of {standard}: at most {whole}.{cents:02d} credits fit"
        )
        self.cap = cap
        self.standard = standard
        self.remaining = remaining


class NotInEffectError(ConflictError):
    """A programme is applied for outside its effective dates."""

    code = "not_in_effect"


class AuthError(CreditbankError):
    code = "auth"


class UnauthenticatedError(AuthError):
    code = "unauthenticated"


class ForbiddenError(AuthError):
    code = "forbidden"


class SignInFailedError(AuthError):
    """The name, ID number, password or code did not match. Deliberately says no more: which
    part was wrong would tell a stranger whether an account exists."""

    code = "sign_in_failed"


class TooManyAttemptsError(AuthError):
    """Too many failed attempts for this account or from this address; ``retry_after`` s."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LinkInvalidError(AuthError):
    code = "link_invalid"


class LedgerError(CreditbankError):
    code = "ledger"


class ProofError(LedgerError):
    code = "invalid_proof"


class NoteError(LedgerError):
    code = "invalid_note"


class UnknownSignerError(NoteError):
    """A note carries no signature from any key the reader trusts (as opposed to a bad one)."""

    code = "no_trusted_signature"


class TileError(LedgerError):
    code = "invalid_tile"


class CanonicalError(LedgerError):
    code = "non_canonical_entry"


class AccountExistsError(ConflictError):
    code = "account_exists"


class IntegrityError(CreditbankError):
    code = "log_integrity_failure"


class ConfigurationError(CreditbankError):
    code = "configuration"


class UnknownIssuerError(InputError):
    """The issuer named by a record or token has not been registered."""

    code = "unknown_issuer"


class TableTooLargeError(InputError):
    """A statistics table with more cells (margins included) than disclosure control is run on:
    group by fewer or coarser dimensions, or filter."""

    code = "table_too_large"


class WritesDisabledError(CreditbankError):
    """The start-up check failed; the service serves reads but refuses to extend the log."""

    code = "writes_disabled"


class UnreadableRequestError(InputError):
    """An HTTP request carries what no handler should be given: refused before any handler or
    database sees it (PostgreSQL cannot store NUL, and a parser must not recurse unbounded)."""

    code = "unreadable_request"


class NulCharacterError(UnreadableRequestError):
    """A NUL character in the path, query, a header or a JSON string."""

    code = "nul_character"


class InvalidUtf8Error(UnreadableRequestError):
    code = "invalid_utf8"


class NestingTooDeepError(UnreadableRequestError):
    code = "nesting_too_deep"


class UnavailableError(CreditbankError):
    """The store cannot answer now; nothing was written. ``retry_after`` is in seconds."""

    code = "unavailable"
    retry_after = 5

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        if retry_after is not None:
            self.retry_after = retry_after


class DatabaseUnavailableError(UnavailableError):
    code = "database_unavailable"


class DatabaseBusyError(UnavailableError):
    code = "database_busy"
    retry_after = 2


class StorageFullError(UnavailableError):
    code = "storage_full"
    retry_after = 60
