"""Every message the pages show has a Chinese translation, with the same placeholders.

The messages are extracted from the templates and the page code with Babel, as a translator
would; a message added in English without its Chinese is a failure here, not a page that
suddenly shows English to a Chinese reader. ``python -m portal.catalog`` adds new messages to the
catalog and lists those still to translate.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from portal.catalog import CATALOG, extracted_messages

PORTAL = Path(__file__).resolve().parents[2] / "portal"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_every_message_is_translated_to_chinese() -> None:
    """No message is missing, empty or fuzzy, and placeholders match exactly."""
    messages = extracted_messages()
    assert len(messages) > 200, "the extraction found the pages' messages"
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    problems = []
    for message in messages:
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
