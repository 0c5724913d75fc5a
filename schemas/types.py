"""Reusable constrained types for the wire formats.

Constraints are length, range and enum checks where possible: they are cheap, while a regex costs
several times more on the import hot path. Regexes stay on log entries, which are decoded only
by verifiers, and on short identifiers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

__all__ = [
    "Credits",
    "Hours",
    "ImportFormat",
    "ImportMode",
    "ImportResult",
    "ImportState",
    "IssuerId",
    "IssuerKind",
    "LearnerIdType",
    "LearnerRef",
    "LogIndex",
    "OnError",
    "OutcomeResult",
    "OutcomeType",
    "Percent",
    "RecordId",
    "Sha256Hex",
    "ShortText",
    "Timestamp",
    "Title",
]

# The import vocabulary, shared by batch entries, the pipeline, the job table, the API and the CLI.
# "sheet" is a workbook (.xlsx, .xlsm, .xls, .ods), whatever its container: one reader (calamine)
# reads them all, telling the container from the bytes, and the rows then go the CSV way. The
# value says how the rows were read, not which program saved the file (the file's SHA-256 in
# batch.committed already names the exact file), so one value keeps the signed vocabulary small,
# and "sheet" fits the job table's 8-character column, which a longer name would need migrating.
ImportFormat = Literal["csv", "ndjson", "json", "sheet"]
ImportMode = Literal["dry_run", "commit"]
# reject: one error row stops the whole batch; skip: error rows are reported and left out.
OnError = Literal["reject", "skip"]
ImportState = Literal["running", "finished", "failed", "interrupted"]
# committed: the batch is in the log; rejected: an error row stopped it (on_error=reject);
# nothing_to_commit: no row was new; dry_run: classified only.
ImportResult = Literal["committed", "rejected", "nothing_to_commit", "dry_run"]

IssuerId = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="An issuer's id: letters, digits, '.', '_' or '-'.",
    ),
]
RecordId = Annotated[
    str, Meta(min_length=1, max_length=64, description="The issuer's own id for the record.")
]
ShortText = Annotated[str, Meta(min_length=1, max_length=64)]
Title = Annotated[str, Meta(min_length=1, max_length=200)]
LogIndex = Annotated[int, Meta(ge=0, le=(1 << 53) - 1)]
Sha256Hex = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$", description="SHA-256, lower-case hex.")]
LearnerRef = Annotated[
    str,
    Meta(
        pattern=r"^[0-9a-f]{64}$",
        description="Keyed HMAC-SHA256 pseudonym of the learner's normalised identifier.",
    ),
]
Hours = Annotated[
    str,
    Meta(pattern=r"^(0|[1-9][0-9]{0,4})\.[0-9]$", description='Hours (学时), scale 1: "16.0".'),
]
Percent = Annotated[
    str,
    Meta(pattern=r"^(0|[1-9][0-9]?|100)\.[0-9]$", description='0 to 100, scale 1: "85.5".'),
]
Credits = Annotated[
    str, Meta(pattern=r"^(0|[1-9][0-9]{0,5})\.[0-9]{2}$", description='Credits, scale 2: "1.50".')
]
Timestamp = Annotated[
    str,
    Meta(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
        description="RFC 3339 UTC time to the second, with Z.",
    ),
]

IssuerKind = Literal[
    "enterprise", "community_school", "elderly_university", "adult_school", "college"
]
OutcomeType = Literal[
    "enterprise_training",
    "community_course",
    "elderly_course",
    "vocational_certificate",
    "skill_certificate",
    "academic_course",
]
OutcomeResult = Literal["passed", "completed", "failed"]
LearnerIdType = Literal["cn_resident_id", "passport", "employee_no"]
