"""``creditbank stats``: statistics at a signed size, preset returns, and their verification.

    creditbank stats [--group-by year,sex] [--issuer-kind K,..] [--outcome-type T,..]
                     [--age-band B,..] [--year Y,..] [--at N] [--format text|csv|json|xlsx]
                     [--lang zh|en] [--output FILE] [--verify]
    creditbank stats --report NAME [--year Y,..] [--at N] --format csv|json|xlsx --output FILE

Counts go through disclosure control exactly as on the API. ``--verify`` recounts the table
from the log's entries alone and compares it with the count from the read tables: exit 0 when
they agree, 1 (and the differing cells) when not.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from creditbank.cli.common import CommandError
from creditbank.settings import Settings
from creditbank.tokens import Principal

__all__ = ["add_command", "run"]

ADMIN = Principal(role="admin")


def add_command(commands: Any) -> None:
    stats = commands.add_parser("stats", help="lifelong-education statistics at a signed size")
    stats.add_argument(
        "--group-by",
        default="",
        help="up to three of: year, cap_year, quarter, "
        "issuer_kind, issuer, district, outcome_type, category, age_band, sex",
    )
    stats.add_argument("--issuer-kind", help="count these issuer kinds only (comma-separated)")
    stats.add_argument("--outcome-type", help="count these outcome types only")
    stats.add_argument("--age-band", help="count these age bands only (e.g. 60_69,70_79,80_plus)")
    stats.add_argument("--year", help="count completions in these years only")
    stats.add_argument("--at", type=int, help="a tree size the log signed (default: the latest)")
    stats.add_argument(
        "--report", help="a preset return: community_annual, elderly_annual, enterprise_training"
    )
    stats.add_argument("--format", choices=("text", "csv", "json", "xlsx"), default="text")
    stats.add_argument("--lang", choices=("zh", "en"), default="zh")
    stats.add_argument("--output", "-o", type=Path, help="write here instead of stdout")
    stats.add_argument(
        "--verify", action="store_true", help="recount from the log's entries alone and compare"
    )


def run(settings: Settings, arguments: argparse.Namespace) -> int:
    if arguments.format == "xlsx" and arguments.output is None:
        raise CommandError("usage", "--format xlsx needs --output FILE")
    if arguments.report and arguments.verify:
        raise CommandError("usage", "--verify checks one table: give --group-by, not --report")
    return asyncio.run(_run(settings, arguments))


async def _run(settings: Settings, arguments: argparse.Namespace) -> int:
    from creditbank.service.deployment import open_bank
    from creditbank.service.statistics import fact_filter, parse_dimensions

    bank = await open_bank(settings)
    try:
        where = fact_filter(
            arguments.issuer_kind, arguments.outcome_type, arguments.age_band, arguments.year
        )
        if arguments.report:
            years = sorted(int(year) for year in where.years or ())
            report, provenance = await bank.statistics.report(
                ADMIN, arguments.report, years, arguments.at
            )
            _emit(arguments, _rendered_report(arguments, report, provenance))
            return 0
        dimensions = parse_dimensions(arguments.group_by)
        if arguments.verify:
            return _print_verification(
                await bank.statistics.verify(dimensions, where, arguments.at)
            )
        answer = await bank.statistics.table(ADMIN, dimensions, where, arguments.at)
        _emit(arguments, _rendered_table(arguments, answer, dimensions, where))
        return 0
    finally:
        await bank.engine.dispose()


def _rendered_report(arguments: argparse.Namespace, report: Any, provenance: Any) -> bytes:
    from creditbank.statistics.render_csv import report_csv
    from creditbank.statistics.render_json import report_json
    from creditbank.statistics.render_xlsx import report_xlsx

    if arguments.format == "json":
        return report_json(report, provenance)
    if arguments.format == "xlsx":
        return report_xlsx(report, provenance, arguments.lang)
    if arguments.format == "csv":
        return report_csv(report, provenance, arguments.lang)
    lines = []
    for part in report.tables:
        title = part.spec.title_zh if arguments.lang == "zh" else part.spec.title_en
        lines += [title, _text(part.table, arguments.lang), ""]
    return ("\n".join(lines) + _footer(report.k, provenance, arguments.lang)).encode()


def _rendered_table(
    arguments: argparse.Namespace, answer: Any, dimensions: Any, where: Any
) -> bytes:
    from creditbank.service.statistics import ad_hoc_spec
    from creditbank.statistics.render_csv import table_csv
    from creditbank.statistics.render_json import table_json
    from creditbank.statistics.render_xlsx import table_xlsx

    spec = ad_hoc_spec(dimensions, where)
    if arguments.format == "json":
        return table_json(answer.table, spec, answer.provenance)
    if arguments.format == "xlsx":
        return table_xlsx(answer.table, spec, answer.provenance, arguments.lang)
    if arguments.format == "csv":
        return table_csv(answer.table, answer.provenance, arguments.lang)
    text = _text(answer.table, arguments.lang)
    return (text + "\n" + _footer(answer.table.k, answer.provenance, arguments.lang)).encode()


def _text(table: Any, language: Any) -> str:
    """The table as aligned columns: what a person reads in a terminal."""
    from creditbank.statistics.labels import headers, labelled_rows, measure_texts

    rows = [headers(table.dimensions, language)]
    rows += [key + measure_texts(cell.measures) for key, cell in labelled_rows(table, language)]
    widths = [max(_width(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            value + " " * (width - _width(value)) for value, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    )


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(character) > 0x2E80 else 1 for character in text)


def _footer(k: int, provenance: Any, language: Any) -> str:
    from creditbank.statistics.labels import footnotes

    return "\n".join([*footnotes(k, provenance, language), provenance.checkpoint])


def _emit(arguments: argparse.Namespace, content: bytes) -> None:
    if arguments.output is None:
        sys.stdout.buffer.write(content if content.endswith(b"\n") else content + b"\n")
        return
    arguments.output.write_bytes(content)
    print(f"wrote {arguments.output}")


def _print_verification(verification: Any) -> int:
    size = verification.provenance.tree_size
    if verification.agrees:
        cells = len(verification.from_projection.cells)
        print(f"verified: {cells} cells at tree size {size} agree with the log's entries")
        return 0
    projection, entries = (verification.from_projection.cells, verification.from_entries.cells)
    for key in sorted(set(projection) | set(entries)):
        if projection.get(key) != entries.get(key):
            print(f"{key}: read tables {projection.get(key)}, entries {entries.get(key)}")
    print(f"differs: the read tables do not count what the entries say at tree size {size}")
    return 1
