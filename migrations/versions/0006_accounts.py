"""Accounts for people: staff and learners sign in to the web pages.

Machines keep their bearer tokens (``api_token``); people get accounts with Argon2id password
hashes, one-time links to set a password, one-time activation codes for learners, and
server-side sessions. None of these tables is part of the log: they are access, not record.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("account_id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(64), unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("issuer_id", sa.String(64)),
        sa.Column("learner_ref", sa.String(64), unique=True),
        sa.Column("password_hash", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "account_link",
        sa.Column("link_hash", sa.LargeBinary, primary_key=True),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "activation_code",
        sa.Column("code_hash", sa.LargeBinary, primary_key=True),
        sa.Column("learner_ref", sa.String(64), nullable=False),
        sa.Column("issued_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    op.create_index("activation_code_learner", "activation_code", ["learner_ref"])
    op.create_table(
        "web_session",
        sa.Column("session_hash", sa.LargeBinary, primary_key=True),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("web_session_account", "web_session", ["account_id"])


def downgrade() -> None:
    op.drop_index("web_session_account", "web_session")
    op.drop_table("web_session")
    op.drop_index("activation_code_learner", "activation_code")
    op.drop_table("activation_code")
    op.drop_table("account_link")
    op.drop_table("account")
