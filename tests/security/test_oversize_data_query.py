"""A data query whose result would not fit is refused with a message the agent can act on."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from functional.test_embedded_lambda_runner import make_zip
from support import create_execution_role, load_lambda_module, running_emulator

from causal_common.names import ResourceNames
from causal_datasets.uploads import upload_csv

NAMES = ResourceNames(prefix="oversize-test-")


@pytest.fixture(scope="module")
def s3(moto_endpoint):
    client = boto3.client("s3", region_name="eu-central-1", endpoint_url=moto_endpoint)
    client.create_bucket(Bucket=NAMES.datasets_bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    rows = "\n".join(f"{i % 2},{i},{'note ' * 40}{i}" for i in range(2000))
    upload_csv(client, NAMES, f"treat,age,note\n{rows}\n".encode(), "notes")
    return client


@pytest.fixture()
def handler(moto_endpoint, monkeypatch, s3):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("RESOURCE_PREFIX", NAMES.prefix)
    return load_lambda_module("data-query").handler


def query(handler, sql: str, limit: int = 100) -> dict:
    return handler(
        {"sessionId": "s", "datasetId": "notes", "callId": "c", "arguments": {"sql": sql, "limit": limit}}, None
    )


def test_a_100_mb_cell_is_refused_with_its_size_and_what_to_do(handler):
    outcome = query(handler, "SELECT treat, repeat('x', 100000000) AS blob FROM data LIMIT 1")
    assert outcome["ok"] is False
    error = outcome["error"]
    assert "larger than the 131,072 bytes" in error
    assert "`blob`" in error and "100,000,002 bytes" in error
    assert "left(col, 100)" in error and "aggregate" in error
    assert len(json.dumps(outcome)) < 2000


def test_many_wide_rows_say_how_many_fit(handler):
    outcome = query(handler, "SELECT * FROM data", limit=1000)
    assert outcome["ok"] is False
    assert "only the first" in outcome["error"] and "row(s) fit" in outcome["error"]
    fitting = int(outcome["error"].split("only the first ")[1].split(" ")[0])
    smaller = query(handler, "SELECT * FROM data", limit=fitting)
    assert smaller["ok"] is True and smaller["result"]["row_count"] == fitting
    assert len(json.dumps(smaller)) < 131_072 + 1024


def test_the_limit_is_a_setting(handler, monkeypatch):
    monkeypatch.setenv("DATA_QUERY_MAX_RESULT_BYTES", "2048")
    fresh = load_lambda_module("data-query").handler
    outcome = query(fresh, "SELECT note FROM data", limit=100)
    assert outcome["ok"] is False and "2,048 bytes" in outcome["error"]
    assert query(fresh, "SELECT count(*) FROM data")["ok"] is True


def test_the_embedded_runner_refuses_a_response_over_lambdas_6_mb_as_aws_does():
    source = "def big(event, context):\n    return 'x' * 7_000_000\n"
    with running_emulator() as url:
        role = create_execution_role(url, "lambda")
        client = boto3.client(
            "lambda",
            endpoint_url=url,
            region_name="eu-central-1",
            config=Config(retries={"max_attempts": 1}, read_timeout=60),
        )
        client.create_function(
            FunctionName="big",
            Runtime="python3.12",
            Role=role,
            Handler="handler.big",
            Code={"ZipFile": make_zip(source)},
            Timeout=30,
        )
        response = client.invoke(FunctionName="big")
        payload = json.loads(response["Payload"].read())
    assert response.get("FunctionError")
    assert payload["errorType"] == "Function.ResponseSizeTooLarge"
    assert "exceeded maximum allowed payload size (6291556 bytes)" in payload["errorMessage"]
