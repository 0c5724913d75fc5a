"""Keep the Chinese catalog in step with the pages: ``python -m portal.catalog``.

Extracts every message from the templates and the page code (the same extraction the catalog
test runs), adds the new ones to ``messages.po`` untranslated, drops those no page uses any
more, keeps every translation and the file's header, and lists what still needs its Chinese.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

__all__ = ["CATALOG", "extracted_messages", "main"]

PORTAL = Path(__file__).parent
CATALOG = PORTAL / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"
_METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
_OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def extracted_messages() -> list[str]:
    """Every message id the pages use, in first-use order (as ``portal/babel.cfg`` maps them)."""
    found: dict[str, None] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PORTAL), _METHODS, _OPTIONS, keywords={"_": None}
    ):
        found[message if isinstance(message, str) else message[0]] = None
    return list(found)


def main() -> int:
    with CATALOG.open("rb") as handle:
        old = read_po(handle, locale="zh_CN")
    new = Catalog(
        locale="zh_CN",
        header_comment=old.header_comment,
        project=old.project,
        version=old.version,
        copyright_holder=old.copyright_holder,
        last_translator=old.last_translator,
        language_team=old.language_team,
        msgid_bugs_address="the creditbank repository's issues",
        charset="utf-8",
        fuzzy=False,
        creation_date=old.creation_date,
        revision_date=old.revision_date,
    )
    untranslated = []
    for message in extracted_messages():
        known = old.get(message)
        translation = str(known.string) if known is not None and known.string else ""
        new.add(message, translation)
        if not translation:
            untranslated.append(message)
    with CATALOG.open("wb") as handle:
        write_po(handle, new, width=100, no_location=True)
    for message in untranslated:
        print(f"needs its Chinese: {message!r}")
    return 1 if untranslated else 0


if __name__ == "__main__":
    raise SystemExit(main())
