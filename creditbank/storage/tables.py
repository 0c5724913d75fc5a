"""Table definitions (SQLAlchemy Core). Alembic migrations are the only way they reach a database;
a test checks that the migrations and these definitions agree.

Ledger tables (append-only; database triggers reject UPDATE and DELETE):
    log_entry       the canonical bytes of each entry, stored once
    tile_segment    Merkle hashes, as immutable runs appended to C2SP tiles
    checkpoint      every signed checkpoint ever issued
Mutable:
    log_state       one row: the size and root the last append left; the write lock's row
Read tables (projections of the log, rebuilt by replay):
    issuer, outcome, standard, learner_total (credits in hundredths, never a float or numeric),
    programme, recognition, recognition_use
Mutable documents outside the log:
    standard_draft
    import_job      one row per bulk import: state, counts, where its batch landed
Personal data (erasable, never logged):
    person
Access:
    api_token       machines' bearer tokens
    account, account_link, activation_code, web_session
                    people: accounts, one-time password links and activation codes, sessions
"""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa

__all__ = [
    "account",
    "account_link",
    "activation_code",
    "api_token",
    "checkpoint",
    "import_job",
    "issuer",
    "learner_total",
    "ledger_tables",
    "log_entry",
    "log_state",
    "metadata",
    "outcome",
    "person",
    "programme",
    "recognition",
    "recognition_use",
    "standard",
    "standard_draft",
    "tile_segment",
    "web_session",
]

metadata = sa.MetaData()

