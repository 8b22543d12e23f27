"""Every resource of the stack, as data (docs/architecture.md, "Resources").

The other modules only turn these specs into API calls; what exists, with
which keys, limits and environment, is decided here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from causal_common.models.ecs_events import ECS_SOURCE, STOPPED, TASK_STATE_CHANGE
from causal_common.names import AWS_FUNCTIONS, FUNCTIONS, STACK_TAG, ResourceNames
from causal_deploy import policies
from causal_deploy.config import DEFAULT_TASK_IMAGE, DeployConfig, Target

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
    role: str = ""  # the name of its RoleSpec in the manifest


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
    log_group: str | None = None  # awslogs (AWS only)


@dataclass(frozen=True)
class RuleSpec:
    """An EventBridge rule on the default bus whose one target is a function of the stack."""

    name: str
    event_pattern: dict[str, Any] = field(hash=False)
    function: str  # short name of the target function
    description: str = ""


@dataclass(frozen=True)
class RouteSpec:
    key: str
    function: str  # short name of the integration's function
    route_response: bool = False  # two-way: the integration's response body goes back to the client


@dataclass(frozen=True)
class AuthorizerSpec:
    name: str
    function: str
    identity_source: str  # where the token is, e.g. route.request.querystring.token
    route: str = "$connect"


@dataclass(frozen=True)
class WebSocketApiSpec:
    name: str
    route_selection_expression: str
    routes: tuple[RouteSpec, ...]
    authorizer: AuthorizerSpec
    stage: str


@dataclass(frozen=True)
class RepositorySpec:
    name: str


@dataclass(frozen=True)
class LogGroupSpec:
    name: str
    retention_days: int


@dataclass(frozen=True)
class NetworkSpec:
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]


@dataclass(frozen=True)
class AwsSpec:
    """What only the AWS target has: API Gateway in place of the project's gateway, ECR, CloudWatch logs."""

    websocket_api: WebSocketApiSpec
    repository: RepositorySpec
    log_groups: tuple[LogGroupSpec, ...]
    network: NetworkSpec
    execution_role: str  # the name of its RoleSpec (in extra_roles)


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
    # The AWS target's: every resource tagged STACK_TAG=<prefix>, extra roles, and the AWS-only resources.
    tags: dict[str, str] = field(default_factory=dict, hash=False)
    extra_roles: tuple[RoleSpec, ...] = ()
    aws: AwsSpec | None = None
    rules: tuple[RuleSpec, ...] = ()

    @property
    def roles(self) -> tuple[RoleSpec, ...]:
        return (self.lambda_role, self.states_role, self.task_role, *self.extra_roles)


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
    "connect-authorizer": (10, 256),
    "task-stopped": (30, 256),
}

# (cpu units, memory MiB): valid Fargate pairs. DoWhy's refuters want memory.
TASK_SIZES: dict[str, tuple[int, int]] = {"eda": (1024, 2048), "causal-analysis": (2048, 4096)}


def build_manifest(config: DeployConfig, account_id: str, api_id: str | None = None) -> Manifest:
    """The stack at ``config``; on AWS ``api_id`` is the WebSocket API's (``None`` before it exists)."""
    names = ResourceNames.from_settings(config, account_id=account_id)
    on_aws = config.target is Target.AWS
    api = api_id or "<new-api-id>"
    task_role = f"{names.prefix}ecs-task-role"
    execution_role = f"{names.prefix}ecs-execution-role"
    authorizer_role = f"{names.prefix}authorizer-role"
    passed_roles = [task_role, execution_role]
    if on_aws:
        lambda_policy = policies.functions_policy(names, api, config.websocket_stage, "agent", passed_roles)
        states_policy, task_policy = (
            policies.states_policy(names),
            policies.task_policy(names, api, config.websocket_stage),
        )
    else:
        lambda_policy, states_policy, task_policy = (
            policies.local_worker_policy(names),
            policies.local_states_policy(names),
            policies.local_worker_policy(names),
        )
    function_environment = _function_environment(config, names, api)
    function_names = (*FUNCTIONS, *(AWS_FUNCTIONS if on_aws else ()))
    functions = tuple(
        FunctionSpec(
            short_name=short_name,
            name=names.function(short_name),
            source_dir=config.lambdas_dir / short_name,
            timeout=FUNCTION_LIMITS[short_name][0],
            memory=FUNCTION_LIMITS[short_name][1],
            environment=_authorizer_environment(config) if short_name in AWS_FUNCTIONS else dict(function_environment),
            role=_function_role(names, short_name, on_aws),
        )
        for short_name in function_names
    )
    task_log_group = names.task_log_group if on_aws else None
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
        lambda_role=RoleSpec(f"{names.prefix}lambda-role", "lambda.amazonaws.com", lambda_policy),
        states_role=RoleSpec(f"{names.prefix}states-role", "states.amazonaws.com", states_policy),
        task_role=RoleSpec(task_role, "ecs-tasks.amazonaws.com", task_policy),
        functions=functions,
        state_machine=StateMachineSpec(names.state_machine, config.state_machine_file),
        cluster=names.cluster,
        task_definitions=tuple(
            TaskDefinitionSpec(
                short_name=task,
                family=names.task_family(task),
                image=_task_image(config, names),
                command=("python", "-m", "causal_tasks", task),
                cpu=TASK_SIZES[task][0],
                memory=TASK_SIZES[task][1],
                environment=_task_environment(config, names, api),
                log_group=task_log_group,
            )
            for task in ("eda", "causal-analysis")
        ),
        tags={STACK_TAG: names.prefix} if on_aws else {},
        extra_roles=(
            (
                *(
                    RoleSpec(
                        f"{names.prefix}{group}-role",
                        "lambda.amazonaws.com",
                        policies.functions_policy(names, api, config.websocket_stage, group, passed_roles),
                    )
                    for group in ("websocket", "dispatch")
                ),
                RoleSpec(execution_role, "ecs-tasks.amazonaws.com", policies.task_execution_policy(names)),
                RoleSpec(authorizer_role, "lambda.amazonaws.com", policies.authorizer_policy(names, AWS_FUNCTIONS[0])),
            )
            if on_aws
            else ()
        ),
        aws=_aws_spec(config, names, function_names, execution_role) if on_aws else None,
        rules=(task_stopped_rule(names),),
    )


