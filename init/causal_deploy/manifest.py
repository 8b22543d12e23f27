"""Every resource of the stack, as data (docs/architecture.md, "Resources").

The other modules only turn these specs into API calls; what exists, with
which keys, limits and environment, is decided here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from causal_common.names import FUNCTIONS, ResourceNames
from causal_deploy.config import DeployConfig, Target

RUNTIME = "python3.12"
HANDLER = "handler.handler"

KeyType = Literal["S", "N", "B"]


@dataclass(frozen=True)
class Key:
    name: str
    type: KeyType = "S"


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: Key


@dataclass(frozen=True)
class TableSpec:
    name: str
    partition_key: Key
    sort_key: Key | None = None
    indexes: tuple[IndexSpec, ...] = ()
    ttl_attribute: str | None = None


@dataclass(frozen=True)
class BucketSpec:
    name: str


SecretKind = Literal["openai-api-key", "llm-settings", "token-signing-key", "management-credentials"]


@dataclass(frozen=True)
class SecretSpec:
    name: str
    kind: SecretKind
    description: str


@dataclass(frozen=True)
class RoleSpec:
    name: str
    service: str  # the principal allowed to assume it
    policy: dict[str, Any] = field(hash=False, compare=False)


@dataclass(frozen=True)
class FunctionSpec:
    short_name: str
    name: str
    source_dir: Path
    timeout: int
    memory: int
    environment: dict[str, str] = field(hash=False)
    runtime: str = RUNTIME
    handler: str = HANDLER


@dataclass(frozen=True)
class StateMachineSpec:
    name: str
    definition_file: Path


@dataclass(frozen=True)
class TaskDefinitionSpec:
    short_name: str
    family: str
    image: str
    command: tuple[str, ...]
    cpu: int
    memory: int
    environment: dict[str, str] = field(hash=False)
    container_name: str = "task"


@dataclass(frozen=True)
class Manifest:
    names: ResourceNames
    tables: tuple[TableSpec, ...]
    buckets: tuple[BucketSpec, ...]
    secrets: tuple[SecretSpec, ...]
    lambda_role: RoleSpec
    states_role: RoleSpec
    task_role: RoleSpec
    functions: tuple[FunctionSpec, ...]
    state_machine: StateMachineSpec
    cluster: str
    task_definitions: tuple[TaskDefinitionSpec, ...]


# (timeout seconds, memory MB). The WebSocket handler must answer inside API
# Gateway's 29 s; invoke-llm waits on the model; data-query runs SQL on a CSV.
FUNCTION_LIMITS: dict[str, tuple[int, int]] = {
    "websocket-handler": (29, 256),
    "parse-initial-query": (30, 256),
    "invoke-llm": (120, 512),
    "dispatch-tool": (30, 256),
    "data-query": (60, 1024),
    "send-prompt": (30, 256),
    "append-tool-output": (30, 256),
    "handle-finish": (30, 256),
    "handle-error": (30, 256),
    "handle-timeout": (30, 256),
}

# (cpu units, memory MiB): valid Fargate pairs. DoWhy's refuters want memory.
TASK_SIZES: dict[str, tuple[int, int]] = {"eda": (1024, 2048), "causal-analysis": (2048, 4096)}


def build_manifest(config: DeployConfig, account_id: str) -> Manifest:
    names = ResourceNames.from_settings(config, account_id=account_id)
    function_environment = _function_environment(config)
    return Manifest(
        names=names,
        tables=(
            TableSpec(names.sessions_table, Key("sessionId")),
            TableSpec(
                names.connections_table,
                Key("connectionId"),
                indexes=(IndexSpec(names.connections_session_index, Key("sessionId")),),
            ),
            TableSpec(names.jobs_table, Key("jobId")),
            TableSpec(names.pending_messages_table, Key("sessionId"), Key("seq", "N"), ttl_attribute="expiresAt"),
        ),
        buckets=(BucketSpec(names.datasets_bucket), BucketSpec(names.artifacts_bucket)),
        secrets=(
            SecretSpec(names.openai_api_key_secret, "openai-api-key", "OpenAI API key (empty: offline planner)"),
            SecretSpec(names.llm_settings_secret, "llm-settings", "LLM model and base URL"),
            SecretSpec(names.token_signing_key_secret, "token-signing-key", "Gateway token signing key"),
            SecretSpec(
                names.management_credentials_secret, "management-credentials", "Credentials for the management API"
            ),
        ),
        lambda_role=RoleSpec(f"{names.prefix}lambda-role", "lambda.amazonaws.com", _worker_policy(names)),
        states_role=RoleSpec(f"{names.prefix}states-role", "states.amazonaws.com", _states_policy(names)),
        task_role=RoleSpec(f"{names.prefix}ecs-task-role", "ecs-tasks.amazonaws.com", _worker_policy(names)),
        functions=tuple(
            FunctionSpec(
                short_name=short_name,
                name=names.function(short_name),
                source_dir=config.lambdas_dir / short_name,
                timeout=FUNCTION_LIMITS[short_name][0],
                memory=FUNCTION_LIMITS[short_name][1],
                environment=dict(function_environment),
            )
            for short_name in FUNCTIONS
        ),
        state_machine=StateMachineSpec(names.state_machine, config.state_machine_file),
        cluster=names.cluster,
        task_definitions=tuple(
            TaskDefinitionSpec(
                short_name=task,
                family=names.task_family(task),
                image=config.task_image,
                command=("python", "-m", "causal_tasks", task),
                cpu=TASK_SIZES[task][0],
                memory=TASK_SIZES[task][1],
                environment=_task_environment(config),
            )
            for task in ("eda", "causal-analysis")
        ),
    )


def _function_environment(config: DeployConfig) -> dict[str, str]:
    environment = {
        "RESOURCE_PREFIX": config.resource_prefix,
        "WEBSOCKET_CALLBACK_URL": config.websocket_callback_url,
        "ARTIFACTS_BASE_URL": config.artifacts_base_url,
        "LOG_LEVEL": config.log_level,
    }
    if config.target is not Target.AWS and config.ecs_endpoint_url:
        environment["AWS_ENDPOINT_URL_ECS"] = config.ecs_endpoint_url
    if config.max_concurrent_analyses is not None:
        environment["AGENT_MAX_CONCURRENT_ANALYSES"] = str(config.max_concurrent_analyses)
    environment.update(_management_environment(config))
    return environment


def _task_environment(config: DeployConfig) -> dict[str, str]:
    return {
        "RESOURCE_PREFIX": config.resource_prefix,
        "WEBSOCKET_CALLBACK_URL": config.websocket_callback_url,
        "ARTIFACTS_BASE_URL": config.artifacts_base_url,
        "LOG_LEVEL": config.log_level,
        **_management_environment(config),
    }


def _management_environment(config: DeployConfig) -> dict[str, str]:
    """Off AWS the project's gateway plays the management API and checks the stack's generated
    credentials; on AWS, API Gateway checks the role's own (execute-api:ManageConnections)."""
    if config.target is Target.AWS:
        return {}
    names = ResourceNames.from_settings(config)
    return {"MANAGEMENT_API_CREDENTIALS_SECRET": names.management_credentials_secret}


