"""``creditbank verify-bundle FILE``: check an exported learner archive offline.

    creditbank verify-bundle FILE [--vkey KEY]... [--origin ORIGIN]

FILE is what ``GET /v1/learners/{learner_ref}/archive/export`` returns. Nothing is fetched: the
checkpoint, the entries and their proofs are all in the file. Pin the bank's verifier key with
--vkey; without it the bundle's own keys are used, which only shows the file is self-consistent.
Every field of the archive is proved, names, titles and validity included: it is rebuilt from the
entries (``creditbank.audit.bundle``). What no bundle can prove is that it is complete.
Prints the archive and exits 0 when everything verifies; prints ``FAILED: ...`` and exits 1 when
anything does not. A file that cannot be read or a malformed --vkey exits 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from creditbank.audit.bundle import VerifiedBundle, verify_bundle
from creditbank.audit.verification import VerificationError
from creditbank.cli.archive_text import archive_lines
from creditbank.cli.common import CommandError
from creditbank.errors import NoteError
from creditbank.ledger.note import VerifierKey

__all__ = ["add_command", "report_lines", "run"]


def add_command(commands: Any) -> None:
    command = commands.add_parser(
        "verify-bundle", help="verify an exported learner archive bundle offline"
    )
    command.add_argument("file", type=Path, help="the bundle (JSON) as exported")
    command.add_argument(
        "--vkey", action="append", default=[], help="trusted verifier key (repeatable)"
    )
    command.add_argument("--origin", help="the log's origin (default: the trusted keys' name)")


def run(arguments: argparse.Namespace) -> int:
    trusted = [_parse_vkey(text) for text in arguments.vkey] or None
    data = _read(arguments.file)
    try:
        verified = verify_bundle(data, trusted, origin=arguments.origin)
    except VerificationError as error:
        print(f"FAILED: {error.message}")
        return 1
    for line in report_lines(verified):
        print(line)
    return 0


def _parse_vkey(text: str) -> VerifierKey:
    try:
        return VerifierKey.parse(text)
    except NoteError as error:
        raise CommandError("bad_vkey", f"--vkey {text!r}: {error.message}") from None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError("not_found", f"cannot read {path}: {error.strerror}") from None


def report_lines(verified: VerifiedBundle) -> list[str]:
    """The archive as a person reads it, then what was verified and what was not."""
    lines = [
        *archive_lines(verified.archive),
        "note: the entries prove every field above, names, titles and validity included; "
        "no bundle can prove it is complete (the bank could have left an outcome out)",
        f"verified: {verified.entries_checked} entries against checkpoint of size "
        f"{verified.tree_size}",
    ]
    if verified.keys_from_bundle:
        lines.append(
            "warning: no --vkey given; the checkpoint was checked only against the keys in the "
            "bundle, which proves it is self-consistent, not that the bank signed it"
        )
    return lines
