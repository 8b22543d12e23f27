"""data-query handler and dataset publishing against moto's S3."""

from __future__ import annotations

import boto3
import pytest
from support import load_lambda_module

from causal_common.datasets import list_manifests, load_manifest
from causal_common.errors import InvalidInputError, NotFoundError
from causal_common.names import ResourceNames
from causal_datasets.uploads import upload_csv

NAMES = ResourceNames(prefix="dq-test-")


@pytest.fixture(scope="module")
def s3(moto_endpoint):
    client = boto3.client("s3", region_name="eu-central-1", endpoint_url=moto_endpoint)
    client.create_bucket(Bucket=NAMES.datasets_bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    upload_csv(client, NAMES, b"treat,age,re78\n1,30,100.5\n0,40,50.25\n1,25,80\n", "small")
    return client


@pytest.fixture()
def handler(moto_endpoint, monkeypatch, s3):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("RESOURCE_PREFIX", NAMES.prefix)
    return load_lambda_module("data-query").handler


def event(sql, dataset="small", **extra):
    return {"sessionId": "s-1", "datasetId": dataset, "callId": "call-1", "arguments": {"sql": sql, **extra}}


def test_query_returns_rows(handler):
    outcome = handler(event("SELECT treat, count(*) FROM data GROUP BY treat ORDER BY treat"), None)
    assert outcome["ok"] is True and outcome["tool"] == "data_query" and outcome["call_id"] == "call-1"
    assert outcome["result"]["rows"] == [[0, 1], [1, 2]]


def test_hostile_sql_is_a_tool_error(handler):
    outcome = handler(event("SELECT * FROM read_csv('/etc/passwd')"), None)
    assert outcome["ok"] is False and "not allowed" in outcome["error"]
    outcome = handler(event("COPY data TO '/tmp/x.csv'"), None)
    assert outcome["ok"] is False and "COPY" in outcome["error"]


def test_unknown_dataset_and_column_are_named(handler):
    outcome = handler(event("SELECT 1", dataset="nope"), None)
    assert outcome["ok"] is False and "unknown dataset 'nope'" in outcome["error"]
    outcome = handler(event("SELECT salary FROM data"), None)
    assert outcome["ok"] is False and "salary" in outcome["error"]


def test_bad_arguments_are_named(handler):
    outcome = handler(event("SELECT 1", limit=100000), None)
    assert outcome["ok"] is False and "limit" in outcome["error"]


def test_reupload_is_seen_by_a_warm_handler(handler, s3):
    assert handler(event("SELECT count(*) FROM data"), None)["result"]["rows"] == [[3]]
    upload_csv(s3, NAMES, b"treat,age,re78\n1,30,100.5\n", "small")
    assert handler(event("SELECT count(*) FROM data"), None)["result"]["rows"] == [[1]]
    upload_csv(s3, NAMES, b"treat,age,re78\n1,30,100.5\n0,40,50.25\n1,25,80\n", "small")


def test_manifests_are_listed_and_loaded(s3):
    manifest = load_manifest(s3, NAMES, "small")
    assert [column.dtype for column in manifest.columns] == ["integer", "integer", "float"]
    assert manifest.origin == "uploaded"
    assert "small" in [m.id for m in list_manifests(s3, NAMES)]
    with pytest.raises(NotFoundError):
        load_manifest(s3, NAMES, "missing")


@pytest.mark.parametrize(
    ("payload", "dataset_id", "message"),
    [
        (b"", "empty", "empty"),
        (b"a,b\n1,2\n", "Bad Id!", "invalid dataset id"),
        (b"a,b\n1,2\n", "lalonde_nsw", "bundled"),
        (b"\xff\xfe\x00binary", "binary", "UTF-8"),
        (b"a,a\n1,2\n", "dupes", "duplicate column"),
        (b"a,\n1,2\n", "unnamed", "needs a name"),
        (b"a,b\n", "header-only", "at least one data row"),
        (b"x" * 2048, "too-big", "limit"),
    ],
)
def test_bad_uploads_are_rejected_and_nothing_is_written(s3, payload, dataset_id, message):
    with pytest.raises(InvalidInputError) as raised:
        upload_csv(s3, NAMES, payload, dataset_id, max_bytes=1024)
    assert message in raised.value.message
    listed = s3.list_objects_v2(Bucket=NAMES.datasets_bucket, Prefix=f"{dataset_id}/")
    assert listed.get("KeyCount", 0) == 0


def test_a_period_filter_read_from_words_runs_in_the_sandbox(handler, s3):
    from causal_agent.reading.descriptive import to_sql
    from causal_agent.reading.reader import read_question

    csv = b"visit_date,year,spend\n2019-02-01,2019,10\n2020-02-28,2020,20\n2020-03-01,2020,30\n2021-07-04,2021,40\n"
    upload_csv(s3, NAMES, csv, "visits")
    manifest = load_manifest(s3, NAMES, "visits")
    for question, expected in [
        ("average spend since March 2020", [[35.0, 2]]),
        ("average spend in 2020", [[25.0, 2]]),
        ("average spend between 2019 and 2020", [[20.0, 3]]),
        ("how many rows are there?", [[4]]),
    ]:
        sql = to_sql(read_question(question, manifest).descriptive, manifest)
        outcome = handler(event(sql, dataset="visits", intent="descriptive"), None)
        assert outcome["ok"] is True, (question, outcome)
        assert outcome["result"]["rows"] == expected, (question, sql)
