"""CSV served back to people: cells a spreadsheet would run as formulas are neutralised.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a
formula to Excel, LibreOffice and Google Sheets (OWASP "CSV injection"); it is
prefixed with ``'`` so it shows as the text it is. Plain numbers (``-3.5``,
``+1e3``) are left alone.
"""

from __future__ import annotations

import csv
import io
import re

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralise_cell(cell: str) -> str:
    if cell.lstrip(" ").startswith(_FORMULA_STARTS) and not _NUMBER.match(cell.strip()):
        return "'" + cell
    return cell


def neutralise_csv(data: bytes) -> bytes:
    text = data.decode("utf-8-sig", errors="replace")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(text, newline="")):
        writer.writerow([neutralise_cell(cell) for cell in row])
    return out.getvalue().encode()
