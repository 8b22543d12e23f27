"""Sample resources and data for tests, benches and demos (never used by the running stack).

Creates the stack's tables, buckets, secrets, a small state machine shaped
like the agent's, functions and their Lambda-style logs on any endpoint
(a moto server), and fills the tables with sessions, frames and jobs.
"""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from typing import Any

from causal_common.names import FUNCTIONS
from causal_dashboard.clients import AwsClients

AGENT_LIKE_DEFINITION = {
    "Comment": "Shaped like the agent: a loop through a choice, with a catch.",
    "StartAt": "ParseInitialQuery",
    "States": {
        "ParseInitialQuery": {"Type": "Pass", "Result": {"turn": 0}, "Next": "InvokeLLM"},
        "InvokeLLM": {"Type": "Pass", "Parameters": {"turn.$": "$.turn", "done": True}, "Next": "CheckResponse"},
        "CheckResponse": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.done", "BooleanEquals": True, "Next": "HandleFinish"}],
            "Default": "DispatchTool",
        },
        "DispatchTool": {"Type": "Pass", "Next": "AppendToolOutput"},
        "AppendToolOutput": {"Type": "Pass", "Next": "InvokeLLM"},
        "HandleFinish": {"Type": "Pass", "End": True},
        "HandleError": {"Type": "Fail", "Error": "AgentFailed", "Cause": "see logs"},
    },
}


