"""What a conversation would cost on AWS, from what the local stack actually did.

:func:`collect_usage` reads the run's usage from the stack's own services: state transitions
from the executions' histories, Lambda requests and GB-seconds from the functions' ``REPORT`` log
lines and configured memory, Fargate vCPU- and GB-seconds from the jobs' run times and their task
definitions' sizes. What no service records is estimated from counts and marked so: WebSocket
messages (frames sent, from the sessions' frame counters, plus one user message per execution),
connection minutes (the executions' durations: the user is connected at least while the agent
works) and DynamoDB request units (per operation the code makes per frame, step and job).
:func:`estimate` prices it with :mod:`causal_dashboard.aws_prices`.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from causal_common.aws import error_code
from causal_common.names import FUNCTIONS, ResourceNames
from causal_dashboard.aws_prices import PriceTable, prices_for
from causal_dashboard.execution_history import epoch_ms, read_history

logger = logging.getLogger(__name__)

# Fargate bills at least a minute per task.
FARGATE_MINIMUM_SECONDS = 60.0
# DynamoDB units per operation the code makes (items under 1 KB written, 4 KB read):
# a frame reads the session's counter and the connections, and writes counter + frame in a
# transaction (2 units per item); a state-machine step reads and writes its session; a job is
# created, given its task, marked running and finished, and read back three times.
FRAME_READS, FRAME_WRITES = 2, 4
STEP_READS, STEP_WRITES = 1, 1
JOB_READS, JOB_WRITES = 3, 4
# A running task heartbeats its job (one write) this often (causal_tasks' default).
HEARTBEAT_SECONDS = 10.0
_REPORT_DURATION = re.compile(r"^REPORT RequestId: \S+\s+Duration: (?P<ms>[\d.]+) ms")


@dataclass
class Usage:
    """What the run did; ``estimated`` names the figures that are estimates, not counts."""

    conversations: int = 0
    executions: int = 0
    state_transitions: int = 0
    lambda_requests: int = 0
    lambda_gb_seconds: float = 0.0
    websocket_messages: int = 0
    websocket_connection_minutes: float = 0.0
    fargate_vcpu_seconds: float = 0.0
    fargate_gb_seconds: float = 0.0
    dynamodb_read_units: float = 0.0
    dynamodb_write_units: float = 0.0
    estimated: tuple[str, ...] = ("websocket", "dynamodb")


@dataclass(frozen=True)
class CostLine:
    category: str
    quantity: float
    unit: str
    dollars: float
    estimated: bool = False


@dataclass
class CostEstimate:
    region: str
    prices_as_of: str
    sources: tuple[str, ...]
    conversations: int
    lines: list[CostLine] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(line.dollars for line in self.lines)

    @property
    def per_conversation(self) -> float | None:
        return self.total / self.conversations if self.conversations else None

    @property
    def per_thousand(self) -> float | None:
        each = self.per_conversation
        return None if each is None else each * 1000

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "pricesAsOf": self.prices_as_of,
            "sources": list(self.sources),
            "conversations": self.conversations,
            "total": self.total,
            "perConversation": self.per_conversation,
            "perThousandConversations": self.per_thousand,
            "lines": [asdict(line) for line in self.lines],
        }

    def render(self) -> list[str]:
        if not self.conversations:
            return ["  no conversations yet: ask a question, then look again"]
        lines = [
            f"  per conversation ${self.per_conversation:.5f}, per 1,000 conversations ${self.per_thousand:.2f}"
            f"  ({self.conversations} conversation(s) of this run, {self.region} prices of {self.prices_as_of})"
        ]
        for line in self.lines:
            mark = " (estimated)" if line.estimated else ""
            lines.append(f"  {line.category:<30} {line.quantity:>14.3f} {line.unit:<18} ${line.dollars:.6f}{mark}")
        return lines


def estimate(usage: Usage, prices: PriceTable) -> CostEstimate:
    """``usage`` priced line by line (free tiers left out: at scale they are a rounding error)."""
    websocket, dynamodb = "websocket" in usage.estimated, "dynamodb" in usage.estimated
    rows = [
        ("Step Functions transitions", usage.state_transitions, "transitions", prices.state_transition, False),
        ("Lambda requests", usage.lambda_requests, "requests", prices.lambda_request, False),
        ("Lambda duration", usage.lambda_gb_seconds, "GB-seconds", prices.lambda_gb_second, False),
        ("API Gateway messages", usage.websocket_messages, "messages", prices.websocket_message, websocket),
        (
            "API Gateway connection time",
            usage.websocket_connection_minutes,
            "connection-minutes",
            prices.websocket_connection_minute,
            websocket,
        ),
        ("Fargate vCPU", usage.fargate_vcpu_seconds, "vCPU-seconds", prices.fargate_vcpu_second, False),
        ("Fargate memory", usage.fargate_gb_seconds, "GB-seconds", prices.fargate_gb_second, False),
        ("DynamoDB reads", usage.dynamodb_read_units, "read units", prices.dynamodb_read_unit, dynamodb),
        ("DynamoDB writes", usage.dynamodb_write_units, "write units", prices.dynamodb_write_unit, dynamodb),
    ]
    return CostEstimate(
        region=prices.region,
        prices_as_of=prices.as_of,
        sources=prices.sources,
        conversations=usage.conversations,
        lines=[CostLine(name, float(qty), unit, float(qty) * price, est) for name, qty, unit, price, est in rows],
    )


def collect_usage(
    *,
    names: ResourceNames,
    stepfunctions: Any,
    awslambda: Any,
    logs: Any,
    dynamodb: Any,
    ecs: Any,
    executions_limit: int = 200,
) -> Usage:
    usage = Usage()
    steps = _executions(usage, names, stepfunctions, executions_limit)
    _functions(usage, names, awslambda, logs)
    frames = _sessions(usage, names, dynamodb)
    jobs, task_seconds = _jobs(usage, names, dynamodb, ecs)
    usage.websocket_messages = frames + usage.executions
    usage.dynamodb_read_units = frames * FRAME_READS + steps * STEP_READS + jobs * JOB_READS
    heartbeats = task_seconds / HEARTBEAT_SECONDS
    usage.dynamodb_write_units = frames * FRAME_WRITES + steps * STEP_WRITES + jobs * JOB_WRITES + heartbeats
    return usage


def _executions(usage: Usage, names: ResourceNames, stepfunctions: Any, limit: int) -> int:
    """State transitions (each state entered) and Lambda steps of the newest executions; connection time."""
    steps, seen = 0, 0
    try:
        paginator = stepfunctions.get_paginator("list_executions")
        for page in paginator.paginate(stateMachineArn=names.state_machine_arn):
            for execution in page.get("executions", []):
                if seen >= limit:
                    break
                seen += 1
                events = read_history(stepfunctions, execution["executionArn"])
                usage.state_transitions += sum(1 for e in events if e.get("type", "").endswith("StateEntered"))
                steps += sum(1 for e in events if e.get("type") == "LambdaFunctionScheduled")
                started, stopped = epoch_ms(execution.get("startDate")), epoch_ms(execution.get("stopDate"))
                if started and stopped:
                    usage.websocket_connection_minutes += (stopped - started) / 60000
    except ClientError as exc:
        logger.warning("executions unreadable for the cost estimate: %s", error_code(exc))
    usage.executions = seen
    return steps


def _functions(usage: Usage, names: ResourceNames, awslambda: Any, logs: Any) -> None:
    """Requests and GB-seconds from each function's REPORT lines (billed duration: whole milliseconds)."""
    for short_name in FUNCTIONS:
        name = names.function(short_name)
        try:
            memory_mb = int(awslambda.get_function_configuration(FunctionName=name).get("MemorySize") or 128)
        except ClientError as exc:
            logger.info("function %s not priced: %s", name, error_code(exc))
            continue
        for duration_ms in _report_durations(logs, f"{names.log_group_prefix}{name}"):
            usage.lambda_requests += 1
            usage.lambda_gb_seconds += math.ceil(duration_ms) / 1000 * memory_mb / 1024


