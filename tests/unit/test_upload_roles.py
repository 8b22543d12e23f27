"""Uploads as people have them: roles, levels and codings inferred; roles set by hand are checked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal_common.errors import InvalidInputError
from causal_datasets.uploads import RoleOptions, manifest_for_upload


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 60
    return pd.DataFrame(
        {
            "employee_id": [f"E{i:04d}" for i in range(n)],
            "row": np.arange(1, n + 1),
            "got_training": rng.choice(["Yes", "no", "YES", "No"], n),
            "Dept": rng.choice(["sales", "hr", "it"], n),
            "salary": rng.normal(50, 5, n).round(2),
            "remote": rng.choice([True, False], n),
            "hired_on": pd.date_range("2020-01-01", periods=n, freq="7D").strftime("%Y-%m-%d"),
            "notes": [f"free text number {i} about this person" for i in range(n)],
            "arm": rng.choice(["treated", "control"], n),
        }
    )


def test_roles_levels_and_codings_are_inferred():
    manifest = manifest_for_upload(_frame(), "staff")
    columns = {column.name: column for column in manifest.columns}
    assert columns["employee_id"].role == "identifier"
    assert columns["row"].role == "identifier"  # 1, 2, 3, … is a row number
    assert columns["got_training"].coding == {"yes": 1.0, "no": 0.0} and columns["got_training"].binary
    assert columns["arm"].coding == {"treated": 1.0, "control": 0.0}
    assert columns["Dept"].role == "covariate" and columns["Dept"].levels == ["hr", "it", "sales"]
    assert columns["salary"].role == "covariate" and not columns["salary"].binary
    assert columns["remote"].binary
    assert columns["hired_on"].role == "date"
    assert columns["notes"].role == "text"


def test_roles_set_at_upload_are_recorded():
    roles = RoleOptions(treatment="got_training", outcome="salary", covariates=["Dept"], exclude=["remote"])
    columns = {c.name: c for c in manifest_for_upload(_frame(), "staff", roles=roles).columns}
    assert (columns["got_training"].role, columns["salary"].role) == ("treatment", "outcome")
    assert columns["Dept"].role == "covariate" and columns["remote"].role == "excluded"


@pytest.mark.parametrize(
    "roles, message",
    [
        (RoleOptions(treatment="nope"), "unknown column"),
        (RoleOptions(treatment="Dept"), "holds text"),
        (RoleOptions(treatment="salary", covariates=["salary"]), "cannot be both"),
        (RoleOptions(cutoff=3.0), "running variable"),
    ],
)
def test_bad_roles_are_refused_with_the_reason(roles, message):
    with pytest.raises(InvalidInputError, match=message):
        manifest_for_upload(_frame(), "staff", roles=roles)


@pytest.mark.parametrize("text, line", [("a,b,c\n1,2,3,9\n4,5,6,7\n", 2), ("a,b,c\n1,2,3\n1,2\n", 3)])
def test_rows_with_more_or_fewer_fields_than_the_header_are_refused(text, line):
    from causal_datasets.table import parse_csv

    with pytest.raises(InvalidInputError, match=f"line {line} has"):
        parse_csv(text.encode())
    assert len(parse_csv(b'a,b\n"1,000",2\n')) == 1  # a quoted comma is one field


def test_sequence_numbers_with_gaps_and_id_like_names_are_identifiers_not_covariates():
    rng = np.random.default_rng(11)
    n = 80
    frame = pd.DataFrame(
        {
            "resp": np.cumsum(rng.integers(1, 9, n)) + 1000,  # a survey's sequence number: rising, with gaps
            "hh_no": rng.permutation(n) + 1,  # unique, named like a number
            "income": rng.integers(800, 9000, n),  # unique-ish integers in no order: a measurement
            "visits": rng.poisson(3, n),
        }
    )
    columns = {column.name: column for column in manifest_for_upload(frame, "survey").columns}
    assert columns["resp"].role == "identifier"
    assert columns["hh_no"].role == "identifier"
    assert columns["income"].role == "covariate"
    assert columns["visits"].role == "covariate"


def test_a_yes_no_column_whose_name_starts_like_an_id_is_a_property_not_an_identifier():
    rng = np.random.default_rng(5)
    n = 80
    frame = pd.DataFrame(
        {
            "no_reply": rng.choice(["yes", "no"], n),  # "no" leads the name, but the values are yes/no
            "ref_code": [f"R{i % 30:03d}" for i in range(n)],  # id-named text with many values: an identifier
            "score": rng.normal(5, 1, n).round(2),
        }
    )
    columns = {column.name: column for column in manifest_for_upload(frame, "clinic").columns}
    assert columns["no_reply"].role == "covariate"
    assert columns["no_reply"].coding == {"yes": 1.0, "no": 0.0}
    assert columns["ref_code"].role == "identifier"
