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

# Text fields inside entries.
identifier_chars_max = 64  # issuer ids, record ids, course codes
learner_name_chars_max = 100
title_chars_max = 200  # course titles and names in entries; schemas.types.Title says the same

assert entry_bytes_max <= 0xFFFF, "entry bundles encode lengths as uint16"
assert tile_width == 256, "C2SP tlog-tiles fixes the tile width at 256"
assert request_bytes_max <= simulation_request_bytes_max
