"""Descriptive questions restricted to years, dates and numbers: the filter reaches the SQL the
data-query tool runs, and the answer's first sentence says what was asked, over how many rows."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from causal_agent.conversation import ToolExchange
from causal_agent.describe import descriptive_answer
from causal_agent.reading.descriptive import to_sql
from causal_agent.reading.reader import read_question
from causal_common.models.datasets import Column, DatasetManifest

FIRMS = DatasetManifest(
    id="firms",
    title="Firm survey",
    description="",
    rows=600,
    data_key="firms/data.csv",
    columns=[
        Column(name="year", dtype="integer"),
        Column(name="survey_date", dtype="string"),
        Column(name="employees", dtype="integer"),
        Column(name="owner_age", dtype="integer", synonyms=["age"]),
        Column(name="subsidy", dtype="integer", role="treatment", levels=["0", "1"], synonyms=["grant"]),
        Column(name="revenue", dtype="float"),
    ],
)


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 600
    dates = pd.Timestamp("2012-01-01") + pd.to_timedelta(rng.integers(0, 365 * 10, n), unit="D")
    return pd.DataFrame(
        {
            "year": dates.year,
            "survey_date": dates.strftime("%Y-%m-%d"),
            "employees": rng.integers(1, 200, n),
            "owner_age": rng.integers(20, 80, n),
            "subsidy": rng.integers(0, 2, n),
            "revenue": rng.normal(100, 20, n).round(2),
        }
    )


def _run(sql: str, frame: pd.DataFrame) -> tuple[list[str], list[list]]:
    connection = duckdb.connect()
    connection.register("data", frame)
    cursor = connection.execute(sql)
    return [d[0] for d in cursor.description], [list(row) for row in cursor.fetchall()]


def _when(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["survey_date"])


@pytest.mark.parametrize(
    "question, rows_of",
    [
        ("What was the average revenue in 2019?", lambda f: f["year"] == 2019),
        ("mean revenue during 2015", lambda f: f["year"] == 2015),
        ("average revenue before 2015", lambda f: f["year"] < 2015),
        ("average revenue after 2018", lambda f: f["year"] > 2018),
        ("average revenue since 2020", lambda f: f["year"] >= 2020),
        ("average revenue between 2016 and 2018", lambda f: f["year"].between(2016, 2018)),
        ("average revenue from 2013 to 2014", lambda f: f["year"].between(2013, 2014)),
        ("average revenue since March 2020", lambda f: _when(f) >= "2020-03-01"),
        ("average revenue before June 2016", lambda f: _when(f) < "2016-06-01"),
        ("average revenue in May 2017", lambda f: (_when(f) >= "2017-05-01") & (_when(f) < "2017-06-01")),
        ("average revenue for owners over 60", lambda f: f["owner_age"] > 60),
        ("average revenue for people aged under 30", lambda f: f["owner_age"] < 30),
        ("average revenue among firms with at least 50 employees", lambda f: f["employees"] >= 50),
        ("average revenue for firms with fewer than 10 employees", lambda f: f["employees"] < 10),
        (
            "average revenue for firms with more than 100 employees in 2019",
            lambda f: (f["employees"] > 100) & (f["year"] == 2019),
        ),
    ],
)
def test_a_year_date_or_number_restricts_the_rows(question, rows_of):
    frame = _frame()
    reading = read_question(question, FIRMS)
    assert reading.intent == "descriptive", reading
    columns, rows = _run(to_sql(reading.descriptive, FIRMS), frame)
    chosen = frame[rows_of(frame)]
    assert len(chosen) > 0
    assert rows[0][0] == pytest.approx(chosen["revenue"].mean(), rel=1e-9), question
    assert rows[0][columns.index("n")] == len(chosen), question


@pytest.mark.parametrize(
    "question, expected",
    [
        ("how many rows are there?", lambda f: len(f)),
        ("How many observations are in the data?", lambda f: len(f)),
        ("how many firms were surveyed in 2019?", lambda f: int((f["year"] == 2019).sum())),
        ("how many rows since March 2020?", lambda f: int((_when(f) >= "2020-03-01").sum())),
    ],
)
def test_a_count_of_rows_counts_every_row_it_is_asked_about(question, expected):
    frame = _frame()
    reading = read_question(question, FIRMS)
    assert reading.intent == "descriptive" and reading.descriptive.kind == "count", reading
    assert reading.descriptive.columns == [] or "subsidy" not in reading.descriptive.columns
    _, rows = _run(to_sql(reading.descriptive, FIRMS), frame)
    assert rows[0][-1] == expected(frame) or rows[0][0] == expected(frame)


def _answer(question: str) -> tuple[str, pd.DataFrame]:
    frame = _frame()
    reading = read_question(question, FIRMS)
    sql = to_sql(reading.descriptive, FIRMS)
    columns, rows = _run(sql, frame)
    exchange = ToolExchange(
        call_id="c1",
        name="data_query",
        arguments={"sql": sql, "intent": "descriptive"},
        outcome={"ok": True, "result": {"columns": columns, "rows": rows, "row_count": len(rows)}},
    )
    return descriptive_answer(reading.descriptive, FIRMS, exchange), frame


def test_the_headline_answers_the_question_with_its_filter_and_row_count():
    text, frame = _answer("What was the average revenue in 2019?")
    chosen = frame[frame["year"] == 2019]
    first = text.split("\n")[0]
    assert first.startswith("The average revenue in 2019 was "), first
    assert f"{chosen['revenue'].mean():,.2f}" in first and f"over {len(chosen)} rows" in first, first
    assert "WHERE" in text  # the query itself is shown


def test_the_headline_of_a_number_filter_names_the_column_and_the_bound():
    text, frame = _answer("average revenue among firms with at least 50 employees")
    first = text.split("\n")[0]
    assert "employees" in first and "at least 50" in first, first
    assert f"over {int((frame['employees'] >= 50).sum())} rows" in first, first


def test_a_count_of_all_rows_is_said_as_such():
    text, frame = _answer("how many rows are there?")
    assert f"{len(frame)}" in text.split("\n")[0]
    assert "subsidy" not in text.split("\n")[0]


def test_a_year_on_a_data_set_without_a_period_column_is_not_read_as_a_number_filter():
    no_period = FIRMS.model_copy(
        update={"columns": [c for c in FIRMS.columns if c.name not in ("year", "survey_date")]}
    )
    reading = read_question("average revenue in 2019", no_period)
    filters = reading.descriptive.filters if reading.descriptive else []
    assert not any(f.column in ("employees", "owner_age") for f in filters)


def test_a_month_on_data_with_only_years_is_said_not_guessed():
    years_only = FIRMS.model_copy(update={"columns": [c for c in FIRMS.columns if c.name != "survey_date"]})
    reading = read_question("average revenue since March 2020", years_only)
    assert reading.intent == "unanswerable" and reading.unmatched == ["since March 2020"]
    assert read_question("average revenue since 2020", years_only).descriptive.filters[0].column == "year"
