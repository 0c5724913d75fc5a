"""Every message the pages show has a Chinese translation, with the same placeholders.

The messages are extracted from the templates and the page code with Babel, as a translator
would; a message added in English without its Chinese is a failure here, not a page that
suddenly shows English to a Chinese reader.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

PORTAL = Path(__file__).resolve().parents[2] / "portal"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _extracted() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PORTAL), method_map, options, keywords={"_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_is_translated_to_chinese() -> None:
    """No message is missing, empty or fuzzy, and placeholders match exactly."""
    messages = _extracted()
    assert len(messages) > 200, "the extraction found the pages' messages"
    with (PORTAL / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    problems = []
    for message in sorted(messages):
        entry = catalog.get(message)
        if entry is None or not entry.string or entry.fuzzy:
            problems.append(f"untranslated: {message!r}")
            continue
        if set(_PLACEHOLDER.findall(message)) != set(_PLACEHOLDER.findall(str(entry.string))):
            problems.append(f"placeholders differ: {message!r} -> {entry.string!r}")
    assert problems == []


def test_the_babel_mapping_matches_the_test() -> None:
    """``portal/babel.cfg`` (for ``pybabel extract``) maps the same files as this test."""
    text = (PORTAL / "babel.cfg").read_text()
    assert "[python: **.py]" in text
    assert "[jinja2: **/templates/**.html]" in text
