"""Every error code the bank raises maps to an explicit HTTP status, so no code's status is left
to a default (``no_trusted_signature`` used to become 400 that way, unnoticed)."""

from __future__ import annotations

import pytest

from api.problems import STATUS_BY_CODE
from creditbank import errors


def _error_classes() -> list[type[errors.CreditbankError]]:
    """CreditbankError and every subclass defined in creditbank.errors, however deep."""
    found, pending = [], [errors.CreditbankError]
    while pending:
        cls = pending.pop()
        if cls.__module__ == errors.__name__:
            found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: cls.__name__)


ERROR_CLASSES = _error_classes()


def test_the_error_module_defines_the_classes_this_test_walks() -> None:
    """The walk finds the known leaves and bases, so an empty walk cannot pass the test below."""
    names = {cls.__name__ for cls in ERROR_CLASSES}
    assert {"CreditbankError", "LedgerError", "UnknownSignerError", "WritesDisabledError"} <= names
    assert len(ERROR_CLASSES) >= 25


@pytest.mark.parametrize("error_class", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_every_error_code_has_an_explicit_status(error_class: type[errors.CreditbankError]) -> None:
    """The class's code is in the status table, with a client (4xx) or server (5xx) status."""
    assert error_class.code in STATUS_BY_CODE, f"{error_class.__name__}.code has no status"
    assert 400 <= STATUS_BY_CODE[error_class.code] <= 599


def test_no_two_classes_share_a_code() -> None:
    """Codes are stable identifiers: each names one class, so a status means one thing."""
    codes = [cls.code for cls in ERROR_CLASSES]
    assert len(codes) == len(set(codes))


def test_a_statusless_code_answers_500_not_a_guess() -> None:
    """An error whose code is missing from the table is a server fault (500, logged), not a
    silent 400 that would blame the client."""
    from litestar.testing import RequestFactory

    from api.problems import _domain_error

    class Unmapped(errors.CreditbankError):
        code = "code_without_status"

    response = _domain_error(RequestFactory().get("/v1/anything"), Unmapped("boom"))
    assert response.status_code == 500
    assert "code_without_status" not in STATUS_BY_CODE


def test_untrusted_checkpoint_signature_is_a_server_side_503() -> None:
    """The log's own checkpoint signed by no trusted key is the log's fault, as an integrity
    failure is; a malformed note asked for by a client stays a 400."""
    assert STATUS_BY_CODE["no_trusted_signature"] == STATUS_BY_CODE["log_integrity_failure"] == 503
    assert STATUS_BY_CODE["invalid_note"] == 400