def _worker_policy(names: ResourceNames) -> dict[str, Any]:
    """What the functions and tasks touch: only the stack's own resources."""
    region, account, prefix = names.region, names.account_id, names.prefix
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "dynamodb:*",
                "Resource": f"arn:aws:dynamodb:{region}:{account}:table/{prefix}*",
            },
            {"Effect": "Allow", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{prefix}*", f"arn:aws:s3:::{prefix}*/*"]},
            {
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": f"arn:aws:secretsmanager:{region}:{account}:secret:{prefix}*",
            },
            {
                "Effect": "Allow",
                "Action": [
                    "states:StartExecution",
                    "states:DescribeExecution",
                    "states:StopExecution",
                    "states:SendTaskSuccess",
                    "states:SendTaskFailure",
                    "states:SendTaskHeartbeat",
                ],
                "Resource": "*",
            },
            {"Effect": "Allow", "Action": ["ecs:RunTask", "ecs:DescribeTasks", "ecs:StopTask"], "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{account}:role/{prefix}*"},
            {"Effect": "Allow", "Action": "execute-api:ManageConnections", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*",
            },
        ],
    }


def _states_policy(names: ResourceNames) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": f"arn:aws:lambda:{names.region}:{names.account_id}:function:{names.prefix}*",
            }
        ],
    }
