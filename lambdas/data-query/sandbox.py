"""A read-only DuckDB sandbox over one dataset, visible as the table ``data``.

The CSV is loaded into an in-memory database; then external access (files,
network), extension loading and configuration changes are switched off and
locked. Each query must be exactly one SELECT (``WITH … SELECT``, ``DESCRIBE``,
``SUMMARIZE`` and ``VALUES`` parse as SELECT too); it runs under a row limit,
a time limit and a byte limit on its result (the result travels in the
workflow's state, which Step Functions caps at 256 KiB): rows are fetched one
at a time and counted, and a result over the limit is refused with its size
and how to shrink it.
"""

from __future__ import annotations

import datetime
import decimal
import json
import logging
import os
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from typing import Any

import duckdb

from causal_common.errors import InvalidInputError, ToolError
from causal_common.models.tools import DataQueryResult

logger = logging.getLogger(__name__)

TABLE = "data"
# Half of Step Functions' 256 KiB state limit: the rest of the state needs room too.
DEFAULT_MAX_RESULT_BYTES = 128 * 1024
_ALLOWED = {duckdb.StatementType.SELECT}


class Sandbox:
    """One dataset loaded into a locked-down in-memory DuckDB database."""

    def __init__(self, csv_bytes: bytes, *, memory_limit: str = "512MB", threads: int = 1) -> None:
        self._connection = duckdb.connect(
            ":memory:",
            config={
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "memory_limit": memory_limit,
                "threads": threads,
            },
        )
        handle, path = tempfile.mkstemp(suffix=".csv")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(csv_bytes)
            self._connection.execute(
                f"CREATE TABLE {TABLE} AS SELECT * FROM read_csv_auto(?, header = true, sample_size = -1)", [path]
            )
        except duckdb.Error as exc:
            raise ToolError(f"the dataset could not be loaded as CSV: {_first_line(exc)}") from exc
        finally:
            os.unlink(path)
        # Order matters: the lock comes last, after every setting it protects.
        self._connection.execute("SET enable_external_access = false")
        self._connection.execute("SET allow_community_extensions = false")
        self._connection.execute("SET lock_configuration = true")
        self.rows = self._connection.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]

    def query(
        self, sql: str, *, limit: int, timeout_seconds: float, max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES
    ) -> DataQueryResult:
        statement = check_single_select(self._connection, sql)
        cursor = self._connection.cursor()
        timer = threading.Timer(timeout_seconds, cursor.interrupt)
        started = time.perf_counter()
        timer.start()
        try:
            cursor.execute(statement)
            columns = [description[0] for description in cursor.description or []]
            rows, truncated = _fetch_within(cursor, columns, limit, max_result_bytes)
        except duckdb.InterruptException as exc:
            raise InvalidInputError(
                f"the query ran longer than {timeout_seconds:g} s and was stopped; add filters or aggregate"
            ) from exc
        except duckdb.PermissionException as exc:
            raise InvalidInputError(
                "the query tried to read or write files, the network or extensions, which is not allowed: "
                f"only the table `{TABLE}` can be queried"
            ) from exc
        except duckdb.Error as exc:
            raise InvalidInputError(f"the query failed: {_first_line(exc)}") from exc
        finally:
            timer.cancel()
            cursor.close()
        elapsed_ms = (time.perf_counter() - started) * 1000
        return DataQueryResult(
            columns=columns, rows=rows, row_count=len(rows), truncated=truncated, elapsed_ms=round(elapsed_ms, 2)
        )


def _fetch_within(cursor: Any, columns: list[str], limit: int, max_bytes: int) -> tuple[list[list[Any]], bool]:
    """Up to ``limit`` rows (and whether more exist), refusing a result over ``max_bytes`` of JSON."""
    rows: list[list[Any]] = []
    size = len(json.dumps(columns))
    while True:
        row = cursor.fetchone()
        if row is None:
            return rows, False
        if len(rows) == limit:
            return rows, True
        values = [_json_value(value) for value in row]
        row_bytes = len(json.dumps(values, default=str)) + 1
        if size + row_bytes > max_bytes:
            raise InvalidInputError(_too_large_message(columns, values, len(rows), row_bytes, max_bytes))
        size += row_bytes
        rows.append(values)


def _too_large_message(columns: list[str], row: list[Any], rows_that_fit: int, row_bytes: int, max_bytes: int) -> str:
    widest = max(range(len(columns)), key=lambda i: len(json.dumps(row[i], default=str)), default=None)
    where = ""
    if widest is not None:
        where = f"; column `{columns[widest]}` holds a value of {len(json.dumps(row[widest], default=str)):,} bytes"
    if rows_that_fit:
        fits = f"only the first {rows_that_fit} row(s) fit (row {rows_that_fit + 1} is {row_bytes:,} bytes{where})"
    else:
        fits = f"its first row alone is {row_bytes:,} bytes{where}"
    return (
        f"the query's result is larger than the {max_bytes:,} bytes a data_query may return: {fits}. "
        "Select fewer or shorter columns (e.g. length(col) or left(col, 100) instead of col), aggregate, "
        "or lower limit"
    )


def check_single_select(connection: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """The one parsed SELECT statement in ``sql``, or InvalidInputError saying why not."""
    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error as exc:
        raise InvalidInputError(f"the SQL does not parse: {_first_line(exc)}") from exc
    if len(statements) != 1:
        raise InvalidInputError(f"send exactly one SELECT statement (got {len(statements)}); no ';'-separated batches")
    statement = statements[0]
    if statement.type not in _ALLOWED:
        kind = statement.type.name.replace("_STATEMENT", "")
        raise InvalidInputError(
            f"only read-only SELECT queries over the table `{TABLE}` are allowed; {kind} statements are not"
        )
    return statement


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time, uuid.UUID)):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    return str(value)


class SandboxCache:
    """Loaded datasets of this warm process, keyed by id and the data's ETag (small LRU)."""

    def __init__(self, capacity: int = 4) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[tuple[str, str], Sandbox] = OrderedDict()

    def get(self, dataset_id: str, version: str, load: Any) -> Sandbox:
        key = (dataset_id, version)
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        for stale in [entry for entry in self._entries if entry[0] == dataset_id]:
            del self._entries[stale]
        sandbox = Sandbox(load())
        self._entries[key] = sandbox
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
        logger.info("loaded dataset %s into the query sandbox (%s rows)", dataset_id, sandbox.rows)
        return sandbox

    def clear(self) -> None:
        self._entries.clear()
