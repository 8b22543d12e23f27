"""The embedded emulator keeps its state across a restart (``EMULATOR_SNAPSHOT_DIR``), through boto3.

Saved on a clean stop (SIGTERM, as `causal-stack up` stops it), restored at the next start:
DynamoDB items, S3 objects, secrets and execution records with their history. An execution
still running at the stop comes back FAILED with ``States.ServiceRestart`` and can be redriven.
A damaged file stops the start, names the file and leaves it alone.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from support import ROOT, create_execution_role, free_port

from causal_embedded import state_snapshot

REGION = "eu-central-1"
HANDLER = """
import os
import time

def slow(event, context):
    deadline = time.time() + 120
    while os.path.exists(event["holdWhile"]) and time.time() < deadline:
        time.sleep(0.1)
    return {**event, "slow": "done"}
"""


class Emulator:
    """``python -m causal_embedded`` with a state directory, stopped with SIGTERM like `causal-stack up` does."""

    def __init__(self, state_dir: Path, interval: str = "0") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "causal_embedded", "--port", str(self.port), "--no-prewarm"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "EMULATOR_SNAPSHOT_DIR": str(state_dir), "EMULATOR_SNAPSHOT_INTERVAL": interval},
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + 60
        for line in self.process.stdout:
            self.log.append(line)
            if "ready" in line or time.monotonic() > deadline:
                break

    def client(self, service: str) -> Any:
        return boto3.client(
            service, endpoint_url=self.url, region_name=REGION, config=Config(retries={"max_attempts": 1})
        )

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=60)
        self.log.append(output)
        return "".join(self.log)


def _slow_function(emulator: Emulator) -> str:
    role = create_execution_role(emulator.url, "snapshot-role")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", HANDLER)
    return emulator.client("lambda").create_function(
        FunctionName="snapshot-slow",
        Runtime="python3.12",
        Handler="handler.slow",
        Role=role,
        Code={"ZipFile": buffer.getvalue()},
    )["FunctionArn"]


def _definition(function_arn: str) -> str:
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
        "OutputPath": "$.Payload",
    }
    return json.dumps(
        {"StartAt": "First", "States": {"First": {"Type": "Pass", "Next": "Slow"}, "Slow": {**task, "End": True}}}
    )


def _settled(sfn: Any, arn: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not end"
        time.sleep(0.1)
    return described


def _history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    return sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]


def _wait_for_state(sfn: Any, arn: str, state: str) -> None:
    deadline = time.monotonic() + 30
    while not any(event.get("stateEnteredEventDetails", {}).get("name") == state for event in _history(sfn, arn)):
        assert time.monotonic() < deadline, f"the execution never entered {state}"
        time.sleep(0.1)


def test_items_objects_secrets_and_executions_survive_a_restart_and_a_running_execution_is_redrivable(
    tmp_path: Path,
) -> None:
    state_dir = tmp_path / "state"
    hold = tmp_path / "hold"
    hold.touch()
    first = Emulator(state_dir)
    try:
        dynamodb = first.client("dynamodb")
        dynamodb.create_table(
            TableName="sessions",
            KeySchema=[{"AttributeName": "sessionId", "KeyType": "HASH"}, {"AttributeName": "seq", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "sessionId", "AttributeType": "S"},
                {"AttributeName": "seq", "AttributeType": "N"},
                {"AttributeName": "userId", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-user",
                    "KeySchema": [{"AttributeName": "userId", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        item = {
            "sessionId": {"S": "s-1"},
            "seq": {"N": "2"},
            "userId": {"S": "alice"},
            "blob": {"B": b"\x00\x01binary"},
            "nested": {"M": {"list": {"L": [{"S": "a"}, {"N": "1.5"}, {"BOOL": True}, {"NULL": True}]}}},
            "tags": {"SS": ["x", "y"]},
        }
        dynamodb.put_item(TableName="sessions", Item=item)
        s3 = first.client("s3")
        s3.create_bucket(Bucket="uploads", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(
            Bucket="uploads",
            Key="data/a b.csv",
            Body=b"x,y\n1,2\n",
            ContentType="text/csv",
            Metadata={"owner": "alice"},
        )
        secrets = first.client("secretsmanager")
        secrets.create_secret(Name="signing-key", SecretString="s3cr3t-value")
        secrets.create_secret(Name="no-value-yet", Description="set later")

        sfn = first.client("stepfunctions")
        function = _slow_function(first)
        role = create_execution_role(first.url, "snapshot-machine-role")
        machine = sfn.create_state_machine(name="flow", definition=_definition(function), roleArn=role)[
            "stateMachineArn"
        ]
        hold_input = json.dumps({"holdWhile": "/nonexistent"})
        finished = sfn.start_execution(stateMachineArn=machine, name="finished", input=hold_input)["executionArn"]
        assert _settled(sfn, finished)["status"] == "SUCCEEDED"
        finished_history = _history(sfn, finished)
        logs = first.client("logs")
        log_lines = [
            event["message"] for event in logs.filter_log_events(logGroupName="/aws/lambda/snapshot-slow")["events"]
        ]
        assert any(line.startswith("START RequestId") for line in log_lines), log_lines
        running = sfn.start_execution(
            stateMachineArn=machine, name="running", input=json.dumps({"holdWhile": str(hold)})
        )["executionArn"]
        _wait_for_state(sfn, running, "Slow")
    finally:
        log = first.stop()
    assert "saved 1 DynamoDB item(s), 1 S3 object(s), 2 secret(s), 2 execution record(s)" in log, log
    saved = state_dir / "current.zip"
    assert saved.stat().st_mode & 0o777 == 0o600

    second = Emulator(state_dir)
    try:
        dynamodb = second.client("dynamodb")
        got = dynamodb.get_item(TableName="sessions", Key={"sessionId": {"S": "s-1"}, "seq": {"N": "2"}})["Item"]
        assert got == item
        by_user = dynamodb.query(
            TableName="sessions",
            IndexName="by-user",
            KeyConditionExpression="userId = :u",
            ExpressionAttributeValues={":u": {"S": "alice"}},
        )["Items"]
        assert by_user == [item], "the index answers after the restore"
        obj = second.client("s3").get_object(Bucket="uploads", Key="data/a b.csv")
        assert obj["Body"].read() == b"x,y\n1,2\n"
        assert obj["ContentType"] == "text/csv" and obj["Metadata"] == {"owner": "alice"}
        secrets = second.client("secretsmanager")
        assert secrets.get_secret_value(SecretId="signing-key")["SecretString"] == "s3cr3t-value"
        assert secrets.describe_secret(SecretId="no-value-yet")["Description"] == "set later"

        sfn = second.client("stepfunctions")
        kept_lines = [
            event["message"]
            for event in second.client("logs").filter_log_events(logGroupName="/aws/lambda/snapshot-slow")["events"]
        ]
        assert kept_lines[: len(log_lines)] == log_lines, "the Lambda log lines the history links to are kept"
        done = sfn.describe_execution(executionArn=finished)
        assert done["status"] == "SUCCEEDED" and json.loads(done["output"])["slow"] == "done"
        assert _history(sfn, finished) == finished_history

        interrupted = sfn.describe_execution(executionArn=running)
        assert interrupted["status"] == "FAILED"
        assert interrupted["error"] == "States.ServiceRestart" and "redrive" in interrupted["cause"].lower()
        assert interrupted["redriveStatus"] == "REDRIVABLE"
        events = _history(sfn, running)
        assert events[-1]["type"] == "ExecutionFailed"
        assert events[-1]["executionFailedEventDetails"]["error"] == "States.ServiceRestart"
        listed = sfn.list_executions(stateMachineArn=machine, statusFilter="FAILED")["executions"]
        assert [row["executionArn"] for row in listed] == [running]

        # The deployer makes the functions again (they are code, not state); then the redrive resumes at Slow.
        assert _slow_function(second) == function
        hold.unlink()
        sfn.redrive_execution(executionArn=running)
        redriven = _settled(sfn, running)
        assert redriven["status"] == "SUCCEEDED" and redriven["redriveCount"] == 1
        entered = [
            e["stateEnteredEventDetails"]["name"] for e in _history(sfn, running) if "stateEnteredEventDetails" in e
        ]
        assert entered == ["First", "Slow", "Slow"], "First is not run again"
    finally:
        second.stop()


def test_a_damaged_snapshot_stops_the_start_names_the_file_and_is_left_alone(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    saved = state_dir / "current.zip"
    saved.write_bytes(b"PK\x03\x04 not really a zip archive")
    before = saved.read_bytes()
    port = free_port()
    finished = subprocess.run(
        [sys.executable, "-m", "causal_embedded", "--port", str(port), "--no-prewarm"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "EMULATOR_SNAPSHOT_DIR": str(state_dir)},
    )
    assert finished.returncode == 4
    output = finished.stdout + finished.stderr
    assert str(saved) in output and "--fresh" in output and "ready" not in output
    assert saved.read_bytes() == before


def test_a_named_snapshot_of_the_running_state_needs_the_stack_credentials(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    emulator = Emulator(state_dir)
    try:
        emulator.client("secretsmanager").create_secret(Name="kept", SecretString="v")
        url = f"{emulator.url}/_causal/state/snapshots?name=before-change"
        import httpx

        assert httpx.post(url, timeout=30).status_code == 403, "unsigned: refused"
        request = AWSRequest(method="POST", url=url, data=b"")
        SigV4Auth(Credentials("test", "test"), "s3", REGION).add_auth(request)
        answer = httpx.post(url, headers=dict(request.headers), timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["counts"]["secrets"] == 1
        bad = AWSRequest(method="POST", url=f"{emulator.url}/_causal/state/snapshots?name=../x", data=b"")
        SigV4Auth(Credentials("test", "test"), "s3", REGION).add_auth(bad)
        assert httpx.post(bad.url, headers=dict(bad.headers), timeout=30).status_code == 400
    finally:
        emulator.stop()
    named = state_snapshot.read(state_dir / "snapshots" / "before-change.zip")
    assert [secret["name"] for secret in named.documents["secretsmanager/secrets"]] == ["kept"]


def _wait_for_change(path: Path, since: float | None, limit: float = 20) -> float:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_mtime_ns != since:
            return path.stat().st_mtime_ns
        time.sleep(0.1)
    raise AssertionError(f"{path} was not written within {limit} s")


def test_a_changed_state_is_saved_at_the_interval_and_reads_alone_cause_no_save(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    current = state_dir / "current.zip"
    emulator = Emulator(state_dir, interval="1")
    try:
        secrets = emulator.client("secretsmanager")
        secrets.create_secret(Name="one", SecretString="1")
        first = _wait_for_change(current, None)
        assert [s["name"] for s in state_snapshot.read(current).documents["secretsmanager/secrets"]] == ["one"]
        # Reads only, for several intervals: the file stays as it was.
        for _ in range(15):
            secrets.get_secret_value(SecretId="one")
            secrets.list_secrets()
            time.sleep(0.2)
        assert current.stat().st_mtime_ns == first
        secrets.create_secret(Name="two", SecretString="2")
        _wait_for_change(current, first)
        names = [s["name"] for s in state_snapshot.read(current).documents["secretsmanager/secrets"]]
        assert sorted(names) == ["one", "two"]
    finally:
        emulator.stop()
