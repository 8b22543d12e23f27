"""Who owns a dataset is decided by the server, from the uploader's token, never claimed by the client.

Before, `causal-stack upload --user alice` wrote to S3 itself with the stack's
credentials and the owner it was told: anyone could replace Alice's data, write a
manifest that locked her out, or change a bundled dataset.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import httpx
import pytest
from gateway_testing import running_gateway
from support import ROOT

from causal_common.models.datasets import BUNDLED_DATASET_IDS, manifest_key
from causal_stack import cli

CSV = b"treat,age,re78\n1,25,9000\n0,30,7000\n1,22,8800\n0,41,6500\n"


@pytest.fixture(scope="module")
def gateway(moto_endpoint):
    with running_gateway(moto_endpoint) as running:
        s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name=running.settings.region)
        location = {"LocationConstraint": running.settings.region}
        for bucket in (running.settings.names.datasets_bucket, running.settings.names.artifacts_bucket):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=location)
        running.s3 = s3  # type: ignore[attr-defined]
        yield running


def stored_manifest(gateway, dataset_id: str) -> dict | None:
    try:
        body = gateway.s3.get_object(Bucket=gateway.settings.names.datasets_bucket, Key=manifest_key(dataset_id))
    except gateway.s3.exceptions.NoSuchKey:
        return None
    return json.loads(body["Body"].read())


def upload(gateway, user: str | None, dataset_id: str, **form: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {gateway.token(user)}"} if user else {}
    return httpx.post(
        f"{gateway.url}/api/chat/datasets",
        headers=headers,
        data={"datasetId": dataset_id, **form},
        files={"file": ("data.csv", CSV, "text/csv")},
        timeout=30,
    )


def test_an_upload_through_the_api_is_owned_by_the_signed_in_user_whatever_the_form_says(gateway) -> None:
    response = upload(gateway, "alice", "alice-data", owner="mallory", treatment="treat", outcome="re78")
    assert response.status_code == 201, response.text
    assert response.json()["owner"] == "alice"
    assert stored_manifest(gateway, "alice-data")["owner"] == "alice"


def test_someone_else_cannot_replace_or_lock_out_the_owner(gateway) -> None:
    assert upload(gateway, "alice", "alice-only").status_code == 201
    refused = upload(gateway, "bob", "alice-only", title="bob's now")
    assert refused.status_code == 403 and "only they can replace it" in refused.json()["detail"], refused.text
    assert stored_manifest(gateway, "alice-only")["owner"] == "alice"
    assert stored_manifest(gateway, "alice-only")["title"] != "bob's now"
    assert upload(gateway, "alice", "alice-only", title="mine again").status_code == 201


def test_without_a_token_nothing_is_written(gateway) -> None:
    assert upload(gateway, None, "anonymous-data").status_code == 401
    assert stored_manifest(gateway, "anonymous-data") is None


def test_bundled_datasets_are_read_only(gateway) -> None:
    for dataset_id in sorted(BUNDLED_DATASET_IDS):
        response = upload(gateway, "alice", dataset_id)
        assert response.status_code in (400, 403), response.text
        assert "bundled" in response.json()["detail"]
        assert stored_manifest(gateway, dataset_id) is None


def test_the_cli_uploads_through_the_gateway_signed_in_as_its_user(gateway, tmp_path, monkeypatch, capsys) -> None:
    """The CLI never writes to S3 itself: with the AWS endpoint unreachable the upload still goes through."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("RESOURCE_PREFIX", gateway.settings.resource_prefix)
    data = tmp_path / "mine.csv"
    data.write_bytes(CSV)
    argv = ["upload", str(data), "--id", "cli-data", "--gateway-url", gateway.url]
    assert cli.main([*argv, "--user", "carol"]) == 0, capsys.readouterr()
    assert "uploaded cli-data" in capsys.readouterr().out
    assert stored_manifest(gateway, "cli-data")["owner"] == "carol"

    assert cli.main([*argv, "--user", "dave"]) != 0
    assert "only they can replace it" in capsys.readouterr().err
    assert stored_manifest(gateway, "cli-data")["owner"] == "carol"


def test_the_readme_says_dev_token_identities_are_not_secret() -> None:
    readme = " ".join(Path(ROOT / "README.md").read_text().split())
    assert "With dev tokens on (`causal-stack up`, compose), identities are not secret" in readme
