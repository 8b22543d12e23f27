"""``causal-stack status``: what is deployed and how full it is."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from causal_common.aws import is_not_found
from causal_common.names import FUNCTIONS, ResourceNames
from causal_dashboard.cost import CostEstimate, stack_cost
from causal_deploy.clients import Clients
from causal_deploy.config import DeployConfig, Target

MAX_COUNT = 10_000  # stop counting there: status must stay quick


@dataclass
class StackStatus:
    endpoint_url: str | None
    tables: dict[str, int | None] = field(default_factory=dict)  # None: missing
    buckets: dict[str, int | None] = field(default_factory=dict)
    functions: dict[str, dict[str, str | None]] = field(default_factory=dict)
    state_machine: str | None = None  # its ARN, None when missing
    executions: list[dict[str, str]] = field(default_factory=list)
    # What this run's conversations would cost on AWS (local targets only: on AWS the bill says it).
    cost: CostEstimate | None = None

    def to_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["cost"] = self.cost.to_json() if self.cost is not None else None
        return found

    def render(self) -> str:
        lines = [f"stack at {self.endpoint_url or 'AWS'}", "tables (items):"]
        lines += [f"  {name:<48} {_count(count)}" for name, count in self.tables.items()]
        lines.append("buckets (objects):")
        lines += [f"  {name:<48} {_count(count)}" for name, count in self.buckets.items()]
        lines.append("functions:")
        for name, state in self.functions.items():
            reason = f"  ({state['reason']})" if state.get("reason") else ""
            lines.append(f"  {name:<48} {state.get('state') or 'missing'}{reason}")
        lines.append(f"state machine: {self.state_machine or 'missing'}")
        if self.executions:
            lines.append("recent executions:")
            lines += [f"  {e['started']}  {e['status']:<10} {e['name']}" for e in self.executions]
        elif self.state_machine:
            lines.append("recent executions: none")
        if self.cost is not None:
            lines.append("cost on AWS (estimate):")
            lines += self.cost.render()
        return "\n".join(lines)


def _count(count: int | None) -> str:
    if count is None:
        return "missing"
    return f"{count}+" if count >= MAX_COUNT else str(count)


def collect(config: DeployConfig, clients: Clients | None = None, recent: int = 5) -> StackStatus:
    clients = clients or Clients(config)
    names = ResourceNames.from_settings(config, account_id=clients.account_id)
    status = StackStatus(endpoint_url=config.endpoint_url)
    exact = config.target is not Target.AWS  # scanning real tables costs money; use DynamoDB's estimate there
    for table in (names.sessions_table, names.connections_table, names.jobs_table, names.pending_messages_table):
        status.tables[table] = _table_items(clients.dynamodb, table, exact)
    for bucket in (names.datasets_bucket, names.artifacts_bucket):
        status.buckets[bucket] = _bucket_objects(clients.s3, bucket)
    for short_name in FUNCTIONS:
        status.functions[names.function(short_name)] = function_state(clients.awslambda, names.function(short_name))
    try:
        clients.stepfunctions.describe_state_machine(stateMachineArn=names.state_machine_arn)
    except clients.stepfunctions.exceptions.StateMachineDoesNotExist:
        return status
    status.state_machine = names.state_machine_arn
    listed = clients.stepfunctions.list_executions(stateMachineArn=names.state_machine_arn, maxResults=recent)
    executions = sorted(listed.get("executions", []), key=lambda e: e["startDate"], reverse=True)[:recent]
    status.executions = [
        {"name": e["name"], "status": e["status"], "started": e["startDate"].strftime("%Y-%m-%d %H:%M:%S")}
        for e in executions
    ]
    if config.target is not Target.AWS:
        status.cost = stack_cost(
            names=names,
            stepfunctions=clients.stepfunctions,
            awslambda=clients.awslambda,
            logs=clients.logs,
            dynamodb=clients.dynamodb,
            ecs=clients.ecs,
        )
    return status


def function_state(client: Any, name: str) -> dict[str, str | None]:
    try:
        configuration = client.get_function(FunctionName=name)["Configuration"]
    except client.exceptions.ResourceNotFoundException:
        return {"state": None, "reason": None}
    return {
        "state": configuration.get("State"),
        "reason": configuration.get("StateReason"),
        "lastUpdate": configuration.get("LastUpdateStatus"),
    }


def _table_items(client: Any, table: str, exact: bool) -> int | None:
    try:
        if not exact:
            return int(client.describe_table(TableName=table)["Table"].get("ItemCount", 0))
        count, kwargs = 0, {"TableName": table, "Select": "COUNT"}
        while count < MAX_COUNT:
            page = client.scan(**kwargs)
            count += page["Count"]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return count
    except client.exceptions.ResourceNotFoundException:
        return None


def _bucket_objects(client: Any, bucket: str) -> int | None:
    count, kwargs = 0, {"Bucket": bucket}
    try:
        while count < MAX_COUNT:
            page = client.list_objects_v2(**kwargs)
            count += page.get("KeyCount", 0)
            if not page.get("IsTruncated"):
                break
            kwargs["ContinuationToken"] = page["NextContinuationToken"]
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise
    return count
