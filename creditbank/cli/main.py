"""The ``creditbank`` command line.

    creditbank serve [--host H] [--port P] [--workers N]
    creditbank db upgrade
    creditbank keys show | rotate | retire KEY_ID
    creditbank tokens create|list|revoke ...                                 (cli/tokens.py)
    creditbank accounts create|link|invite ...                               (cli/accounts.py)
    creditbank backup DIR | restore DIR                                      (cli/backup.py)
    creditbank verify --url URL [--vkey KEY]... [--state FILE] [--token T] [--origin O]
    creditbank verify --database URL [--vkey KEY]... [--origin O]
    creditbank import FILE --issuer ID [...] | --url URL [--token T] [...]   (cli/imports.py)
    creditbank verify-bundle FILE [--vkey KEY]... [--origin ORIGIN]           (cli/bundle.py)
    creditbank learners archive|export|recognise REF [...]                   (cli/learners.py)
    creditbank outcomes revoke ISSUER RECORD --reason TEXT                   (cli/learners.py)
    creditbank recognitions reverse INDEX --reason TEXT                      (cli/learners.py)
    creditbank standards|programmes ... , creditbank audit replay            (cli/standards.py)
    creditbank stats [--group-by D,..] [--report NAME] [--at N] [--verify]   (cli/stats.py)

Configuration comes from the environment (see README.md); ``--token`` defaults to
``CREDITBANK_TOKEN``. Every error, whichever command raised it, is one line
``creditbank: CODE: message`` on stderr (``cli/common.py``) and exits 2; a verification failure
exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from creditbank.cli import accounts as cli_accounts
from creditbank.cli import backup as cli_backup
from creditbank.cli import bundle as cli_bundle
from creditbank.cli import imports as cli_import
from creditbank.cli import learners as cli_learners
from creditbank.cli import standards as cli_standards
from creditbank.cli import stats as cli_stats
from creditbank.cli import tokens as cli_tokens
from creditbank.cli.common import (
    CommandError,
    async_client,
    error_line,
    exit_status,
    service_token,
)
from creditbank.errors import CreditbankError
from creditbank.settings import Settings, load_settings

if TYPE_CHECKING:
    from creditbank.audit.local import Verified
    from creditbank.ledger.note import VerifierKey

__all__ = ["main"]

# More serving processes than this only queue on the one write lock (and the 2 cores).
serve_workers_max = 32


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="creditbank", description="learning-credit bank ledger")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="serving processes (PostgreSQL: they share one log through its write lock)",
    )

    db = commands.add_parser("db", help="database schema")
    db.add_subparsers(dest="action", required=True).add_parser("upgrade", help="migrate to head")

    keys = commands.add_parser("keys", help="checkpoint signing keys")
    key_actions = keys.add_subparsers(dest="action", required=True)
    key_actions.add_parser("show", help="print the active verifier keys")
    key_actions.add_parser("rotate", help="add a new active signing key")
    retire = key_actions.add_parser("retire", help="stop signing with a key")
    retire.add_argument("key_id", help="hex key id, as in the verifier key")

    cli_tokens.add_commands(commands)
    cli_accounts.add_commands(commands)
    cli_backup.add_commands(commands)

    verify = commands.add_parser("verify", help="verify the log offline")
    where = verify.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="base URL of a creditbank service")
    where.add_argument("--database", help="database URL (SQLAlchemy form)")
    verify.add_argument("--vkey", action="append", default=[], help="trusted verifier key")
    verify.add_argument("--state", type=Path, help="file remembering the last verified checkpoint")
    verify.add_argument("--origin", help="the log's origin (default: the trusted keys' name)")
    verify.add_argument("--token", help="auditor token, with --url (default: $CREDITBANK_TOKEN)")
    cli_standards.add_commands(commands)
    cli_import.add_command(commands)
    cli_bundle.add_command(commands)
    cli_learners.add_commands(commands)
    cli_stats.add_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    # Keys, secrets, the SQLite database and state files are private to this account.
    os.umask(0o077)
    try:
        return _dispatch(arguments, _settings())
    except CreditbankError as error:
        print(error_line(error), file=sys.stderr)
        return exit_status(error)


def _settings() -> Settings:
    try:
        return load_settings()
    except ValueError as error:  # CREDITBANK_PORT is the one number among them
        raise CommandError(
            "bad_setting", f"CREDITBANK_PORT must be a port number ({error})"
        ) from None


def _dispatch(arguments: argparse.Namespace, settings: Settings) -> int:
    command = arguments.command
    if command == "serve":
        return _serve(settings, arguments.host, arguments.port, arguments.workers)
    if command == "db":
        from creditbank.storage.engine import create_engine
        from creditbank.storage.migrate import upgrade

        asyncio.run(create_engine(settings.database_url).dispose())  # creates the SQLite directory
        upgrade(settings.database_url)
        print(f"database at head: {settings.database_url.split('@')[-1]}")
        return 0
    if command == "keys":
        return _keys(settings, arguments)
    if command in ("backup", "restore"):
        return cli_backup.run(settings, arguments)
    if command == "tokens":
        return cli_tokens.run(settings, arguments)
    if command == "accounts":
        return cli_accounts.run(settings, arguments)
    if command in ("standards", "programmes", "audit"):
        return cli_standards.run(settings, arguments)
    if command == "import":
        return cli_import.run(settings, arguments)
    if command == "verify-bundle":
        return cli_bundle.run(arguments)
    if command in ("learners", "outcomes", "recognitions"):
        return cli_learners.run(settings, arguments)
    if command == "stats":
        return cli_stats.run(settings, arguments)
    return _verify(settings, arguments)


def _serve(settings: Settings, host: str | None, port: int | None, workers: int = 1) -> int:
    import uvicorn

    if not 1 <= workers <= serve_workers_max:
        raise CommandError("usage", f"--workers is 1 to {serve_workers_max}")
    chosen_host, chosen_port = host or settings.host, port or settings.port
    # Before the app starts (and, on an empty database, prints its one-time admin token).
    _check_can_listen(chosen_host, chosen_port)
    # A new deployment's signing key and pseudonym secret are made here, once, before the
    # workers start: two workers each making a key would each sign with their own. A
    # misconfigured deployment stops here with its one line.
    asyncio.run(_open_deployment(settings))
    # By name, not by import: creditbank never imports the web layer (api -> creditbank only).
    # The factory reads the same environment these settings came from. Each worker is a process
    # with its own pool and group commit; the database's write lock orders their appends, and
    # the first admin token is made under it, so only one worker prints one.
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=chosen_host,
        port=chosen_port,
        workers=workers,
        log_level="info",
    )
    return 0


async def _open_deployment(settings: Settings) -> None:
    from creditbank.service.deployment import open_bank

    bank = await open_bank(settings)
    await bank.engine.dispose()


def _check_can_listen(host: str, port: int) -> None:
    """Bind every address ``host`` resolves to as the server will (SO_REUSEADDR, IPv6 only on
    IPv6 sockets), then let go; a port already taken is a CommandError naming CREDITBANK_PORT.
    Another process could still take the port in between; then the server's own error shows."""
    where = f"{host}:{port}"
    if not 0 < port < 65536:
        raise CommandError("bad_port", f"{port} is not a TCP port; set CREDITBANK_PORT or --port")
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise CommandError(
            "cannot_listen",
            f"{host} is not an address here ({error.strerror}); set CREDITBANK_HOST",
        ) from None
    for family, kind, protocol, _, address in addresses:
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    raise CommandError(
                        "port_in_use",
                        f"{where} is already in use (another creditbank serve?): stop that "
                        "process, or choose a free port with CREDITBANK_PORT=N (or --port N)",
                    ) from None
                raise CommandError(
                    "cannot_listen",
                    f"cannot listen on {where} ({error.strerror}); "
                    "choose another address with CREDITBANK_HOST and CREDITBANK_PORT",
                ) from None


