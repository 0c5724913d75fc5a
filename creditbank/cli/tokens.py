"""``creditbank tokens create|list|revoke``: API tokens for machines and the CLI.

    creditbank tokens create --role ROLE [--issuer ID | --learner REF] [--label TEXT]
        [--expires-in-days N]
    creditbank tokens list
    creditbank tokens revoke TOKEN_ID

A token is shown once, when it is made; the bank keeps only its hash, and ``list`` names each by
the start of that hash (its id), with its role, scope, label, creation, expiry, revocation and
when it was last used. An issuer token is made only for a registered issuer, a learner token only
for a well-formed learner_ref. A revocation applies at once in new processes and within a few
seconds in a running service (``creditbank.service.access``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
from typing import Any

from creditbank.cli.common import CommandError
from creditbank.service.access import AccessDesk
from creditbank.service.deployment import open_bank
from creditbank.settings import Settings
from creditbank.storage.access import StoredToken
from creditbank.tokens import Principal, roles

__all__ = ["add_commands", "run"]

expires_in_days_max = 3650


def add_commands(commands: Any) -> None:
    tokens = commands.add_parser("tokens", help="API tokens")
    actions = tokens.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make a token (shown once)")
    create.add_argument("--role", required=True, choices=roles)
    scope = create.add_mutually_exclusive_group()
    scope.add_argument("--issuer", dest="issuer_id")
    scope.add_argument("--learner", dest="learner_ref")
    create.add_argument("--label")
    create.add_argument(
        "--expires-in-days",
        type=int,
        help=f"the token stops working after this many days (1 to {expires_in_days_max})",
    )
    actions.add_parser("list", help="every token: id, role, scope, expiry, last use")
    revoke = actions.add_parser("revoke", help="stop a token working")
    revoke.add_argument("token_id", help="the id `tokens list` shows (or its first 6+ characters)")


def run(settings: Settings, arguments: argparse.Namespace) -> int:
    return asyncio.run(_run(settings, arguments))


async def _run(settings: Settings, arguments: argparse.Namespace) -> int:
    bank = await open_bank(settings)
    try:
        if arguments.action == "create":
            return await _create(bank.access, arguments)
        if arguments.action == "list":
            for stored in await bank.access.tokens():
                print(_line(stored))
            return 0
        revoked = await bank.access.revoke(arguments.token_id)
        print(f"revoked {revoked} token" + ("" if revoked == 1 else "s"))
        return 0 if revoked else 1
    finally:
        await bank.engine.dispose()


async def _create(access: AccessDesk, arguments: argparse.Namespace) -> int:
    principal = Principal(
        role=arguments.role, issuer_id=arguments.issuer_id, learner_ref=arguments.learner_ref
    )
    expires_at = None
    if arguments.expires_in_days is not None:
        days = arguments.expires_in_days
        if not 1 <= days <= expires_in_days_max:
            raise CommandError("usage", f"--expires-in-days is 1 to {expires_in_days_max}")
        expires_at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)
    token = await access.create_token(principal, arguments.label, expires_at)
    scope = principal.issuer_id or principal.learner_ref
    until = f", expires {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else ""
    print(f"created a {principal.role} token" + (f" for {scope}" if scope else "") + until + ":")
    print(token)
    return 0


def _line(stored: StoredToken) -> str:
    principal = stored.principal
    scope = principal.issuer_id or principal.learner_ref or "-"
    state = "revoked" if stored.revoked_at else "live"
    expires_at = stored.expires_at
    if not stored.revoked_at and expires_at and expires_at <= datetime.datetime.now(datetime.UTC):
        state = "expired"
    return "  ".join(
        (
            stored.token_id,
            f"{principal.role:<10}",
            scope,
            state,
            f"created {_when(stored.created_at)}",
            f"expires {_when(stored.expires_at)}",
            f"last used {_when(stored.last_used_at)}",
            stored.label or "",
        )
    ).rstrip()


def _when(moment: datetime.datetime | None) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M}"
