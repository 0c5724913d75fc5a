"""Conversion standards, drafts, learners' running totals, and awards in the outcome table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "standard",
        sa.Column("standard_id", sa.String(48), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("category", sa.String(48), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("published_index", sa.BigInteger, nullable=False),
        sa.Column("retired_index", sa.BigInteger),
    )
    op.create_table(
        "standard_draft",
        sa.Column("standard_id", sa.String(48), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
    )
    op.create_table(
        "learner_total",
        sa.Column("learner_ref", sa.String(64), primary_key=True),
        sa.Column("scope", sa.String(16), primary_key=True),
        sa.Column("subject", sa.String(120), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("credits", sa.BigInteger, nullable=False),
    )
    with op.batch_alter_table("outcome") as batch:
        batch.add_column(sa.Column("award_credits", sa.BigInteger))
        batch.add_column(sa.Column("award_category", sa.String(48)))
        batch.add_column(sa.Column("award_standard", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("outcome") as batch:
        batch.drop_column("award_standard")
        batch.drop_column("award_category")
        batch.drop_column("award_credits")
    op.drop_table("learner_total")
    op.drop_table("standard_draft")
    op.drop_table("standard")
