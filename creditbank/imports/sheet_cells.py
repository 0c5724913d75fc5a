"""A workbook cell's value as the text a CSV export of the same cell would hold (pure).

calamine gives a cell as the value Excel stored: text as ``str``; every number as a ``float``
(Excel has no integers: 16 is 16.0); dates and times as ``datetime`` values when the cell's
number format is a date or time format; TRUE/FALSE as ``bool``. The import reads text, so each
becomes the text an HR officer sees in the cell, and the CSV path's conversions (header aliases,
result words, date forms) then apply unchanged.

What cannot be recovered: Excel keeps 15 significant digits of a number, so an 18-digit resident
ID number typed into a cell formatted as a number is already rounded in the file
(110101199001011234 is stored as 1.10101199001011E+17). ``inexact`` tells such values apart, so
the reader refuses the row instead of recording someone else's identifier.
"""

from __future__ import annotations

import datetime
import decimal

__all__ = ["CellValue", "cell_text", "exact_number_max", "inexact", "number_text"]

CellValue = (
    int
    | float
    | str
    | bool
    | datetime.date
    | datetime.datetime
    | datetime.time
    | datetime.timedelta
)

# Excel keeps, shows and exports 15 significant digits of a number, so numbers of 16 or more
# integer digits were rounded when they were typed.
_EXCEL_DIGITS = 15
exact_number_max = 10**_EXCEL_DIGITS
_MIDNIGHT = datetime.time()
_SECONDS_PER_HOUR = 3600


def inexact(value: object) -> bool:
    """Whether value is a number Excel could not have kept exactly (see the module docstring)."""
    return isinstance(value, float) and (value >= exact_number_max or value <= -exact_number_max)


def number_text(value: float) -> str:
    """The number as Excel shows it in a General cell and writes it to a CSV file: rounded to 15
    significant digits (Excel's precision), in the shortest decimal form, never an exponent. 16.0
    is "16", 1.5 is "1.5", 0.00001 is "0.00001"; a formula's 0.1 + 0.2, stored as
    0.30000000000000004, is "0.3", and a 7.5 computed as 7.499999999999999 is "7.5", as the
    officer sees them. Any value a person can type (15 significant digits or fewer) reads back
    as exactly the stored number."""
    if value.is_integer() and -exact_number_max < value < exact_number_max:
        return str(int(value))  # the common case, and the quickest
    text = f"{value:.{_EXCEL_DIGITS}g}"  # "g" drops trailing zeros, and the point with them
    if "e" in text:  # the exponent form: the same digits, written out
        text = format(decimal.Decimal(text), "f")
    return text  # "nan" and "inf" (which no workbook holds) stay as they are; validation refuses


def _datetime_text(value: datetime.datetime) -> str:
    # A date cell formatted with a time shows midnight: it is the date (as the CSV path drops the
    # " 0:00" Excel appends). Any other time is kept, and validation says what it thinks of it.
    if value.time() == _MIDNIGHT:
        return value.date().isoformat()
    return value.isoformat(sep=" ", timespec="seconds")


def _duration_text(value: datetime.timedelta) -> str:
    """A duration as Excel's [h]:mm:ss shows it."""
    seconds = round(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), _SECONDS_PER_HOUR)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{seconds:02d}"


def cell_text(value: CellValue) -> str:
    """The text of one cell (the reader passes ``str`` cells by without calling this)."""
    # Subclasses first: a bool is an int, a datetime is a date.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # as Excel shows it
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.datetime):
        return _datetime_text(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return _duration_text(value)
    return str(value)  # a type a later calamine adds: shown as text, validation decides
