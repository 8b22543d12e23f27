"""The deployer against a plain moto server, and against moto as the AWS double."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import boto3
import pytest
from deploy_support import config_for, make_source
from support import free_port

from causal_common.names import FUNCTIONS
from causal_deploy import DeployConfig, EndpointUnreachableError, MissingSourceError, PackageTooLargeError, deploy
from causal_deploy.config import DepsSource
from causal_deploy.lambda_zip import PackageBuilder


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return make_source(tmp_path / "repo")


def clients(endpoint: str | None, service: str):
    return boto3.client(service, region_name="eu-central-1", endpoint_url=endpoint)


def test_first_deploy_creates_every_resource_and_a_second_changes_nothing(moto_endpoint, source):
    config = config_for(moto_endpoint, source)

    first = deploy(config)

    assert first.ok, first.problems
    kinds = [(r.kind, r.action.value) for r in first.results]
    assert kinds.count(("table", "created")) == 4
    assert kinds.count(("bucket", "created")) == 2
    assert kinds.count(("secret", "created")) == 4
    assert kinds.count(("function", "created")) == len(FUNCTIONS)
    assert ("state-machine", "created") in kinds
    assert ("rule", "created") in kinds and ("rule-target", "created") in kinds
    assert kinds.count(("task-definition", "created")) == 2

    prefix = config.resource_prefix
    awslambda = clients(moto_endpoint, "lambda")
    configuration = awslambda.get_function(FunctionName=f"{prefix}parse-initial-query")["Configuration"]
    assert configuration["State"] == "Active"
    assert configuration["Runtime"] == "python3.12"
    assert configuration["Handler"] == "handler.handler"
    variables = configuration["Environment"]["Variables"]
    assert variables["RESOURCE_PREFIX"] == prefix
    assert variables["AWS_ENDPOINT_URL_ECS"] == moto_endpoint
    assert variables["WEBSOCKET_CALLBACK_URL"] == "http://127.0.0.1:8080/dev"

    dynamodb = clients(moto_endpoint, "dynamodb")
    connections = dynamodb.describe_table(TableName=f"{prefix}connections")["Table"]
    assert [i["IndexName"] for i in connections["GlobalSecondaryIndexes"]] == ["sessionId-index"]
    ttl = dynamodb.describe_time_to_live(TableName=f"{prefix}pending-messages")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expiresAt"

    stepfunctions = clients(moto_endpoint, "stepfunctions")
    machine = next(m for m in stepfunctions.list_state_machines()["stateMachines"] if m["name"] == f"{prefix}agent-sm")
    definition = json.loads(
        stepfunctions.describe_state_machine(stateMachineArn=machine["stateMachineArn"])["definition"]
    )
    assert definition["States"]["Parse"]["Resource"] == configuration["FunctionArn"]

    secrets = clients(moto_endpoint, "secretsmanager")
    signing_key = secrets.get_secret_value(SecretId=f"{prefix}gateway-token-signing-key")["SecretString"]
    assert len(bytes.fromhex(signing_key)) == 32
    llm = json.loads(secrets.get_secret_value(SecretId=f"{prefix}llm-settings")["SecretString"])
    assert llm == {"model": "gpt-4o-mini", "baseUrl": None}

    ecs = clients(moto_endpoint, "ecs")
    task = ecs.describe_task_definition(taskDefinition=f"{prefix}causal-analysis")["taskDefinition"]
    assert task["containerDefinitions"][0]["name"] == "task"
    assert task["containerDefinitions"][0]["command"] == ["python", "-m", "causal_tasks", "causal-analysis"]

    second = deploy(config)

    assert second.ok
    assert second.changed == []
    assert second.summary().startswith("nothing changed")
    assert secrets.get_secret_value(SecretId=f"{prefix}gateway-token-signing-key")["SecretString"] == signing_key


def test_a_changed_handler_is_redeployed_and_nothing_else(moto_endpoint, source):
    config = config_for(moto_endpoint, source)
    deploy(config)
    handler = source / "lambdas" / "data-query" / "handler.py"
    handler.write_text("def handler(event, context):\n    return {'changed': True}\n")

    report = deploy(config)

    assert [(r.kind, r.name, r.action.value) for r in report.changed] == [
        ("function", f"{config.resource_prefix}data-query", "updated")
    ]
    assert "code" in report.changed[0].detail
    builder = PackageBuilder(config.lambdas_dir, config.build_dir, DepsSource.LOCAL)
    expected = builder.build("data-query", handler.parent).code_sha256
    current = clients(moto_endpoint, "lambda").get_function(FunctionName=f"{config.resource_prefix}data-query")
    assert current["Configuration"]["CodeSha256"] == expected


def test_a_changed_setting_updates_configuration_and_openai_key_without_logging_it(
    moto_endpoint, source, capsys, caplog
):
    config = config_for(moto_endpoint, source)
    deploy(config)
    secret_value = "sk-test-" + uuid.uuid4().hex
    changed = DeployConfig(**{**config.model_dump(), "log_level": "DEBUG", "openai_api_key": secret_value})

    report = deploy(changed)

    updated = {(r.kind, r.name.removeprefix(config.resource_prefix)) for r in report.changed}
    assert ("secret", "openai-api-key") in updated
    assert {name for kind, name in updated if kind == "function"} == set(FUNCTIONS)
    secrets = clients(moto_endpoint, "secretsmanager")
    assert secrets.get_secret_value(SecretId=f"{config.resource_prefix}openai-api-key")["SecretString"] == secret_value
    assert secret_value not in report.summary() + json.dumps(report.to_dict()) + caplog.text + capsys.readouterr().out
    assert secret_value not in repr(changed)


def test_deploy_to_an_endpoint_that_is_down_fails_fast_with_a_clear_error(source):
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()

    with pytest.raises(EndpointUnreachableError) as raised:
        deploy(config_for(url, source))

    assert url in raised.value.message
    assert "causal-stack up" in raised.value.message
    assert time.monotonic() - started < 30  # no botocore retry storm (generous bound)


def test_a_missing_state_machine_definition_is_named(moto_endpoint, source):
    (source / "lambdas" / "state-machine.asl.json").unlink()

    with pytest.raises(MissingSourceError) as raised:
        deploy(config_for(moto_endpoint, source))

    assert "state-machine.asl.json" in raised.value.message


def test_a_missing_handler_is_named_before_anything_is_created(moto_endpoint, source):
    (source / "lambdas" / "send-prompt" / "handler.py").unlink()
    config = config_for(moto_endpoint, source)

    with pytest.raises(MissingSourceError) as raised:
        deploy(config)

    assert "send-prompt" in raised.value.message
    tables = clients(moto_endpoint, "dynamodb").list_tables()["TableNames"]
    assert not [name for name in tables if name.startswith(config.resource_prefix)]


def test_a_zip_over_the_unzipped_limit_is_refused_before_upload(tmp_path, source):
    builder = PackageBuilder(source / "lambdas", tmp_path / "build", DepsSource.LOCAL, max_unzipped_bytes=1_000_000)

    with pytest.raises(PackageTooLargeError) as raised:
        builder.build("data-query", source / "lambdas" / "data-query")

    assert "data-query" in raised.value.message
    assert "unzipped" in raised.value.message
    assert not list((tmp_path / "build").glob("*.zip"))


def test_a_zip_over_the_direct_upload_limit_goes_through_s3(moto_endpoint, source, monkeypatch):
    import causal_deploy.lambda_zip as lambda_zip

    monkeypatch.setattr(lambda_zip, "MAX_DIRECT_UPLOAD_BYTES", 1024)
    config = config_for(moto_endpoint, source)

    report = deploy(config)

    assert report.ok, report.problems
    s3 = clients(moto_endpoint, "s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=f"{config.resource_prefix}artifacts")["Contents"]]
    assert len([key for key in keys if key.startswith("lambda-code/")]) == len(FUNCTIONS)
    configuration = clients(moto_endpoint, "lambda").get_function(FunctionName=f"{config.resource_prefix}handle-error")
    built = PackageBuilder(config.lambdas_dir, config.build_dir, DepsSource.LOCAL).build(
        "handle-error", source / "lambdas" / "handle-error"
    )
    assert configuration["Configuration"]["CodeSha256"] == built.code_sha256
    assert deploy(config).changed == []


def test_a_plan_against_a_local_target_changes_nothing(moto_endpoint, source):
    config = config_for(moto_endpoint, source)

    before = deploy(config, plan=True)

    assert before.plan and {r.action.value for r in before.results} == {"created"}
    tables = clients(moto_endpoint, "dynamodb").list_tables()["TableNames"]
    assert not [name for name in tables if name.startswith(config.resource_prefix)]

    deploy(config)
    (source / "lambdas" / "send-prompt" / "handler.py").write_text("def handler(event, context):\n    return 1\n")

    plan = deploy(config, plan=True)

    assert [(r.kind, r.name, r.detail) for r in plan.changed] == [
        ("function", f"{config.resource_prefix}send-prompt", "code")
    ]
    applied = deploy(config)
    assert [(r.kind, r.name) for r in applied.changed] == [("function", f"{config.resource_prefix}send-prompt")]