def _keys(settings: Settings, arguments: argparse.Namespace) -> int:
    from creditbank.keys import KeyRing

    ring = KeyRing.load(settings.keys_dir, settings.origin, create=False)
    if arguments.action == "rotate":
        ring = ring.rotate()
        print("added a signing key; the service signs with every active key from its next start")
    elif arguments.action == "retire":
        ring = ring.retire(arguments.key_id)
        print(f"retired {arguments.key_id}; its verifier key stays in {settings.keys_dir}/retired")
    for vkey in ring.active_verifier_keys():
        print(vkey)
    return 0


def _verify(settings: Settings, arguments: argparse.Namespace) -> int:
    from creditbank.audit.verification import VerificationError

    try:
        verified = asyncio.run(_verified(settings, arguments))
    except VerificationError as error:
        print(f"FAILED: {error.message}")
        return 1
    for line in verified.lines:
        print(line)
    print("verified")
    return 0


async def _verified(settings: Settings, arguments: argparse.Namespace) -> Verified:
    from creditbank.audit.local import verify_database
    from creditbank.audit.remote import verify_url
    from creditbank.storage.engine import create_engine

    if arguments.url:
        # Entries and tiles are for auditors: without a token the rebuild could not start.
        token = service_token(arguments.token, role="an auditor's (or admin's)")
        async with async_client(arguments.url, token) as client:
            return await verify_url(
                arguments.url,
                token=token,
                vkeys=arguments.vkey,
                state_file=arguments.state,
                origin=arguments.origin,
                client=client,
            )
    verifiers = _database_verifiers(settings, arguments)
    engine = create_engine(arguments.database)
    try:
        return await verify_database(engine, verifiers, arguments.origin)
    finally:
        await engine.dispose()


def _database_verifiers(settings: Settings, arguments: argparse.Namespace) -> list[VerifierKey]:
    """The trusted keys (given, or this deployment's, retired ones included); and a check that
    a SQLite path exists, so verifying never creates an empty database."""
    from sqlalchemy.engine import make_url

    from creditbank.audit.verification import VerificationError
    from creditbank.keys import KeyRing
    from creditbank.ledger.note import VerifierKey

    database = make_url(arguments.database)
    if database.get_backend_name() == "sqlite" and not Path(database.database or "").is_file():
        raise VerificationError(f"no SQLite database at {database.database}")
    if arguments.vkey:
        return [VerifierKey.parse(text) for text in arguments.vkey]
    return list(KeyRing.load(settings.keys_dir, settings.origin, create=False).verifiers)


if __name__ == "__main__":
    raise SystemExit(main())
