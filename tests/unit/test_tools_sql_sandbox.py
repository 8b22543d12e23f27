"""The data-query sandbox: useful SELECTs work, anything else is refused and changes nothing."""

from __future__ import annotations

import pytest
from support import load_lambda_module

from causal_common.errors import InvalidInputError

sandbox_module = load_lambda_module("data-query", "sandbox")

CSV = b"treat,age,re78\n1,30,100.5\n0,40,50.25\n1,25,80.0\n0,35,\n"


@pytest.fixture(scope="module")
def sandbox():
    return sandbox_module.Sandbox(CSV)


def test_select_group_by_returns_rows(sandbox):
    result = sandbox.query(
        "SELECT treat, avg(re78) AS mean_earnings, count(*) AS n FROM data GROUP BY treat ORDER BY treat",
        limit=10,
        timeout_seconds=5,
    )
    assert result.columns == ["treat", "mean_earnings", "n"]
    assert result.rows == [[0, 50.25, 2], [1, 90.25, 2]]
    assert result.truncated is False


def test_with_select_and_describe_are_allowed(sandbox):
    assert sandbox.query(
        "WITH t AS (SELECT age FROM data) SELECT max(age) FROM t", limit=5, timeout_seconds=5
    ).rows == [[40]]
    schema = sandbox.query("DESCRIBE data", limit=50, timeout_seconds=5)
    assert [row[0] for row in schema.rows] == ["treat", "age", "re78"]


def test_row_limit_truncates(sandbox):
    result = sandbox.query("SELECT * FROM data", limit=2, timeout_seconds=5)
    assert result.row_count == 2 and result.truncated is True


def test_missing_values_come_back_as_null(sandbox):
    assert sandbox.query("SELECT re78 FROM data WHERE age = 35", limit=5, timeout_seconds=5).rows == [[None]]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "not allowed"),
        ("SELECT * FROM read_text('/etc/passwd')", "not allowed"),
        ("SELECT * FROM glob('/*')", "not allowed"),
        ("COPY data TO '/tmp/stolen.csv'", "COPY statements are not"),
        ("ATTACH '/tmp/other.db' AS other", "ATTACH statements are not"),
        ("INSTALL httpfs", "statements are not"),
        ("LOAD httpfs", "statements are not"),
        ("PRAGMA version", "PRAGMA statements are not"),
        ("SET threads = 8", "SET statements are not"),
        ("SELECT 1; DROP TABLE data", "exactly one SELECT"),
        ("DROP TABLE data", "DROP statements are not"),
        ("DELETE FROM data", "DELETE statements are not"),
        ("UPDATE data SET re78 = 0", "UPDATE statements are not"),
        ("CREATE TABLE x AS SELECT 1", "CREATE statements are not"),
        ("CALL pragma_version()", "CALL statements are not"),
        ("SELEC nonsense", "does not parse"),
        ("SELECT nope FROM data", "nope"),
    ],
)
def test_hostile_or_bad_sql_is_refused_with_a_clear_message(sandbox, sql, expected):
    with pytest.raises(InvalidInputError) as raised:
        sandbox.query(sql, limit=10, timeout_seconds=5)
    assert expected in raised.value.message
    # Nothing changed.
    assert sandbox.query("SELECT count(*) FROM data", limit=1, timeout_seconds=5).rows == [[4]]


def test_long_query_is_interrupted(sandbox):
    with pytest.raises(InvalidInputError, match="longer than"):
        sandbox.query(
            "SELECT count(*) FROM range(100000000000) a, range(1000) b WHERE a.range * b.range % 7 = 3",
            limit=1,
            timeout_seconds=0.3,
        )


def test_unparseable_csv_is_a_tool_error():
    from causal_common.errors import ToolError

    with pytest.raises(ToolError):
        sandbox_module.Sandbox(b"\x00\x01\x02garbage\xff")
