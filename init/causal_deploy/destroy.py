"""``destroy(config)``: remove what the deployer created on AWS, found by name prefix *and* the stack's tag.

A resource whose name starts with the prefix but lacks the tag ``causal-stack=<prefix>`` is never
touched (it is listed as left alone). Removal runs in dependency order: the API before the functions
it invokes, the state machine and task definitions before their roles, buckets emptied first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from causal_common.aws import error_code
from causal_common.names import STACK_TAG, ResourceNames
from causal_deploy import tagging, websocket_api
from causal_deploy.clients import Clients
from causal_deploy.config import DeployConfig, Target
from causal_deploy.deployer import aws_errors
from causal_deploy.errors import DeployError

logger = logging.getLogger(__name__)

# Removal order: what refers to something is removed before what it refers to.
ORDER = (
    "rule",
    "websocket-api",
    "state-machine",
    "task-definition",
    "cluster",
    "function",
    "log-group",
    "repository",
    "secret",
    "bucket",
    "table",
    "role",
)


@dataclass(frozen=True)
class Found:
    kind: str
    name: str
    identifier: str  # what the delete call takes: an id, an ARN or the name
    tagged: bool


@dataclass
class DestroyReport:
    target: str
    prefix: str
    removed: list[Found] = field(default_factory=list)
    left_alone: list[Found] = field(default_factory=list)
    cancelled: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "prefix": self.prefix,
            "cancelled": self.cancelled,
            "removed": [asdict(found) for found in self.removed],
            "leftAlone": [asdict(found) for found in self.left_alone],
        }

    def summary(self) -> str:
        if self.cancelled:
            return "cancelled: nothing was removed"
        lines = [f"removed {len(self.removed)} resources tagged {STACK_TAG}={self.prefix}:"]
        lines.extend(f"  - {found.kind:<16} {found.name}" for found in self.removed)
        if not self.removed:
            lines = [f"nothing tagged {STACK_TAG}={self.prefix} was found: nothing removed"]
        if self.left_alone:
            lines.append(f"left alone (named like the stack, but not tagged {STACK_TAG}={self.prefix}):")
            lines.extend(f"  = {found.kind:<16} {found.name}" for found in self.left_alone)
        return "\n".join(lines)


def destroy(
    config: DeployConfig, confirm: Callable[[list[Found]], bool], *, clients: Clients | None = None
) -> DestroyReport:
    """Find the stack's resources, ask ``confirm`` with the list, remove them in dependency order."""
    if config.target is not Target.AWS:
        raise DeployError(
            "destroy removes a stack from AWS (--target aws); a local stack goes with its emulator "
            "(stop `causal-stack up`, or `docker compose down -v`)"
        )
    clients = clients or Clients(config)
    report = DestroyReport(target=config.target.value, prefix=config.resource_prefix)
    with aws_errors(config, "listing the stack's resources"):
        names = ResourceNames.from_settings(config, account_id=clients.account_id)
        found = sorted(find(clients, names), key=lambda item: (ORDER.index(item.kind), item.name))
    ours = [item for item in found if item.tagged]
    report.left_alone = [item for item in found if not item.tagged]
    if ours and not confirm(ours):
        report.cancelled = True
        return report
    for item in ours:
        with aws_errors(config, f"removing {item.kind} {item.name}"):
            _remove(clients, item)
        logger.info("removed %s %s", item.kind, item.name)
        report.removed.append(item)
    return report


