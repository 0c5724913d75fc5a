"""A row's classification as an import stores and serves it (pure).

Its own module, not compiled with ``classify``: msgspec reads a Struct's annotations to build its
decoder, and a mypyc-compiled module does not keep them in the form msgspec reads.
"""

from __future__ import annotations

import msgspec

from schemas.imports import RowStatus

__all__ = ["RowResult"]


class RowResult(msgspec.Struct, array_like=True, kw_only=True):
    """One row's classification, as stored (compact) and served."""

    number: int
    status: RowStatus
    record_id: str | None = None
    field: str | None = None
    reason: str | None = None
    index: int | None = None  # the banked entry (exists) or the row's entry once recorded
    credits: str | None = None
    standard: str | None = None  # "<id>@<version>" that decided the award
