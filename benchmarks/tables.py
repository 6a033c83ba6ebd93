"""Plain-text tables: a title, notes, one aligned table, then optional detail lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

INDENT = "   "


def cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_table(
    title: str,
    notes: Sequence[str],
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    details: Sequence[str] = (),
    align: str = "",
) -> None:
    """Columns of numbers are right-aligned, the others left-aligned, unless `align` says
    otherwise (one "l" or "r" per column)."""
    text = [[cell(value) for value in row] for row in rows]
    widths = [max(len(row[i]) for row in [list(headers), *text]) for i in range(len(headers))]
    numeric = [c == "r" for c in align] or [_numeric([row[i] for row in rows]) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        cells = (v.rjust(w) if right else v.ljust(w) for v, w, right in zip(values, widths, numeric, strict=True))
        return (INDENT + "  ".join(cells)).rstrip()

    print(f"\n{title}")
    for note in notes:
        print(f"{INDENT}{note}")
    print(line(headers))
    print(INDENT + "  ".join("-" * width for width in widths))
    for row in text:
        print(line(row))
    for detail in details:
        print(f"{INDENT}{detail}")


def _numeric(column: Sequence[Any]) -> bool:
    """Numbers, with blanks allowed (a totals row)."""
    values = [value for value in column if value != ""]
    return bool(values) and all(isinstance(value, int | float) for value in values)
