"""A CSV file read into typed columns with the standard library.

The types follow what ``pandas.read_csv`` would give the same text (so uploads read the same in the gateway
as in the tasks): a column of whole numbers is ``integer``, one with any decimal, exponent, ``inf`` or a gap
next to whole numbers is ``float``, ``true``/``false`` in any case with no gap is ``boolean``, anything else is
``string``. The usual missing-value spellings (empty, ``NA``, ``N/A``, ``null``, ``NaN``, ``None``, …) are gaps.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from causal_common.errors import InvalidInputError
from causal_common.models.datasets import ColumnType

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_COLUMNS = 500

# pandas' default missing-value spellings.
MISSING = frozenset(
    {
        "",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
    }
)
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_INT64 = (-(2**63), 2**63 - 1)

Value = bool | int | float | str


@dataclass(frozen=True)
class TableColumn:
    """One column: its name, its type, and its values (None where the file has a gap)."""

    name: str
    dtype: ColumnType
    values: tuple[Value | None, ...]
    # Stored whole-number floats (1.0, 2.0) and integer columns both look whole; this says which the file had.
    stored_as: ColumnType

    @property
    def present(self) -> list[Value]:
        return [value for value in self.values if value is not None]


@dataclass(frozen=True)
class Table:
    columns: tuple[TableColumn, ...]
    rows: int

    def __len__(self) -> int:
        return self.rows

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    def to_csv_text(self) -> str:
        """The table as CSV text, one ``\\n`` per row, numbers written as Python (and pandas) print them."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.names)
        for row in zip(*(column.values for column in self.columns), strict=True):
            writer.writerow(["" if value is None else _text(value) for value in row])
        return buffer.getvalue()


def _text(value: Value) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    return str(value)


def _as_integer(text: str) -> int | None:
    if not _INTEGER.match(text):
        return None
    number = int(text)
    return number if _INT64[0] <= number <= _INT64[1] else None


def _as_float(text: str) -> float | None:
    if "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def typed_column(name: str, cells: Sequence[str]) -> TableColumn:
    """The column's type and values, read from its cells as the file has them."""
    gaps = [cell in MISSING for cell in cells]
    present = [cell for cell, gap in zip(cells, gaps, strict=True) if not gap]
    if present and all(cell.lower() in ("true", "false") for cell in present):
        if any(gaps):  # pandas keeps True/False/NaN as objects: text that happens to be two-valued
            values: list[Value | None] = [
                None if gap else cell.lower() == "true" for cell, gap in zip(cells, gaps, strict=True)
            ]
            return TableColumn(name, "string", tuple(values), "string")
        return TableColumn(name, "boolean", tuple(cell.lower() == "true" for cell in cells), "boolean")
    integers = [_as_integer(cell) for cell in present]
    if all(number is not None for number in integers) and not any(gaps):
        return TableColumn(name, "integer", tuple(integers), "integer")
    floats = [_as_float(cell) for cell in present]
    if all(number is not None for number in floats):
        values = [None if gap else _as_float(cell) for cell, gap in zip(cells, gaps, strict=True)]
        whole = all(isinstance(v, float) and (math.isinf(v) or v.is_integer()) for v in values if v is not None)
        dtype: ColumnType = "integer" if present and whole and not any(gaps) else "float"
        return TableColumn(name, dtype, tuple(values), "float")
    return TableColumn(
        name, "string", tuple(None if gap else cell for cell, gap in zip(cells, gaps, strict=True)), "string"
    )


def _records(text: str) -> tuple[list[str], list[list[str]]]:
    """The header and the non-blank rows; every row has as many fields as the header."""
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    rows: list[list[str]] = []
    try:
        for row in reader:
            if not row or (header is None and not any(field.strip() for field in row)):
                continue
            if header is None:
                header = row
                continue
            if len(row) != len(header):
                raise InvalidInputError(
                    f"line {reader.line_num} has {len(row)} fields but the header has {len(header)}; quote values "
                    'that contain commas ("1,000") and check for missing or extra separators'
                )
            rows.append(row)
    except csv.Error as exc:
        raise InvalidInputError(f"the file is not valid CSV: {str(exc).strip()}") from exc
    if header is None:
        raise InvalidInputError("the file has no header row; the first line must name the columns")
    return header, rows


def parse_csv(csv_bytes: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> Table:
    """A typed table from uploaded CSV bytes, or InvalidInputError saying what is wrong."""
    if not csv_bytes:
        raise InvalidInputError("the file is empty; upload a CSV with a header row and at least one data row")
    if len(csv_bytes) > max_bytes:
        raise InvalidInputError(f"the file is {len(csv_bytes) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB")
    try:
        text = csv_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"the file is not UTF-8 text (bad byte at position {exc.start}); save it as UTF-8 CSV"
        ) from exc
    if "\x00" in text:
        raise InvalidInputError("the file contains NUL bytes: it looks binary, not a CSV")
    return table_of_text(text)


def table_of_text(text: str) -> Table:
    header, rows = _records(text)
    if len(header) < 1 or len(rows) < 1:
        raise InvalidInputError("the file needs a header row and at least one data row")
    if len(header) > MAX_COLUMNS:
        raise InvalidInputError(f"the file has {len(header)} columns; at most {MAX_COLUMNS} are accepted")
    unnamed = [name for name in header if not name.strip() or name.startswith("Unnamed:")]
    if unnamed:
        raise InvalidInputError(f"every column needs a name in the header row; {len(unnamed)} column(s) have none")
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise InvalidInputError(f"duplicate column names: {', '.join(duplicated)}")
    columns = tuple(typed_column(name, [row[index] for row in rows]) for index, name in enumerate(header))
    return Table(columns=columns, rows=len(rows))
