"""What a snapshot takes out of moto's backends comes back the same (in process, no network), and an execution
that was running when the state was saved comes back FAILED with ``States.ServiceRestart``, redrivable."""

from __future__ import annotations

import datetime
import json

import boto3
from moto import mock_aws

from causal_embedded import redrive, state_executions, state_services
from causal_embedded.state_snapshot import Snapshot

REGION = "eu-central-1"
ACCOUNT = "123456789012"


def test_tables_items_buckets_objects_and_secrets_come_back_the_same() -> None:
    snapshot = Snapshot()
    item = {"pk": {"S": "a"}, "sk": {"N": "1"}, "data": {"M": {"x": {"L": [{"S": "y"}, {"B": b"\x01\x02"}]}}}}
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName="kept",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        )
        dynamodb.update_time_to_live(
            TableName="kept", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"}
        )
        dynamodb.put_item(TableName="kept", Item=item)
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="kept-bucket", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket="kept-bucket", Key="k/1", Body=b"body", ContentType="text/plain", Metadata={"a": "b"})
        s3.put_object_tagging(Bucket="kept-bucket", Key="k/1", Tagging={"TagSet": [{"Key": "t", "Value": "v"}]})
        boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="kept-secret", SecretString="value", Tags=[{"Key": "owner", "Value": "stack"}]
        )
        assert state_services.capture_dynamodb(snapshot) == 1
        assert state_services.capture_s3(snapshot) == 1
        assert state_services.capture_secrets(snapshot) == 1

    with mock_aws():
        assert state_services.restore_dynamodb(snapshot) == 1
        assert state_services.restore_s3(snapshot) == 1
        assert state_services.restore_secrets(snapshot) == 1
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        assert dynamodb.scan(TableName="kept")["Items"] == [item]
        described = dynamodb.describe_table(TableName="kept")["Table"]
        assert described["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
        ttl = dynamodb.describe_time_to_live(TableName="kept")["TimeToLiveDescription"]
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}
        s3 = boto3.client("s3", region_name=REGION)
        got = s3.get_object(Bucket="kept-bucket", Key="k/1")
        assert got["Body"].read() == b"body" and got["ContentType"] == "text/plain" and got["Metadata"] == {"a": "b"}
        assert s3.get_object_tagging(Bucket="kept-bucket", Key="k/1")["TagSet"] == [{"Key": "t", "Value": "v"}]
        secrets = boto3.client("secretsmanager", region_name=REGION)
        assert secrets.get_secret_value(SecretId="kept-secret")["SecretString"] == "value"
        assert secrets.describe_secret(SecretId="kept-secret")["Tags"] == [{"Key": "owner", "Value": "stack"}]


def _running_record(machine_arn: str) -> dict:
    started = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)
    return {
        "account": ACCOUNT,
        "region": REGION,
        "stateMachineArn": machine_arn,
        "executionArn": machine_arn.replace(":stateMachine:", ":execution:") + ":run-1",
        "name": "run-1",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/r",
        "status": "RUNNING",
        "input": {"question": "q"},
        "output": None,
        "error": None,
        "cause": None,
        "startDate": started,
        "stopDate": None,
        "traceHeader": None,
        "redriveCount": 0,
        "redriveDate": None,
        "definition": "d1",
        "events": [
            {"timestamp": started, "type": "ExecutionStarted", "id": 1, "previousEventId": 0},
            {
                "timestamp": started,
                "type": "TaskStateEntered",
                "id": 2,
                "previousEventId": 1,
                "stateEnteredEventDetails": {"name": "Work", "input": '{"question":"q"}'},
            },
        ],
    }


def test_an_execution_running_at_the_save_comes_back_failed_with_service_restart_and_redrivable() -> None:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    definition = json.dumps({"StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": True}}})
    machine_arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:restored-flow"
    snapshot = Snapshot(
        documents={
            "stepfunctions/state_machines": [
                {
                    "account": ACCOUNT,
                    "region": REGION,
                    "name": "restored-flow",
                    "definition": definition,
                    "roleArn": f"arn:aws:iam::{ACCOUNT}:role/r",
                    "type": "STANDARD",
                    "tags": [],
                    "loggingConfiguration": None,
                }
            ],
            "stepfunctions/definitions": {"d1": definition},
        },
        lines={"stepfunctions/executions": [_running_record(machine_arn)]},
        manifest={"savedAt": "2026-01-01T12:00:05+00:00"},
    )
    now = datetime.datetime(2026, 1, 1, 13, 0, tzinfo=datetime.UTC)
    with mock_aws():
        restored, interrupted = state_executions.restore(snapshot, now=now)
        backend = stepfunctions_parser_backends[ACCOUNT][REGION]
        execution = backend.describe_execution(interrupted[0])
        described = execution.to_describe_output()
        history = backend.get_execution_history(interrupted[0])["events"]
        reason = redrive.not_redrivable_reason(execution, now=now)
        state, state_input = redrive.resume_point(json.loads(definition), history)
        backend.state_machines.clear()
    assert restored == 1 and interrupted == [_running_record(machine_arn)["executionArn"]]
    assert described["status"] == "FAILED" and described["stopDate"] == now
    assert described["error"] == "States.ServiceRestart"
    assert "2026-01-01T12:00:05+00:00" in described["cause"] and "Redrive" in described["cause"]
    assert history[-1]["type"] == "ExecutionFailed" and history[-1]["id"] == 3
    assert history[-1]["executionFailedEventDetails"]["error"] == "States.ServiceRestart"
    assert reason is None, "redrivable"
    assert (state, state_input) == ("Work", {"question": "q"}), "a redrive resumes at the state it had entered"


def test_the_deploys_mark_is_not_restored_so_the_gateway_waits_for_the_deploy() -> None:
    from causal_common.names import DEPLOYED_TAG

    snapshot = Snapshot()
    with mock_aws():
        boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="signing", SecretString="k", Tags=[{"Key": DEPLOYED_TAG, "Value": "now"}, {"Key": "a", "Value": "b"}]
        )
        state_services.capture_secrets(snapshot)
    with mock_aws():
        state_services.restore_secrets(snapshot)
        tags = boto3.client("secretsmanager", region_name=REGION).describe_secret(SecretId="signing")["Tags"]
    assert tags == [{"Key": "a", "Value": "b"}]
