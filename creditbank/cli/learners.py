"""``creditbank learners …``, ``outcomes revoke`` and ``recognitions reverse``.

    creditbank learners archive REF [--year Y] [--category C] [--issuer ID] [--page N] [--json]
    creditbank learners export REF --output FILE
    creditbank learners recognise REF --programme ID [--version V] [--requirement ID]...
    creditbank outcomes revoke ISSUER RECORD --reason TEXT
    creditbank recognitions reverse INDEX --reason TEXT

Without ``--url`` they act on the configured database as an admin (the operator who holds the
database holds everything in it anyway); with ``--url URL`` and a token (``--token T`` or
``CREDITBANK_TOKEN``) the ``learners`` commands go through the API with that token's role, so a
learner can read, export and apply with their own token.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import msgspec

from creditbank.cli.archive_text import archive_lines, recognition_lines
from creditbank.cli.common import Service, add_service_options, open_service, service_token
from creditbank.errors import NotFoundError
from creditbank.learners.archive import ArchiveFilter
from creditbank.settings import Settings
from creditbank.storage.access import erase_person
from creditbank.tokens import Principal
from schemas.learners import Archive, RecognitionApplication, RecognitionResult

__all__ = ["add_commands", "run"]

ADMIN = Principal(role="admin")


def _remote(parser: argparse.ArgumentParser) -> None:
    add_service_options(parser, url_help="go through this creditbank service", role="API")


def add_commands(commands: Any) -> None:
    learners = commands.add_parser("learners", help="learners' archives and recognition")
    actions = learners.add_subparsers(dest="action", required=True)
    archive = actions.add_parser("archive", help="print a learner's archive (学习档案)")
    archive.add_argument("learner_ref")
    archive.add_argument("--year", type=int)
    archive.add_argument("--category")
    archive.add_argument("--issuer")
    archive.add_argument("--page", type=int, default=1)
    archive.add_argument("--page-size", type=int, default=50)
    archive.add_argument("--json", action="store_true", help="print the archive as JSON")
    _remote(archive)
    export = actions.add_parser("export", help="write the offline-verifiable archive bundle")
    export.add_argument("learner_ref")
    export.add_argument("--output", "-o", type=Path, required=True)
    _remote(export)
    erase = actions.add_parser(
        "erase",
        help="erase a learner's name, ID number and web account (the log keeps the pseudonym; "
        "each outcome keeps its age band and sex for the statistics)",
    )
    erase.add_argument("learner_ref")
    recognise = actions.add_parser("recognise", help="apply for recognition toward a programme")
    recognise.add_argument("learner_ref")
    recognise.add_argument("--programme", required=True)
    recognise.add_argument("--version", type=int)
    recognise.add_argument("--requirement", action="append", default=[])
    _remote(recognise)

    outcomes = commands.add_parser("outcomes", help="revoke outcomes")
    revoke = outcomes.add_subparsers(dest="action", required=True).add_parser("revoke")
    revoke.add_argument("issuer_id")
    revoke.add_argument("record_id")
    revoke.add_argument("--reason", required=True)
    recognitions = commands.add_parser("recognitions", help="reverse recognitions")
    reverse = recognitions.add_subparsers(dest="action", required=True).add_parser("reverse")
    reverse.add_argument("index", type=int)
    reverse.add_argument("--reason", required=True)


def run(settings: Settings, arguments: argparse.Namespace) -> int:
    # Only the learners commands have --url; outcomes and recognitions act on the database.
    if getattr(arguments, "url", None):
        token = service_token(arguments.token, role="a learner's or admin")
        with open_service(arguments.url, token) as service:
            _through_api(service, arguments)
        return 0
    return asyncio.run(_directly(settings, arguments))


def _application(arguments: argparse.Namespace) -> RecognitionApplication:
    return RecognitionApplication(
        programme_id=arguments.programme,
        programme_version=arguments.version,
        requirement_ids=arguments.requirement,
    )


async def _directly(settings: Settings, arguments: argparse.Namespace) -> int:
    from creditbank.service.deployment import open_bank

    bank = await open_bank(settings)
    try:
        await bank.start()
        command, action = arguments.command, arguments.action
        if command == "outcomes":
            revoked = await bank.revocations.revoke(
                ADMIN, arguments.issuer_id, arguments.record_id, arguments.reason
            )
            print(f"revoked at entry {revoked.index}; reversed {revoked.reversed_recognitions}")
        elif command == "recognitions":
            index = await bank.recognitions.reverse(arguments.index, arguments.reason)
            print(f"reversed at entry {index}")
        elif action == "archive":
            query = ArchiveFilter(
                year=arguments.year,
                category=arguments.category,
                issuer_id=arguments.issuer,
                page=arguments.page,
                page_size=arguments.page_size,
            )
            _print_archive(
                await bank.archives.archive(ADMIN, arguments.learner_ref, query), arguments
            )
        elif action == "erase":
            async with bank.engine.begin() as connection:
                erased = await erase_person(connection, arguments.learner_ref)
            if not erased:
                raise NotFoundError(f"no personal data held for {arguments.learner_ref}")
            print(f"erased the personal data of {arguments.learner_ref}")
        elif action == "export":
            bundle = await bank.archives.export(ADMIN, arguments.learner_ref)
            _write(arguments.output, msgspec.json.encode(bundle))
        else:
            result = await bank.recognitions.apply(
                ADMIN, arguments.learner_ref, _application(arguments)
            )
            print("\n".join(recognition_lines(result)))
        return 0
    finally:
        await bank.engine.dispose()


def _through_api(service: Service, arguments: argparse.Namespace) -> None:
    base = f"/v1/learners/{arguments.learner_ref}"
    if arguments.action == "archive":
        params = {
            key: value
            for key, value in (
                ("year", arguments.year),
                ("category", arguments.category),
                ("issuer", arguments.issuer),
                ("page", arguments.page),
                ("page_size", arguments.page_size),
            )
            if value is not None
        }
        response = service.get(f"{base}/archive", params=params)
        _print_archive(msgspec.json.decode(response.content, type=Archive), arguments)
    elif arguments.action == "export":
        _write(arguments.output, service.get(f"{base}/archive/export").content)
    else:
        body = msgspec.json.encode(_application(arguments))
        response = service.post(f"{base}/recognitions", body, content_type="application/json")
        result = msgspec.json.decode(response.content, type=RecognitionResult)
        print("\n".join(recognition_lines(result)))


def _print_archive(archive: Archive, arguments: argparse.Namespace) -> None:
    if arguments.json:
        print(msgspec.json.format(msgspec.json.encode(archive)).decode())
    else:
        print("\n".join(archive_lines(archive)))


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    print(f"wrote {len(data)} bytes to {path}; check it with: creditbank verify-bundle {path}")
