"""Languages: which one a request gets, its messages, and numbers and dates in its style.

Messages are gettext catalogs (``portal/locale``), written and read with Babel. The message ids
are English, so English needs no catalog; Simplified Chinese is the default language and every
message has a Chinese translation (a test extracts the templates' messages and checks). The
catalogs are compiled from their ``.po`` text when the process starts: there is no build step and
no binary file in the repository.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import gettext
import io
from contextvars import ContextVar
from pathlib import Path
from typing import Literal

from babel import Locale, dates
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = [
    "LANGUAGES",
    "Language",
    "default_language",
    "format_credits",
    "format_date",
    "format_datetime",
    "format_number",
    "gettext_for",
    "language_of",
    "ngettext_for",
    "set_language",
]

Language = Literal["zh-CN", "en"]
LANGUAGES: tuple[Language, ...] = ("zh-CN", "en")
default_language: Language = "zh-CN"
_BABEL_NAME: dict[Language, str] = {"zh-CN": "zh_Hans_CN", "en": "en"}
_CATALOGS = Path(__file__).parent / "locale"
_current: ContextVar[Language] = ContextVar("creditbank_language", default=default_language)


def _compiled(language: Language) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    po_path = _CATALOGS / language.replace("-", "_") / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language.replace("-", "_"))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


_TRANSLATIONS = {language: _compiled(language) for language in LANGUAGES}


def language_of(cookie: str | None, accept_language: str | None) -> Language:
    """The chosen language (the switch's cookie), else the browser's preference, else Chinese."""
    if cookie in LANGUAGES:
        return cookie  # type: ignore[return-value,unused-ignore]
    preferred = []
    for part in (accept_language or "").split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        if tag:
            preferred.append((weight, tag.strip().lower()))
    for _, tag in sorted(preferred, key=lambda item: -item[0]):
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return default_language


def set_language(language: Language) -> None:
    _current.set(language)


def current_language() -> Language:
    return _current.get()


def gettext_for(message: str) -> str:
    return _TRANSLATIONS[_current.get()].gettext(message)


def ngettext_for(singular: str, plural: str, count: int) -> str:
    return _TRANSLATIONS[_current.get()].ngettext(singular, plural, count)


def _locale() -> Locale:
    return Locale.parse(_BABEL_NAME[_current.get()])


def format_date(value: datetime.date | None) -> str:
    if value is None:
        return ""
    return _long_date(value, _current.get())


@functools.lru_cache(maxsize=4096)
def _long_date(value: datetime.date, language: Language) -> str:
    # Babel's formatting is most of a table's rendering time; a learner's dates repeat.
    return dates.format_date(value, format="long", locale=Locale.parse(_BABEL_NAME[language]))


def format_datetime(value: datetime.datetime | str | None) -> str:
    """A moment in Beijing time; entries carry theirs as RFC 3339 text, rows as datetimes."""
    if value is None:
        return ""
    moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else value
    return dates.format_datetime(moment, format="medium", tzinfo=_CHINA, locale=_locale())


def format_number(value: int | decimal.Decimal | str) -> str:
    return f"{decimal.Decimal(value):,}"


def format_credits(value: decimal.Decimal | str | None) -> str:
    """Credits keep their two decimals, as the log records them ("1.50", not "1.5")."""
    if value is None:
        return "—"
    return f"{decimal.Decimal(value):,.2f}"


# Numbers are formatted by Python, not Babel (ten times faster on a long table): right only
# while every language offered groups by thousands with "," and marks decimals with ".".
for _language in LANGUAGES:
    _symbols = Locale.parse(_BABEL_NAME[_language]).number_symbols["latn"]
    assert (_symbols["group"], _symbols["decimal"]) == (",", "."), _language


# The district's clock: times are stored in UTC and shown as Beijing time, in both languages.
_CHINA = dates.get_timezone("Asia/Shanghai")
