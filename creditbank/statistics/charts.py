"""A one-dimension table as a horizontal bar chart in SVG: plain text, no script, accessible.

Built as a string so the same table always gives the same bytes. Every text is XML-escaped
(district names are free text). The chart carries a ``<title>``, ``role="img"`` with an
``aria-label`` and a ``<desc>`` listing every value, so a screen reader gets the figures. It
reads in grayscale: published bars are solid dark grey, hidden ones an outlined, hatched stub
of fixed width (a length would hint at the hidden value) labelled with the marker.
"""

from __future__ import annotations

from typing import Final
from xml.sax.saxutils import escape, quoteattr

from creditbank.statistics.disclosure import SuppressedTable
from creditbank.statistics.labels import (
    SUPPRESSED_MARKER,
    Language,
    credits_text,
    hours_text,
    marker_note,
    measure_header,
    ordered_keys,
    value_label,
)
from creditbank.statistics.tables import ALL, MEASURES, Measures

__all__ = ["bar_chart_svg"]

chart_width_px: Final = 720
_LABEL_WIDTH: Final = 200  # the values' labels, right-aligned against the bars
_VALUE_WIDTH: Final = 90  # the figure after each bar
_MARGIN: Final = 16
_BAR_AREA: Final = chart_width_px - _LABEL_WIDTH - _VALUE_WIDTH - 2 * _MARGIN
_ROW_HEIGHT: Final = 28
_BAR_HEIGHT: Final = 18
_HEAD_HEIGHT: Final = 56  # title and the measure's name
_FOOT_HEIGHT: Final = 40
_HIDDEN_BAR_WIDTH: Final = 24
_BAR_FILL: Final = "#404040"  # dark enough on white in any grayscale print
_FONT: Final = 'font-family="sans-serif" font-size="13"'


def _figure(measures: Measures, measure: str) -> tuple[int, str]:
    value = measures.value(measure)
    if measure == "hours_tenths":
        return value, hours_text(value)
    if measure == "credits":
        return value, credits_text(value)
    return value, str(value)


def _row(y: int, label: str, figure: tuple[int, str] | None, largest: int) -> list[str]:
    text_y = y + _BAR_HEIGHT - 4
    x = _MARGIN + _LABEL_WIDTH
    parts = [f'<text x="{x - 8}" y="{text_y}" text-anchor="end">{escape(label)}</text>']
    if figure is None:
        parts.append(
            f'<rect class="bar suppressed" x="{x}" y="{y}" width="{_HIDDEN_BAR_WIDTH}" '
            f'height="{_BAR_HEIGHT}" fill="url(#cb-hatch)" stroke="#000000"/>'
        )
        end, shown = x + _HIDDEN_BAR_WIDTH, SUPPRESSED_MARKER
    else:
        value, shown = figure
        width = value * _BAR_AREA // largest if largest else 0
        parts.append(
            f'<rect class="bar" x="{x}" y="{y}" width="{width}" height="{_BAR_HEIGHT}" '
            f'fill="{_BAR_FILL}"/>'
        )
        end = x + width
    parts.append(f'<text x="{end + 6}" y="{text_y}">{escape(shown)}</text>')
    return parts


def bar_chart_svg(
    table: SuppressedTable, title: str, *, measure: str = "learners", language: Language = "zh"
) -> str:
    """One bar per value of the table's dimension (not the total), in print order."""
    assert len(table.dimensions) == 1, "a bar chart shows a table of one dimension"
    assert measure in MEASURES, f"not a measure: {measure}"
    (dimension,) = table.dimensions
    keys = [key for key in ordered_keys(table.dimensions, table.cells) if key[0] != ALL]
    figures = {
        key: None if cell.measures is None else _figure(cell.measures, measure)
        for key in keys
        for cell in (table.cells[key],)
    }
    largest = max((figure[0] for figure in figures.values() if figure), default=0)
    height = _HEAD_HEIGHT + _ROW_HEIGHT * len(keys) + _FOOT_HEIGHT
    caption = measure_header(measure, language)
    described = "; ".join(
        f"{value_label(dimension, key[0], language)}: "
        f"{SUPPRESSED_MARKER if figure is None else figure[1]}"
        for key, figure in figures.items()
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{chart_width_px}" height="{height}" '
        f'viewBox="0 0 {chart_width_px} {height}" role="img" '
        f"aria-label={quoteattr(f'{title}: {caption}')} {_FONT}>",
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(f'{caption}. {described}')}</desc>",
        '<defs><pattern id="cb-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#000000" stroke-width="2"/></pattern></defs>',
        f'<text x="{_MARGIN}" y="22" font-size="16" font-weight="bold">{escape(title)}</text>',
        f'<text x="{_MARGIN + _LABEL_WIDTH}" y="44">{escape(caption)}</text>',
    ]
    for position, key in enumerate(keys):
        y = _HEAD_HEIGHT + position * _ROW_HEIGHT + (_ROW_HEIGHT - _BAR_HEIGHT) // 2
        parts += _row(y, value_label(dimension, key[0], language), figures[key], largest)
    note_y = _HEAD_HEIGHT + _ROW_HEIGHT * len(keys) + 24
    note = marker_note(table.k, language)
    parts.append(f'<text x="{_MARGIN}" y="{note_y}" font-size="11">{escape(note)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
