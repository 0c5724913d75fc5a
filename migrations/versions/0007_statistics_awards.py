"""Statistics and awards granted by accreditation staff.

The outcome projection gains what statistics group and sum without opening a million entries
(completion date as a ``YYYYMMDD`` integer, hours in tenths, outcome type; the course
code, by which staff look for outcomes awaiting an award), the ``award.granted``
entry that gave an award after deposit (``award_index``, with that grant's cap year), and the
learner's age band on the completion date and sex, derived from the resident ID number at
deposit (they stay when the person's data is erased). Existing rows are filled in from their
entries and, for age band and sex, from ``person``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import datetime
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from creditbank.outcomes import birth_date
from creditbank.statistics.facts import UNKNOWN, age_band, sex_of_resident_id

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL_ROWS = 10_000


def upgrade() -> None:
    with op.batch_alter_table("outcome") as batch:
        batch.add_column(sa.Column("completed_ymd", sa.Integer))
        batch.add_column(sa.Column("hours_tenths", sa.Integer))
        batch.add_column(sa.Column("outcome_type", sa.String(32)))
        batch.add_column(sa.Column("course_code", sa.String(64)))
        batch.add_column(sa.Column("award_index", sa.BigInteger))
        batch.add_column(sa.Column("cap_year", sa.String(10)))
        batch.add_column(sa.Column("age_band", sa.String(8)))
        batch.add_column(sa.Column("sex", sa.String(8)))
    _backfill(op.get_bind())


def _backfill(bind: sa.Connection) -> None:
    """The new columns of outcomes recorded before this migration, from their entries."""
    after = -1
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT o.entry_index, o.issuer_id, o.record_id, e.body, p.id_type, p.identifier"
                " FROM outcome o JOIN log_entry e ON e.idx = o.entry_index"
                " LEFT JOIN person p ON p.learner_ref = o.learner_ref"
                " WHERE o.entry_index > :after ORDER BY o.entry_index LIMIT :n"
            ),
            {"after": after, "n": _BACKFILL_ROWS},
        ).all()
        if not rows:
            return
        values = []
        for _, issuer_id, record_id, body, id_type, identifier in rows:
            entry = json.loads(bytes(body))
            completed = datetime.date.fromisoformat(entry["completed_on"])
            born, sex = _demographic(id_type, identifier)
            values.append(
                {
                    "issuer": issuer_id,
                    "record": record_id,
                    "ymd": int(entry["completed_on"].replace("-", "")),
                    "h": int(entry["hours"].replace(".", "")),
                    "t": entry["outcome_type"],
                    "c": entry["course_code"],
                    "band": age_band(born, completed),
                    "sex": sex,
                }
            )
        bind.execute(
            sa.text(
                "UPDATE outcome SET completed_ymd = :ymd, hours_tenths = :h, outcome_type = :t,"
                " course_code = :c, age_band = :band, sex = :sex"
                " WHERE issuer_id = :issuer AND record_id = :record"
            ),
            values,
        )
        after = rows[-1][0]


def _demographic(id_type: str | None, identifier: str | None) -> tuple[datetime.date | None, str]:
    if id_type is None or identifier is None:  # no personal data held (an erased person)
        return None, UNKNOWN
    return birth_date(id_type, identifier), sex_of_resident_id(id_type, identifier)


def downgrade() -> None:
    with op.batch_alter_table("outcome") as batch:
        for name in (
            "sex",
            "age_band",
            "cap_year",
            "award_index",
            "course_code",
            "outcome_type",
            "hours_tenths",
            "completed_ymd",
        ):
            batch.drop_column(name)
