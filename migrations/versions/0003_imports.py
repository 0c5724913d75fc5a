"""Import jobs: one row per bulk import, its state, counts and where its batch landed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "import_job",
        sa.Column("job_id", sa.String(36), primary_key=True),
        sa.Column("issuer_id", sa.String(64), nullable=False),
        sa.Column("file_format", sa.String(8), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("on_error", sa.String(8), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("file_bytes", sa.BigInteger, nullable=False),
        sa.Column("signature", sa.String(88)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("result", sa.String(24)),
        sa.Column("counts", sa.Text),
        sa.Column("first_index", sa.BigInteger),
        sa.Column("last_index", sa.BigInteger),
        sa.Column("batch_index", sa.BigInteger),
        sa.Column("error_code", sa.String(32)),
        sa.Column("error_detail", sa.Text),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("finished_at", Timestamp),
    )
    op.create_index("import_job_issuer", "import_job", ["issuer_id", "created_at"])


def downgrade() -> None:
    op.drop_index("import_job_issuer", "import_job")
    op.drop_table("import_job")
