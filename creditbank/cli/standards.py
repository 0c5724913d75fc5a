"""``creditbank standards …`` and ``creditbank audit replay``: the accreditation and audit CLI.

    creditbank standards validate FILE      check a TOML/JSON standard against the published ones
    creditbank standards publish FILE       validate, then record standard.published
    creditbank standards list               the published and retired standards
    creditbank standards simulate FILE [--outcomes OUTCOMES.json|.ndjson]
                                            what FILE would award over the banked outcomes
    creditbank programmes validate FILE     check a programme's equivalence rules
    creditbank programmes publish FILE      validate, then record programme.published
    creditbank audit replay                 re-derive every award and total from the log

They act directly on the configured database (``CREDITBANK_DATABASE_URL``) and keys.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import msgspec

from creditbank.errors import MalformedError, StandardInvalidError
from creditbank.settings import Settings
from schemas.api import OutcomeRecord
from schemas.standards import standard_name

__all__ = ["add_commands", "run"]


def add_commands(commands: Any) -> None:
    standards = commands.add_parser("standards", help="conversion standards")
    actions = standards.add_subparsers(dest="action", required=True)
    for name, summary in (
        ("validate", "check a standard file against the published standards"),
        ("publish", "validate a standard file and record standard.published"),
        ("simulate", "what a draft standard would award over the banked outcomes"),
    ):
        action = actions.add_parser(name, help=summary)
        action.add_argument("file", type=Path, help="a .toml or .json standard")
        if name == "simulate":
            action.add_argument(
                "--outcomes",
                type=Path,
                help="simulate over these outcomes (.json array or .ndjson) instead of the bank's",
            )
    actions.add_parser("list", help="published and retired standards")
    programmes = commands.add_parser("programmes", help="programmes' equivalence rules")
    programme_actions = programmes.add_subparsers(dest="action", required=True)
    check = programme_actions.add_parser("validate", help="check a programme's equivalence rules")
    check.add_argument("file", type=Path, help="a .toml or .json programme")
    publish = programme_actions.add_parser(
        "publish", help="validate a programme and record programme.published"
    )
    publish.add_argument("file", type=Path, help="a .toml or .json programme")
    audit = commands.add_parser("audit", help="audit the log's meaning")
    audit.add_subparsers(dest="action", required=True).add_parser(
        "replay", help="re-derive every award and learner total from the log"
    )


def run(settings: Settings, arguments: argparse.Namespace) -> int:
    if arguments.command == "programmes" and arguments.action == "validate":
        return _validate_programme(arguments.file)
    return asyncio.run(_run(settings, arguments))


def _validate_programme(path: Path) -> int:
    """A programme file checked on its own, without the database (shape and rules); that the
    standards it names are published is checked by ``programmes publish``."""
    from creditbank.rules.documents import read_programme
    from creditbank.rules.validate import validate_programme

    try:
        validate_programme(read_programme(path))
    except StandardInvalidError as error:
        for field, reason in error.problems:
            print(f"{path}: {field}: {reason}")
        print("invalid")
        return 1
    print("valid")
    return 0


async def _run(settings: Settings, arguments: argparse.Namespace) -> int:
    from creditbank.service.deployment import open_bank

    bank = await open_bank(settings)
    try:
        if arguments.command == "audit":
            return await _replay(bank)
        if arguments.command == "programmes":
            return await _publish_programme(bank, arguments.file)
        if arguments.action == "list":
            for view in await bank.standards.catalogue(drafts=False):
                document = view.standard
                print(
                    standard_name(document.id, document.version),
                    view.status,
                    document.category,
                    document.title,
                    sep="\t",
                )
            return 0
        return await _with_file(
            bank, arguments.action, arguments.file, getattr(arguments, "outcomes", None)
        )
    finally:
        await bank.engine.dispose()


async def _with_file(bank: Any, action: str, path: Path, outcomes: Path | None) -> int:
    from creditbank.rules.documents import read_standard

    try:
        document = read_standard(path)
    except StandardInvalidError as error:
        return _invalid(path, error)
    if action == "simulate":
        if outcomes is None:
            simulated = await bank.simulation.over_log(document)
        else:
            simulated = await bank.simulation.over_records(document, _read_outcomes(outcomes))
        print(msgspec.json.format(msgspec.json.encode(simulated)).decode())
        return 0
    if action == "validate":
        report = await bank.standards.validate(document)
        for problem in report.problems:
            print(f"{path}: {problem.field}: {problem.reason}")
        print("valid" if report.valid else "invalid")
        return 0 if report.valid else 1
    await bank.start()
    try:
        view = await bank.standards.publish(document)
    except StandardInvalidError as error:
        return _invalid(path, error)
    name = standard_name(document.id, document.version)
    print(f"published {name} at log index {view.published_index}")
    return 0


def _read_outcomes(path: Path) -> list[OutcomeRecord]:
    """Outcome records from a JSON array or NDJSON file (the bulk import brings CSV)."""
    data = path.read_bytes()
    try:
        if path.suffix == ".ndjson":
            decoder = msgspec.json.Decoder(OutcomeRecord)
            return [decoder.decode(line) for line in data.splitlines() if line.strip()]
        return msgspec.json.decode(data, type=list[OutcomeRecord])
    except msgspec.ValidationError as error:
        raise MalformedError("outcomes", f"{path}: {error}") from error
    except msgspec.DecodeError as error:
        raise MalformedError("outcomes", f"{path} is not JSON: {error}") from error


async def _publish_programme(bank: Any, path: Path) -> int:
    from creditbank.rules.documents import read_programme

    try:
        document = read_programme(path)
        await bank.start()
        view = await bank.recognitions.publish_programme(document)
    except StandardInvalidError as error:
        return _invalid(path, error)
    name = standard_name(document.id, document.version)
    print(f"published {name} at log index {view.published_index}")
    return 0


def _invalid(path: Path, error: StandardInvalidError) -> int:
    for field, reason in error.problems:
        print(f"{path}: {field}: {reason}")
    print("invalid: nothing was published")
    return 1


async def _replay(bank: Any) -> int:
    report = await bank.log.replay()
    for difference in report.differences:
        where = "-" if difference.index is None else str(difference.index)
        print(f"DIFFERENCE at {where}: {difference.what}")
    print(
        f"replayed {report.entries} entries: {report.awards_checked} awards and "
        f"{report.totals_checked} learner totals checked, {len(report.differences)} differences"
    )
    return 1 if report.differences else 0
