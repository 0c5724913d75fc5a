"""``creditbank accounts create|link|invite``: accounts for people on the web pages.

    creditbank accounts create --role ROLE --username NAME [--issuer ID] [--base-url URL]
    creditbank accounts link USERNAME [--base-url URL]
    creditbank accounts invite (--from FILE | --job JOB_ID) [--output FILE]

``create`` and ``link`` print a one-time link to set the account's password (valid 3 days).
``invite`` prints learners' activation codes as CSV: for the ID numbers in FILE (one a line,
``passport:NUMBER`` for passports; ``-`` reads standard input, so no ID number is ever on a
command line or in shell history), or for every learner of a committed import. The CSV shows the
ID number with its middle hidden.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from creditbank.cli.common import CommandError
from creditbank.learners.invitation_sheet import invitation_csv, parse_identifiers
from creditbank.service.accounts import staff_roles
from creditbank.service.deployment import open_bank
from creditbank.settings import Settings
from creditbank.tokens import Principal

__all__ = ["add_commands", "run"]

_ADMIN = Principal(role="admin")


def add_commands(commands: Any) -> None:
    accounts = commands.add_parser("accounts", help="accounts for people (web pages)")
    actions = accounts.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a staff account; prints its set-password link")
    create.add_argument("--role", required=True, choices=staff_roles)
    create.add_argument("--username", required=True)
    create.add_argument("--issuer", dest="issuer_id", help="the issuer of an issuer officer")
    create.add_argument("--base-url", help="the service's address, for the link")
    link = actions.add_parser("link", help="a new set-password link for a staff account")
    link.add_argument("username")
    link.add_argument("--base-url", help="the service's address, for the link")
    invite = actions.add_parser("invite", help="learners' activation codes, as CSV")
    source = invite.add_mutually_exclusive_group(required=True)
    source.add_argument("--from", dest="from_file", help="ID numbers, one a line ('-': stdin)")
    source.add_argument("--job", help="every learner of this committed import")
    invite.add_argument("--output", type=Path, help="write the CSV here (default: stdout)")


def run(settings: Settings, arguments: argparse.Namespace) -> int:
    text = None
    if getattr(arguments, "from_file", None):
        source = arguments.from_file
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8-sig")
    return asyncio.run(_run(settings, arguments, text))


def _base_url(settings: Settings, given: str | None) -> str:
    return (given or f"http://{settings.host}:{settings.port}").rstrip("/")


async def _run(settings: Settings, arguments: argparse.Namespace, text: str | None) -> int:
    bank = await open_bank(settings)
    try:
        desk = bank.accounts
        if arguments.action == "create":
            _, secret = await desk.create_staff(
                arguments.role, arguments.username, arguments.issuer_id
            )
            print(f"created {arguments.role} account {arguments.username}; its password link:")
            print(f"{_base_url(settings, arguments.base_url)}/password/{secret}")
            return 0
        if arguments.action == "link":
            secret = await desk.password_link(arguments.username)
            print(f"{_base_url(settings, arguments.base_url)}/password/{secret}")
            return 0
        if arguments.job:
            job = await bank.imports.job(_ADMIN, arguments.job)
            if job.first_index is None or job.last_index is None:
                raise CommandError("nothing_recorded", f"import {job.job_id} recorded no outcome")
            invitations = await desk.invite_batch(
                _ADMIN, job.issuer_id, job.first_index, job.last_index, "cli"
            )
        else:
            invitations, missing = await desk.invite_identifiers(
                _ADMIN, parse_identifiers(text or ""), "cli"
            )
            for position in missing:
                print(f"line {position + 1}: not a learner the bank holds", file=sys.stderr)
        sheet = invitation_csv(invitations)
        if arguments.output:
            arguments.output.write_bytes(sheet)
        else:
            sys.stdout.buffer.write(sheet)
        print(f"{len(invitations)} activation codes", file=sys.stderr)
        return 0
    finally:
        await bank.engine.dispose()
