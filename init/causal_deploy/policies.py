"""IAM policies of the roles. On AWS, least privilege: each role reaches only the stack's own resources.

Off AWS the roles keep one broad policy (the emulators do not enforce IAM); on AWS every statement names
the tables, buckets, secrets, state machine, task families, API and log groups of this stack.
"""

from __future__ import annotations

from typing import Any

from causal_common.names import EVENT_FUNCTIONS, FUNCTIONS, ResourceNames

VERSION = "2012-10-17"
TABLE_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:ConditionCheckItem",
]
# The functions the state machine calls (the WebSocket handler is API Gateway's, the authorizer too;
# the event functions are EventBridge's).
STATE_MACHINE_FUNCTIONS = tuple(
    name for name in FUNCTIONS if name != "websocket-handler" and name not in EVENT_FUNCTIONS
)


def _statement(actions: str | list[str], resources: str | list[str], **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def _data_statements(names: ResourceNames, api_id: str, stage: str) -> list[dict[str, Any]]:
    """What both the functions and the tasks read and write: tables, buckets, secrets, jobs' callbacks, frames."""
    region, account = names.region, names.account_id
    tables = [names.sessions_table, names.connections_table, names.jobs_table, names.pending_messages_table]
    table_arns = [f"arn:aws:dynamodb:{region}:{account}:table/{table}" for table in tables]
    buckets = [names.datasets_bucket, names.artifacts_bucket]
    secrets = [
        names.openai_api_key_secret,
        names.llm_settings_secret,
        names.token_signing_key_secret,
        names.management_credentials_secret,
    ]
    return [
        _statement(TABLE_ACTIONS, [*table_arns, *(f"{arn}/index/*" for arn in table_arns)]),
        _statement(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [f"arn:aws:s3:::{b}/*" for b in buckets]),
        _statement("s3:ListBucket", [f"arn:aws:s3:::{b}" for b in buckets]),
        _statement(
            ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            [f"arn:aws:secretsmanager:{region}:{account}:secret:{secret}-*" for secret in secrets],
        ),
        # Task tokens are not resources IAM can name: the callbacks take "*".
        _statement(["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"], "*"),
        _statement(
            "execute-api:ManageConnections", f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/*/@connections/*"
        ),
    ]


# The functions that do more than read and write the stack's data and post frames: the WebSocket
# handler starts and stops executions (a query, a cancel, an abandoned prompt); dispatch-tool runs tasks.
STARTS_EXECUTIONS = "websocket-handler"
RUNS_TASKS = "dispatch-tool"


def function_role_group(function: str) -> str:
    """Which of the functions' roles ``function`` runs with: ``websocket``, ``dispatch`` or ``agent``."""
    return {STARTS_EXECUTIONS: "websocket", RUNS_TASKS: "dispatch"}.get(function, "agent")


def functions_policy(
    names: ResourceNames, api_id: str, stage: str, group: str, passed_roles: list[str]
) -> dict[str, Any]:
    """The agent's functions of one ``group`` (:func:`function_role_group`): the data statements,
    plus starting and stopping executions (``websocket``) or running the tasks (``dispatch``)."""
    region, account = names.region, names.account_id
    statements = _data_statements(names, api_id, stage)
    if group == "websocket":
        statements += [
            _statement("states:StartExecution", names.state_machine_arn),
            _statement(
                ["states:DescribeExecution", "states:StopExecution"],
                f"arn:aws:states:{region}:{account}:execution:{names.state_machine}:*",
            ),
        ]
    if group == "dispatch":
        cluster_arn = f"arn:aws:ecs:{region}:{account}:cluster/{names.cluster}"
        families = [names.task_family(task) for task in ("eda", "causal-analysis")]
        statements += [
            _statement(
                "ecs:RunTask",
                [f"arn:aws:ecs:{region}:{account}:task-definition/{family}:*" for family in families],
                ArnEquals={"ecs:cluster": cluster_arn},
            ),
            _statement(
                "iam:PassRole",
                [f"arn:aws:iam::{account}:role/{role}" for role in passed_roles],
                StringEquals={"iam:PassedToService": "ecs-tasks.amazonaws.com"},
            ),
        ]
    statements.append(_log_statement(region, account, f"{names.log_group_prefix}{names.prefix}*"))
    return {"Version": VERSION, "Statement": statements}


def authorizer_policy(names: ResourceNames, function: str) -> dict[str, Any]:
    """The $connect authorizer reads the token signing key, nothing else."""
    region, account = names.region, names.account_id
    return {
        "Version": VERSION,
        "Statement": [
            _statement(
                "secretsmanager:GetSecretValue",
                f"arn:aws:secretsmanager:{region}:{account}:secret:{names.token_signing_key_secret}-*",
            ),
            _log_statement(region, account, names.function_log_group(function)),
        ],
    }


def states_policy(names: ResourceNames) -> dict[str, Any]:
    return {
        "Version": VERSION,
        "Statement": [
            _statement("lambda:InvokeFunction", [names.function_arn(name) for name in STATE_MACHINE_FUNCTIONS])
        ],
    }


def task_policy(names: ResourceNames, api_id: str, stage: str) -> dict[str, Any]:
    """The analysis tasks: the data statements only (they neither start executions nor run tasks)."""
    return {"Version": VERSION, "Statement": _data_statements(names, api_id, stage)}


def task_execution_policy(names: ResourceNames) -> dict[str, Any]:
    """What ECS itself needs to start a task: pull the image from the stack's repository, write its logs."""
    region, account = names.region, names.account_id
    return {
        "Version": VERSION,
        "Statement": [
            _statement("ecr:GetAuthorizationToken", "*"),
            _statement(
                ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                f"arn:aws:ecr:{region}:{account}:repository/{names.task_repository}",
            ),
            _log_statement(region, account, names.task_log_group),
        ],
    }


def _log_statement(region: str, account: str, log_group: str) -> dict[str, Any]:
    # The deployer creates the log groups (tagged, with a retention): the roles only write to them.
    return _statement(
        ["logs:CreateLogStream", "logs:PutLogEvents"], f"arn:aws:logs:{region}:{account}:log-group:{log_group}:*"
    )


def local_worker_policy(names: ResourceNames) -> dict[str, Any]:
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


def local_states_policy(names: ResourceNames) -> dict[str, Any]:
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
