"""Which code prepares an import's rows (pure).

``reference`` is ``prepare``: each row validated, normalised and encoded on its own, the
definition every other path is held to. ``lean`` is ``LeanPreparer``: the same steps, remembered
per distinct value, with one encoding per row. Both give the same tables, tiles, root and row
results, which the differential tests check on generated files.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import partial
from typing import Literal, get_args

from creditbank.imports.lean import LeanPreparer
from creditbank.imports.prepare import Prepared, Unreadable, prepare
from creditbank.imports.records import RawRecord
from creditbank.privacy import Pseudonymizer

__all__ = ["ROW_PATHS", "RowPath", "RowPreparer", "row_preparer"]

RowPath = Literal["reference", "lean"]
ROW_PATHS: tuple[RowPath, ...] = get_args(RowPath)
RowPreparer = Callable[[RawRecord], Prepared | Unreadable]


def row_preparer(
    path: RowPath, *, issuer_id: str, pseudonymizer: Pseudonymizer, now: datetime.datetime
) -> RowPreparer:
    """The function that prepares one import's rows, in file order."""
    if path == "reference":
        return partial(prepare, issuer_id=issuer_id, pseudonymizer=pseudonymizer, now=now)
    return LeanPreparer(issuer_id=issuer_id, pseudonymizer=pseudonymizer, now=now)
