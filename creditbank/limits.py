"""Every limit is a named constant, unit last; relations between them are asserted once here."""

from __future__ import annotations

# The log.
entry_bytes_max = 65_535  # an entry bundle prefixes each entry with a big-endian uint16 length
tile_height = 8
tile_width = 1 << tile_height  # hashes in a full tile, entries in a full bundle
hash_bytes = 32
append_batch_entries_max = 1_000_000
proof_tree_size_max = (1 << 53) - 1  # JSON integers beyond this are not exact in JCS

# HTTP.
# Readiness (/healthz): the database answers within this time, and the disk under the data
# directory keeps at least this much free (below it an import or the SQLite file could fill it).
health_database_seconds = 2.0
disk_free_bytes_min = 256 * 1024 * 1024
request_bytes_max = 64 * 1024  # single-record bodies (issuers, outcomes)
simulation_request_bytes_max = 8 * 1024 * 1024  # a draft plus up to 20,000 supplied outcomes
# An import file: a million-row CSV with Chinese titles is about 150 MB; Litestar's default body
# limit (10 MB) is raised for the import route only.
import_file_bytes_max = 1024 * 1024 * 1024
# A workbook import reads one sheet into memory (calamine builds it whole before the first row is
# seen): a dense rectangle from its first used cell to its last, about 32 bytes a cell plus the
# text. A small file can make a vast rectangle (one stray value in column XFD), so the area is
# bounded, not only the file: 16 Mi cells (~0.5 GB) is a million rows of 16 columns. Rows are
# Excel's own maximum; columns are far more than the 15 fields any header can name.
sheet_rows_max = 1_048_576
sheet_columns_max = 256
sheet_cells_max = 16 * 1024 * 1024
# What an .xlsx or .ods may unpack to (a zip's parts as declared): twice a million-row sheet's XML.
sheet_unpacked_bytes_max = 2 * 1024 * 1024 * 1024

# Text fields inside entries.
identifier_chars_max = 64  # issuer ids, record ids, course codes
learner_name_chars_max = 100
title_chars_max = 200  # course titles and names in entries; schemas.types.Title says the same

assert entry_bytes_max <= 0xFFFF, "entry bundles encode lengths as uint16"
assert tile_width == 256, "C2SP tlog-tiles fixes the tile width at 256"
assert request_bytes_max <= simulation_request_bytes_max
assert sheet_rows_max * 16 <= sheet_cells_max, "a full Excel sheet of 16 columns is readable"

# People on the web pages (accounts, sign-in, sessions).
username_chars_max = 64
password_chars_min = 8  # long enough to resist guessing, short enough to remember and type
password_chars_max = 128  # Argon2 takes any length; this only bounds the work per request
# A session ends after this long unused, and after the absolute limit however used: shared
# computers in community centres are common, so an abandoned session must not live long.
session_idle_seconds = 30 * 60
session_absolute_seconds = 12 * 60 * 60
# Extending a session is a write; it is written again only once this much idle time is used.
session_extend_after_seconds = 5 * 60
password_link_seconds = 72 * 60 * 60  # a one-time link to set a password
activation_code_days = 30  # printed on paper and handed over; a month to use it
# Failed sign-ins or activations: per account, and per client address (many accounts tried).
sign_in_failures_max = 5
sign_in_failures_per_address_max = 30
sign_in_window_seconds = 15 * 60
invite_learners_max = 100_000  # codes printed in one go (a whole import batch)

assert session_extend_after_seconds < session_idle_seconds < session_absolute_seconds

# Statistics: answers kept per process (a count at a signed size never changes; a report's
# tables and a page's downloads are asked for together).
statistics_answers_kept = 64
# Disclosure control proves each hidden cell cannot be solved for: its time grows with the square
# of the cells (about 0.4 s at 1,500 cells, 10 s at 7,600 here). A table is refused past this.
statistics_cells_max = 5_000