def _report_durations(logs: Any, group: str) -> list[float]:
    durations: list[float] = []
    try:
        paginator = logs.get_paginator("filter_log_events")
        for page in paginator.paginate(logGroupName=group, filterPattern="REPORT"):
            for event in page.get("events", []):
                found = _REPORT_DURATION.match(event.get("message", ""))
                if found:
                    durations.append(float(found["ms"]))
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            logger.warning("log group %s unreadable for the cost estimate: %s", group, error_code(exc))
    return durations


def _sessions(usage: Usage, names: ResourceNames, dynamodb: Any) -> int:
    """Conversations, and the frames sent to them (each session numbers its frames)."""
    frames = 0
    for item in _scan(dynamodb, names.sessions_table, "sessionId, lastSeq"):
        usage.conversations += 1
        frames += int(item.get("lastSeq", {}).get("N", 0))
    return frames


def _jobs(usage: Usage, names: ResourceNames, dynamodb: Any, ecs: Any) -> tuple[int, float]:
    """Fargate seconds: each job's run (created to finished, at least a minute) × its task's size;
    the number of jobs and their tasks' seconds."""
    sizes: dict[str, tuple[float, float]] = {}
    count, task_seconds = 0, 0.0
    for item in _scan(dynamodb, names.jobs_table, "jobId, taskFamily, createdAt, startedAt, finishedAt"):
        count += 1
        family = item.get("taskFamily", {}).get("S")
        begun = item.get("createdAt", item.get("startedAt", {})).get("N")
        ended = item.get("finishedAt", {}).get("N")
        if not family or not begun or not ended:
            continue
        if family not in sizes:
            sizes[family] = _task_size(ecs, family)
        vcpus, gigabytes = sizes[family]
        seconds = max(FARGATE_MINIMUM_SECONDS, (int(ended) - int(begun)) / 1000)
        task_seconds += seconds
        usage.fargate_vcpu_seconds += seconds * vcpus
        usage.fargate_gb_seconds += seconds * gigabytes
    return count, task_seconds