def task_stopped_rule(names: ResourceNames) -> RuleSpec:
    """ECS's "Task State Change" events of the stack's cluster, STOPPED only, to ``task-stopped``."""
    cluster_arn = f"arn:aws:ecs:{names.region}:{names.account_id}:cluster/{names.cluster}"
    return RuleSpec(
        name=f"{names.prefix}task-stopped",
        event_pattern={
            "source": [ECS_SOURCE],
            "detail-type": [TASK_STATE_CHANGE],
            "detail": {"lastStatus": [STOPPED], "clusterArn": [cluster_arn]},
        },
        function="task-stopped",
        description="a stopped ECS task fails its unfinished job and the execution waiting on it",
    )


def _function_role(names: ResourceNames, function: str, on_aws: bool) -> str:
    """Off AWS one role for every function; on AWS a role per kind of access (policies.function_role_group)."""
    if not on_aws:
        return f"{names.prefix}lambda-role"
    if function in AWS_FUNCTIONS:
        return f"{names.prefix}authorizer-role"
    group = policies.function_role_group(function)
    return f"{names.prefix}{'lambda' if group == 'agent' else group}-role"


def _aws_spec(
    config: DeployConfig, names: ResourceNames, function_names: tuple[str, ...], execution_role: str
) -> AwsSpec:
    # The routes the project's gateway serves (causal_gateway.settings: all to the WebSocket handler,
    # a route response on $default so a client hears why its frame was refused).
    routes = (
        RouteSpec("$connect", "websocket-handler"),
        RouteSpec("$disconnect", "websocket-handler"),
        RouteSpec("$default", "websocket-handler", route_response=True),
    )
    return AwsSpec(
        websocket_api=WebSocketApiSpec(
            name=names.websocket_api,
            route_selection_expression="$request.body.action",
            routes=routes,
            authorizer=AuthorizerSpec(
                name=f"{names.prefix}token",
                function=AWS_FUNCTIONS[0],
                identity_source="route.request.querystring.token",
            ),
            stage=config.websocket_stage,
        ),
        repository=RepositorySpec(names.task_repository),
        log_groups=(
            *(LogGroupSpec(names.function_log_group(name), config.log_retention_days) for name in function_names),
            LogGroupSpec(names.task_log_group, config.log_retention_days),
        ),
        network=NetworkSpec(tuple(config.ecs_subnets), tuple(config.ecs_security_groups)),
        execution_role=execution_role,
    )


def websocket_callback_url(names: ResourceNames, api_id: str, stage: str) -> str:
    """The management API of a WebSocket API's stage, which the functions and tasks post frames to."""
    return f"https://{api_id}.execute-api.{names.region}.amazonaws.com/{stage}"


def repository_uri(names: ResourceNames) -> str:
    return f"{names.account_id}.dkr.ecr.{names.region}.amazonaws.com/{names.task_repository}"


def _task_image(config: DeployConfig, names: ResourceNames) -> str:
    """On AWS the default image is the stack's ECR repository's ``latest`` (``causal-stack images push``)."""
    if config.target is Target.AWS and config.task_image == DEFAULT_TASK_IMAGE:
        return f"{repository_uri(names)}:latest"
    return config.task_image


def _authorizer_environment(config: DeployConfig) -> dict[str, str]:
    return {"RESOURCE_PREFIX": config.resource_prefix, "LOG_LEVEL": config.log_level}


def _function_environment(config: DeployConfig, names: ResourceNames, api_id: str) -> dict[str, str]:
    environment = {
        "RESOURCE_PREFIX": config.resource_prefix,
        "WEBSOCKET_CALLBACK_URL": _callback_url(config, names, api_id),
        "ARTIFACTS_BASE_URL": config.artifacts_base_url,
        "LOG_LEVEL": config.log_level,
    }
    if config.target is not Target.AWS and config.ecs_endpoint_url:
        environment["AWS_ENDPOINT_URL_ECS"] = config.ecs_endpoint_url
    if config.target is Target.AWS:
        # The account's ARN (no lookup by name, so no states:ListStateMachines) and RunTask's network.
        environment["STATE_MACHINE_ARN"] = names.state_machine_arn
        environment["ECS_SUBNETS"] = ",".join(config.ecs_subnets)
        if config.ecs_security_groups:
            environment["ECS_SECURITY_GROUPS"] = ",".join(config.ecs_security_groups)
    if config.max_concurrent_analyses is not None:
        environment["AGENT_MAX_CONCURRENT_ANALYSES"] = str(config.max_concurrent_analyses)
    environment.update(_management_environment(config))
    return environment


def _callback_url(config: DeployConfig, names: ResourceNames, api_id: str) -> str:
    if config.target is Target.AWS:
        return websocket_callback_url(names, api_id, config.websocket_stage)
    return config.websocket_callback_url


def _task_environment(config: DeployConfig, names: ResourceNames, api_id: str) -> dict[str, str]:
    return {
        "RESOURCE_PREFIX": config.resource_prefix,
        "WEBSOCKET_CALLBACK_URL": _callback_url(config, names, api_id),
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