# SQLite makes an INTEGER PRIMARY KEY the rowid itself, which is the fastest layout it has.
LogIndex = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Timestamp(sa.types.TypeDecorator[datetime.datetime]):
    """A moment, stored with its zone; every one stored is UTC. SQLite keeps no zone and hands
    times back naive, so they are read back as UTC here, once, for every table."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Any) -> datetime.datetime | None:
        if value is None or value.tzinfo is not None:
            return value  # type: ignore[no-any-return]
        return value.replace(tzinfo=datetime.UTC)  # type: ignore[no-any-return]


log_state = sa.Table(
    "log_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("tree_size", sa.BigInteger, nullable=False),
    sa.Column("root_hash", sa.LargeBinary, nullable=False),
    sa.CheckConstraint("id = 1", name="log_state_single_row"),
)

log_entry = sa.Table(
    "log_entry",
    metadata,
    sa.Column("idx", LogIndex, primary_key=True, autoincrement=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
)

tile_segment = sa.Table(
    "tile_segment",
    metadata,
    sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("tile_index", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("start", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("hashes", sa.LargeBinary, nullable=False),
)

checkpoint = sa.Table(
    "checkpoint",
    metadata,
    sa.Column("id", LogIndex, primary_key=True, autoincrement=True),
    sa.Column("tree_size", sa.BigInteger, nullable=False, index=True),
    sa.Column("root_hash", sa.LargeBinary, nullable=False),
    sa.Column("signed_note", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp(), nullable=False),
)

issuer = sa.Table(
    "issuer",
    metadata,
    sa.Column("issuer_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("district", sa.String(64)),
    sa.Column("public_key", sa.String(64)),
    sa.Column("entry_index", sa.BigInteger, nullable=False),
    sa.Column("content_sha256", sa.LargeBinary, nullable=False),
)

outcome = sa.Table(
    "outcome",
    metadata,
    sa.Column("issuer_id", sa.String(64), primary_key=True),
    sa.Column("record_id", sa.String(64), primary_key=True),
    sa.Column("entry_index", sa.BigInteger, nullable=False),
    sa.Column("learner_ref", sa.String(64), nullable=False, index=True),
    sa.Column("content_sha256", sa.LargeBinary, nullable=False),
    sa.Column("award_credits", sa.BigInteger),  # hundredths; NULL when no standard applied
    sa.Column("award_category", sa.String(48)),
    sa.Column("award_standard", sa.String(64)),
    sa.Column("revoked_index", sa.BigInteger),  # the outcome.revoked entry, once revoked
    # What statistics group and sum, copied from the entry so a count opens no entry.
    sa.Column("completed_ymd", sa.Integer),  # 2025-03-01 is 20250301
    sa.Column("hours_tenths", sa.Integer),
    sa.Column("outcome_type", sa.String(32)),
    sa.Column("course_code", sa.String(64)),  # staff find outcomes awaiting an award by course
    # An award granted after deposit: its award.granted entry and the cap year it counts in.
    sa.Column("award_index", sa.BigInteger),
    sa.Column("cap_year", sa.String(10)),
    # The learner's age band on the completion date and sex, derived from the resident ID number
    # at deposit ("unknown" without one); they stay when the person's data is erased.
    sa.Column("age_band", sa.String(8)),
    sa.Column("sex", sa.String(8)),
)

person = sa.Table(
    "person",
    metadata,
    sa.Column("learner_ref", sa.String(64), primary_key=True),
    sa.Column("id_type", sa.String(32), nullable=False),
    sa.Column("identifier", sa.String(160), nullable=False),
    sa.Column("name", sa.String(100)),
    sa.Column("updated_at", Timestamp(), nullable=False),
)

api_token = sa.Table(
    "api_token",
    metadata,
    sa.Column("token_hash", sa.LargeBinary, primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("issuer_id", sa.String(64)),
    sa.Column("learner_ref", sa.String(64)),
    sa.Column("label", sa.String(100)),
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.Column("expires_at", Timestamp()),
    sa.Column("revoked_at", Timestamp()),
    sa.Column("last_used_at", Timestamp()),
)

account = sa.Table(
    "account",
    metadata,
    sa.Column("account_id", sa.String(36), primary_key=True),
    sa.Column("username", sa.String(64), unique=True),  # staff; learners sign in by ID number
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("issuer_id", sa.String(64)),
    sa.Column("learner_ref", sa.String(64), unique=True),
    sa.Column("password_hash", sa.String(200)),  # Argon2id; None until the password is set
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.Column("disabled_at", Timestamp()),
)

account_link = sa.Table(
    "account_link",
    metadata,
    sa.Column("link_hash", sa.LargeBinary, primary_key=True),
    sa.Column("account_id", sa.String(36), nullable=False),
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.Column("expires_at", Timestamp(), nullable=False),
    sa.Column("used_at", Timestamp()),
)

activation_code = sa.Table(
    "activation_code",
    metadata,
    sa.Column("code_hash", sa.LargeBinary, primary_key=True),
    sa.Column("learner_ref", sa.String(64), nullable=False),
    sa.Column("issued_by", sa.String(64), nullable=False),
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.Column("expires_at", Timestamp(), nullable=False),
    sa.Column("used_at", Timestamp()),
    sa.Index("activation_code_learner", "learner_ref"),
)

web_session = sa.Table(
    "web_session",
    metadata,
    sa.Column("session_hash", sa.LargeBinary, primary_key=True),
    sa.Column("account_id", sa.String(36), nullable=False),
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.Column("expires_at", Timestamp(), nullable=False),
    sa.Index("web_session_account", "account_id"),
)

ledger_tables: tuple[sa.Table, ...] = (log_entry, tile_segment, checkpoint)

standard = sa.Table(
    "standard",
    metadata,
    sa.Column("standard_id", sa.String(48), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("category", sa.String(48), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # published | retired
    sa.Column("document", sa.Text, nullable=False),  # the Standard as JSON
    sa.Column("published_index", sa.BigInteger, nullable=False),
    sa.Column("retired_index", sa.BigInteger),
)

standard_draft = sa.Table(
    "standard_draft",
    metadata,
    sa.Column("standard_id", sa.String(48), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("updated_at", Timestamp(), nullable=False),
)

learner_total = sa.Table(
    "learner_total",
    metadata,
    sa.Column("learner_ref", sa.String(64), primary_key=True),
    sa.Column("scope", sa.String(16), primary_key=True),  # category_year | issuer_year | lifetime
    sa.Column("subject", sa.String(120), primary_key=True),  # category, or "category|issuer"
    sa.Column("period", sa.String(10), primary_key=True),  # the cap year's first day, or ""
    sa.Column("credits", sa.BigInteger, nullable=False),  # hundredths of a credit
)

import_job = sa.Table(
    "import_job",
    metadata,
    sa.Column("job_id", sa.String(36), primary_key=True),
    sa.Column("issuer_id", sa.String(64), nullable=False),
    sa.Column("file_format", sa.String(8), nullable=False),  # csv | ndjson | json | sheet
    sa.Column("mode", sa.String(8), nullable=False),  # dry_run | commit
    sa.Column("on_error", sa.String(8), nullable=False),  # reject | skip
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("file_bytes", sa.BigInteger, nullable=False),
    sa.Column("signature", sa.String(88)),
    sa.Column("state", sa.String(16), nullable=False),  # running | finished | failed | interrupted
    sa.Column("result", sa.String(24)),  # committed | rejected | nothing_to_commit | dry_run
    sa.Column("counts", sa.Text),  # BatchCounts as JSON
    sa.Column("first_index", sa.BigInteger),
    sa.Column("last_index", sa.BigInteger),
    sa.Column("batch_index", sa.BigInteger),
    sa.Column("error_code", sa.String(32)),
    sa.Column("error_detail", sa.Text),
    sa.Column("owner", sa.String(128), nullable=False),  # host:pid of the process running it
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.Column("finished_at", Timestamp()),
    sa.Index("import_job_issuer", "issuer_id", "created_at"),
)

programme = sa.Table(
    "programme",
    metadata,
    sa.Column("programme_id", sa.String(48), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("document", sa.Text, nullable=False),  # the Programme as JSON
    sa.Column("published_index", sa.BigInteger, nullable=False),
)

recognition = sa.Table(
    "recognition",
    metadata,
    sa.Column("entry_index", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("learner_ref", sa.String(64), nullable=False),
    sa.Column("programme_id", sa.String(48), nullable=False),
    sa.Column("programme_version", sa.Integer, nullable=False),
    sa.Column("requirement_id", sa.String(48), nullable=False),
    sa.Column("credits_granted", sa.BigInteger, nullable=False),  # hundredths
    sa.Column("reversed_index", sa.BigInteger),  # the recognition.reversed entry, once reversed
    sa.Index("recognition_learner", "learner_ref"),
)

# One row per outcome a live recognition uses; the primary key is the rule "an outcome serves a
# requirement of a programme at most once", enforced by the database.
recognition_use = sa.Table(
    "recognition_use",
    metadata,
    sa.Column("programme_id", sa.String(48), primary_key=True),
    sa.Column("requirement_id", sa.String(48), primary_key=True),
    sa.Column("outcome_index", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("recognition_index", sa.BigInteger, nullable=False),
    sa.Index("recognition_use_outcome", "outcome_index"),
    sa.Index("recognition_use_recognition", "recognition_index"),
)
