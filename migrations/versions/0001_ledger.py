"""The ledger, its read tables, personal data and tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

The append-only triggers are written out here, per dialect, rather than imported: a migration is
a frozen record of what was applied.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_TABLES = ("log_entry", "tile_segment", "checkpoint")
EMPTY_ROOT = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

LogIndex = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    log_state = op.create_table(
        "log_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("tree_size", sa.BigInteger, nullable=False),
        sa.Column("root_hash", sa.LargeBinary, nullable=False),
        sa.CheckConstraint("id = 1", name="log_state_single_row"),
    )
    op.bulk_insert(log_state, [{"id": 1, "tree_size": 0, "root_hash": EMPTY_ROOT}])
    op.create_table(
        "log_entry",
        sa.Column("idx", LogIndex, primary_key=True, autoincrement=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "tile_segment",
        sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("tile_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("start", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("hashes", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "checkpoint",
        sa.Column("id", LogIndex, primary_key=True, autoincrement=True),
        sa.Column("tree_size", sa.BigInteger, nullable=False),
        sa.Column("root_hash", sa.LargeBinary, nullable=False),
        sa.Column("signed_note", sa.Text, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_index("ix_checkpoint_tree_size", "checkpoint", ["tree_size"])
    op.create_table(
        "issuer",
        sa.Column("issuer_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("district", sa.String(64)),
        sa.Column("public_key", sa.String(64)),
        sa.Column("entry_index", sa.BigInteger, nullable=False),
        sa.Column("content_sha256", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "outcome",
        sa.Column("issuer_id", sa.String(64), primary_key=True),
        sa.Column("record_id", sa.String(64), primary_key=True),
        sa.Column("entry_index", sa.BigInteger, nullable=False),
        sa.Column("learner_ref", sa.String(64), nullable=False),
        sa.Column("content_sha256", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_outcome_learner_ref", "outcome", ["learner_ref"])
    op.create_table(
        "person",
        sa.Column("learner_ref", sa.String(64), primary_key=True),
        sa.Column("id_type", sa.String(32), nullable=False),
        sa.Column("identifier", sa.String(160), nullable=False),
        sa.Column("name", sa.String(100)),
        sa.Column("updated_at", Timestamp, nullable=False),
    )
    op.create_table(
        "api_token",
        sa.Column("token_hash", sa.LargeBinary, primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("issuer_id", sa.String(64)),
        sa.Column("learner_ref", sa.String(64)),
        sa.Column("label", sa.String(100)),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    _create_append_only_triggers()


def _create_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION creditbank_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'creditbank: % is append-only (% rejected)', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END;
            $$
            """
        )
        for table in APPEND_ONLY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION creditbank_reject_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION creditbank_reject_change()"
            )
        return
    for table in APPEND_ONLY_TABLES:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'creditbank: {table} is append-only "
                f"({operation} rejected)'); END"
            )


def downgrade() -> None:
    for table in ("api_token", "person", "outcome", "issuer", "checkpoint", "tile_segment"):
        op.drop_table(table)
    op.drop_table("log_entry")
    op.drop_table("log_state")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION creditbank_reject_change()")