def _task_size(ecs: Any, family: str) -> tuple[float, float]:
    """(vCPUs, GB) of the task definition's latest revision; (0, 0) when it cannot be read."""
    try:
        definition = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    except ClientError as exc:
        logger.info("task definition %s not priced: %s", family, error_code(exc))
        return 0.0, 0.0
    return int(definition.get("cpu") or 0) / 1024, int(definition.get("memory") or 0) / 1024


def _scan(dynamodb: Any, table: str, projection: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    attributes = [name.strip() for name in projection.split(",")]
    try:
        paginator = dynamodb.get_paginator("scan")
        for page in paginator.paginate(
            TableName=table,
            ProjectionExpression=", ".join(f"#a{index}" for index in range(len(attributes))),
            ExpressionAttributeNames={f"#a{index}": name for index, name in enumerate(attributes)},
        ):
            items.extend(page.get("Items", []))
    except ClientError as exc:
        logger.warning("table %s unreadable for the cost estimate: %s", table, error_code(exc))
    return items


def dashboard_cost(aws: Any) -> CostEstimate:
    """The estimate through the dashboard's clients (:class:`causal_dashboard.clients.AwsClients`)."""
    return stack_cost(
        names=aws.names,
        stepfunctions=aws.stepfunctions,
        awslambda=aws.lambda_,
        logs=aws.logs,
        dynamodb=aws.dynamodb,
        ecs=aws.ecs,
    )


def stack_cost(
    *, names: ResourceNames, stepfunctions: Any, awslambda: Any, logs: Any, dynamodb: Any, ecs: Any
) -> CostEstimate:
    """The estimate for the stack at these clients, at its region's prices."""
    usage = collect_usage(
        names=names, stepfunctions=stepfunctions, awslambda=awslambda, logs=logs, dynamodb=dynamodb, ecs=ecs
    )
    return estimate(usage, prices_for(names.region))