def _table(dynamodb: Any, name: str, keys: list[tuple[str, str, str]], index: tuple[str, str] | None = None) -> None:
    attributes = {(name_, kind) for name_, kind, _ in keys}
    kwargs: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": n, "KeyType": role} for n, _, role in keys],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if index:
        attributes.add((index[1], "S"))
        kwargs["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index[0],
                "KeySchema": [{"AttributeName": index[1], "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    kwargs["AttributeDefinitions"] = [{"AttributeName": n, "AttributeType": k} for n, k in sorted(attributes)]
    dynamodb.create_table(**kwargs)


def create_resources(clients: AwsClients, *, functions: tuple[str, ...] = FUNCTIONS) -> dict[str, str]:
    """Tables, buckets, secrets, functions, the cluster, task definitions and a state machine."""
    names = clients.names
    _table(clients.dynamodb, names.sessions_table, [("sessionId", "S", "HASH")])
    _table(
        clients.dynamodb,
        names.connections_table,
        [("connectionId", "S", "HASH")],
        (names.connections_session_index, "sessionId"),
    )
    _table(clients.dynamodb, names.jobs_table, [("jobId", "S", "HASH")])
    _table(clients.dynamodb, names.pending_messages_table, [("sessionId", "S", "HASH"), ("seq", "N", "RANGE")])
    location = {"LocationConstraint": clients.settings.region}
    for bucket in (names.datasets_bucket, names.artifacts_bucket):
        clients.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=location)
    for secret, value in (
        (names.openai_api_key_secret, " "),
        (names.llm_settings_secret, json.dumps({"model": "gpt-4o-mini", "baseUrl": None})),
        (names.token_signing_key_secret, "do-not-show-this-signing-key-of-32-bytes-or-more"),
        (names.management_credentials_secret, json.dumps({"accessKeyId": "AKIA", "secretAccessKey": "do-not-show"})),
    ):
        clients.secretsmanager.create_secret(Name=secret, SecretString=value)
    iam = clients.get("iam")
    role_arn = iam.create_role(
        RoleName=f"{names.prefix}lambda-role",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("handler.py", "def handler(event, context):\n    return event\n")
    for short in functions:
        clients.lambda_.create_function(
            FunctionName=names.function(short),
            Runtime="python3.12",
            Role=role_arn,
            Handler="handler.handler",
            Code={"ZipFile": archive.getvalue()},
        )
    clients.ecs.create_cluster(clusterName=names.cluster)
    for family in ("eda", "causal-analysis"):
        clients.ecs.register_task_definition(
            family=names.task_family(family),
            containerDefinitions=[
                {
                    "name": "task",
                    "image": "causal-tasks:local",
                    "command": ["python", "-m", "causal_tasks", family],
                    "memory": 512,
                }
            ],
        )
    machine_arn = clients.stepfunctions.create_state_machine(
        name=names.state_machine, definition=json.dumps(AGENT_LIKE_DEFINITION), roleArn=role_arn
    )["stateMachineArn"]
    return {"stateMachineArn": machine_arn, "roleArn": role_arn}


def write_invocation_logs(
    clients: AwsClients, short_name: str, *, count: int = 3, error_last: bool = False, duration_ms: float = 12.5
) -> None:
    """Lambda-style START/END/REPORT lines (as the local runner writes them) for ``count`` invocations."""
    group = f"/aws/lambda/{clients.names.function(short_name)}"
    stream = time.strftime("%Y/%m/%d/") + "[$LATEST]" + uuid.uuid4().hex
    try:
        clients.logs.create_log_group(logGroupName=group)
    except clients.logs.exceptions.ResourceAlreadyExistsException:
        pass
    clients.logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000) - count * 100
    events = []
    for index in range(count):
        request_id = str(uuid.uuid4())
        at = now + index * 100
        lines = [
            f"START RequestId: {request_id} Version: $LATEST",
            f'{{"level": "INFO", "message": "handling call {index}"}}',
        ]
        if error_last and index == count - 1:
            lines.append('{"errorType": "ValueError", "errorMessage": "boom"}')
        lines.append(f"END RequestId: {request_id}")
        lines.append(
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms + index:.2f} ms\tBilled Duration: {int(duration_ms) + index + 1} ms\t"
            "Memory Size: 128 MB\tMax Memory Used: 40 MB"
        )
        events.extend({"timestamp": at + offset, "message": line} for offset, line in enumerate(lines))
    clients.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def put_session(
    clients: AwsClients,
    session_id: str,
    *,
    user_id: str = "alice",
    status: str = "succeeded",
    updated_at: int | None = None,
    frames: int = 0,
    conversation: list[dict[str, str]] | None = None,
) -> None:
    names = clients.names
    now = updated_at or int(time.time())
    clients.dynamodb.put_item(
        TableName=names.sessions_table,
        Item={
            "sessionId": {"S": session_id},
            "userId": {"S": user_id},
            "datasetId": {"S": "lalonde_nsw"},
            "status": {"S": status},
            "lastSeq": {"N": str(frames)},
            "conversation": {
                "S": json.dumps(conversation or [{"role": "user", "content": "What is the effect of treat on re78?"}])
            },
            "createdAt": {"N": str(now - 5)},
            "updatedAt": {"N": str(now)},
        },
    )
    for seq in range(1, frames + 1):
        frame = {
            "type": "progress",
            "stage": "invoke-llm",
            "message": f"step {seq}",
            "sessionId": session_id,
            "seq": seq,
        }
        clients.dynamodb.put_item(
            TableName=names.pending_messages_table,
            Item={
                "sessionId": {"S": session_id},
                "seq": {"N": str(seq)},
                "frame": {"S": json.dumps(frame)},
                "frameType": {"S": "progress"},
                "status": {"S": "delivered"},
                "createdAt": {"N": str(now)},
                "expiresAt": {"N": str(now + 3600)},
            },
        )


def put_job(
    clients: AwsClients,
    job_id: str,
    session_id: str,
    *,
    status: str = "SUCCEEDED",
    tool: str = "eda",
    reason: str | None = None,
) -> None:
    now = int(time.time() * 1000)
    item = {
        "jobId": {"S": job_id},
        "sessionId": {"S": session_id},
        "tool": {"S": tool},
        "taskFamily": {"S": tool},
        "status": {"S": status},
        "arguments": {"S": json.dumps({"treatment": "treat", "outcome": "re78"})},
        "taskToken": {"S": "secret-task-token"},
        "createdAt": {"N": str(now - 3000)},
        "startedAt": {"N": str(now - 2500)},
        "finishedAt": {"N": str(now - 100)},
    }
    if reason:
        item["reason"] = {"S": reason}
    clients.dynamodb.put_item(TableName=clients.names.jobs_table, Item=item)


def seed_sessions(clients: AwsClients, count: int, *, frames_each: int = 0) -> list[str]:
    """``count`` sessions (and a job for every tenth), batched."""
    names = clients.names
    base = int(time.time()) - count
    ids = [f"s-{index:05d}-{uuid.uuid4().hex[:8]}" for index in range(count)]
    requests = []
    for index, session_id in enumerate(ids):
        requests.append(
            {
                "PutRequest": {
                    "Item": {
                        "sessionId": {"S": session_id},
                        "userId": {"S": f"user{index % 10}"},
                        "datasetId": {"S": "synthetic_linear"},
                        "status": {"S": "succeeded"},
                        "lastSeq": {"N": str(frames_each)},
                        "conversation": {"S": json.dumps([{"role": "user", "content": f"question {index}"}])},
                        "createdAt": {"N": str(base + index)},
                        "updatedAt": {"N": str(base + index)},
                    }
                }
            }
        )
    for start in range(0, len(requests), 25):
        clients.dynamodb.batch_write_item(RequestItems={names.sessions_table: requests[start : start + 25]})
    for index, session_id in enumerate(ids):
        if index % 10 == 0:
            put_job(clients, f"job-{index:05d}", session_id)
    return ids
