"""CSV for spreadsheets: every export goes through :func:`csv_text`.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and
some strip a leading tab or carriage return first), so text a user typed (a ticket
category, an agent's name, a queue) could run as ``=HYPERLINK(...)`` on a supervisor's
machine. Such a text cell is written with a leading ``'``, which spreadsheets show as text
(OWASP's recommendation for CSV injection). Numbers written as numbers stay numbers: a
negative count or rate is data, not a formula, and comes from the code, never from a user.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str | int | float:
    """``value`` as a CSV cell: numbers as they are, text neutralised, None empty."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """The rows as CSV text, every cell through :func:`safe_cell`."""
    out = io.StringIO()
    csv.writer(out).writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
