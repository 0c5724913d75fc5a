"""Programmes, recognitions and revocations: the read tables of issue 5.

``recognition_use`` holds one row per (programme, requirement, outcome) that a live recognition
uses; its primary key is what guarantees, in the database itself, that an outcome serves one
requirement of one programme at most once. A reversal deletes the recognition's rows (read tables
are projections; the log keeps both entries).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outcome") as batch:
        batch.add_column(sa.Column("revoked_index", sa.BigInteger))
    op.create_table(
        "programme",
        sa.Column("programme_id", sa.String(48), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("published_index", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "recognition",
        sa.Column("entry_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("learner_ref", sa.String(64), nullable=False),
        sa.Column("programme_id", sa.String(48), nullable=False),
        sa.Column("programme_version", sa.Integer, nullable=False),
        sa.Column("requirement_id", sa.String(48), nullable=False),
        sa.Column("credits_granted", sa.BigInteger, nullable=False),
        sa.Column("reversed_index", sa.BigInteger),
    )
    op.create_index("recognition_learner", "recognition", ["learner_ref"])
    op.create_table(
        "recognition_use",
        sa.Column("programme_id", sa.String(48), primary_key=True),
        sa.Column("requirement_id", sa.String(48), primary_key=True),
        sa.Column("outcome_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("recognition_index", sa.BigInteger, nullable=False),
    )
    op.create_index("recognition_use_outcome", "recognition_use", ["outcome_index"])
    op.create_index("recognition_use_recognition", "recognition_use", ["recognition_index"])


def downgrade() -> None:
    op.drop_index("recognition_use_recognition", "recognition_use")
    op.drop_index("recognition_use_outcome", "recognition_use")
    op.drop_table("recognition_use")
    op.drop_index("recognition_learner", "recognition")
    op.drop_table("recognition")
    op.drop_table("programme")
    with op.batch_alter_table("outcome") as batch:
        batch.drop_column("revoked_index")