def find(clients: Clients, names: ResourceNames) -> Iterator[Found]:
    """Every resource named with the stack's prefix, with whether it carries the stack's tag."""
    prefix, want = names.prefix, {STACK_TAG: names.prefix}

    def tagged(kind: str, client: Any, resource: str) -> bool:
        return not tagging.missing(tagging.read(kind, client, resource), want)

    for page in clients.events.get_paginator("list_rules").paginate(NamePrefix=prefix):
        for rule in page["Rules"]:
            if rule["Name"].startswith(prefix) and rule.get("EventBusName", "default") == "default":
                yield Found("rule", rule["Name"], rule["Arn"], tagged("rule", clients.events, rule["Arn"]))
    for api in websocket_api.list_apis(clients.apigatewayv2):
        if str(api.get("Name", "")).startswith(prefix):
            is_ours = not tagging.missing(api.get("Tags") or {}, want)
            yield Found("websocket-api", api["Name"], api["ApiId"], is_ours)
    for page in clients.stepfunctions.get_paginator("list_state_machines").paginate():
        for machine in page["stateMachines"]:
            if machine["name"].startswith(prefix):
                arn = machine["stateMachineArn"]
                yield Found("state-machine", machine["name"], arn, tagged("state-machine", clients.stepfunctions, arn))
    yield from _task_definitions(clients.ecs, prefix, want)
    for cluster in clients.ecs.describe_clusters(clusters=[names.cluster], include=["TAGS"]).get("clusters", []):
        if cluster.get("status") == "ACTIVE":
            is_ours = not tagging.missing(tagging.from_pairs(cluster.get("tags"), "key", "value"), want)
            yield Found("cluster", cluster["clusterName"], cluster["clusterArn"], is_ours)
    for page in clients.awslambda.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            if function["FunctionName"].startswith(prefix):
                arn = function["FunctionArn"]
                yield Found("function", function["FunctionName"], arn, tagged("function", clients.awslambda, arn))
    for group_prefix in (f"{names.log_group_prefix}{prefix}", names.task_log_group):
        for page in clients.logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=group_prefix):
            for group in page["logGroups"]:
                arn = group["arn"].removesuffix(":*")
                yield Found("log-group", group["logGroupName"], arn, tagged("log-group", clients.logs, arn))
    for page in clients.ecr.get_paginator("describe_repositories").paginate():
        for repository in page["repositories"]:
            if repository["repositoryName"].startswith(prefix):
                arn = repository["repositoryArn"]
                yield Found("repository", repository["repositoryName"], arn, tagged("repository", clients.ecr, arn))
    for page in clients.secretsmanager.get_paginator("list_secrets").paginate(
        Filters=[{"Key": "name", "Values": [prefix]}]
    ):
        for secret in page["SecretList"]:
            if secret["Name"].startswith(prefix):
                is_ours = not tagging.missing(tagging.from_pairs(secret.get("Tags")), want)
                yield Found("secret", secret["Name"], secret["ARN"], is_ours)
    for bucket in clients.s3.list_buckets().get("Buckets", []):
        if bucket["Name"].startswith(prefix):
            yield Found("bucket", bucket["Name"], bucket["Name"], tagged("bucket", clients.s3, bucket["Name"]))
    for page in clients.dynamodb.get_paginator("list_tables").paginate():
        for table in page["TableNames"]:
            if table.startswith(prefix):
                arn = clients.dynamodb.describe_table(TableName=table)["Table"]["TableArn"]
                yield Found("table", table, arn, tagged("table", clients.dynamodb, arn))
    for page in clients.iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if role["RoleName"].startswith(prefix):
                yield Found("role", role["RoleName"], role["RoleName"], tagged("role", clients.iam, role["RoleName"]))


def _task_definitions(ecs: Any, prefix: str, want: dict[str, str]) -> Iterator[Found]:
    """Each active revision of the stack's families (a revision carries its own tags)."""
    for page in ecs.get_paginator("list_task_definition_families").paginate(familyPrefix=prefix, status="ACTIVE"):
        for family in page["families"]:
            for arns in ecs.get_paginator("list_task_definitions").paginate(familyPrefix=family, status="ACTIVE"):
                for arn in arns["taskDefinitionArns"]:
                    described = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
                    is_ours = not tagging.missing(tagging.from_pairs(described.get("tags"), "key", "value"), want)
                    yield Found("task-definition", arn.rsplit("/", 1)[-1], arn, is_ours)


def _remove(clients: Clients, item: Found) -> None:
    kind, identifier = item.kind, item.identifier
    if kind == "rule":
        targets = clients.events.list_targets_by_rule(Rule=item.name).get("Targets", [])
        if targets:
            clients.events.remove_targets(Rule=item.name, Ids=[target["Id"] for target in targets])
        clients.events.delete_rule(Name=item.name)
    elif kind == "websocket-api":
        clients.apigatewayv2.delete_api(ApiId=identifier)  # its routes, integrations, authorizer and stage too
    elif kind == "state-machine":
        clients.stepfunctions.delete_state_machine(stateMachineArn=identifier)
    elif kind == "task-definition":
        clients.ecs.deregister_task_definition(taskDefinition=identifier)
    elif kind == "cluster":
        clients.ecs.delete_cluster(cluster=identifier)
    elif kind == "function":
        clients.awslambda.delete_function(FunctionName=identifier)
    elif kind == "log-group":
        clients.logs.delete_log_group(logGroupName=item.name)
    elif kind == "repository":
        clients.ecr.delete_repository(repositoryName=item.name, force=True)  # with its images
    elif kind == "secret":
        clients.secretsmanager.delete_secret(SecretId=identifier, ForceDeleteWithoutRecovery=True)
    elif kind == "bucket":
        _empty_bucket(clients.s3, identifier)
        clients.s3.delete_bucket(Bucket=identifier)
    elif kind == "table":
        clients.dynamodb.delete_table(TableName=item.name)
    elif kind == "role":
        _delete_role(clients.iam, identifier)
    else:
        raise ValueError(f"no removal for {kind}")


def _empty_bucket(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        objects = [
            {"Key": version["Key"], "VersionId": version["VersionId"]}
            for version in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        if objects:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})


def _delete_role(iam: Any, role: str) -> None:
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role):
        for policy in page["PolicyNames"]:
            iam.delete_role_policy(RoleName=role, PolicyName=policy)
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role):
        for attached in page["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=role, PolicyArn=attached["PolicyArn"])
    try:
        iam.delete_role(RoleName=role)
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
