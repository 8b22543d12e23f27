"""The ECS cluster and the two task definitions (eda, causal-analysis)."""

from __future__ import annotations

import json
from typing import Any

from causal_deploy import tagging
from causal_deploy.manifest import TaskDefinitionSpec
from causal_deploy.report import Action, DeployReport


def ensure_cluster(ecs: Any, name: str, report: DeployReport, tags: tagging.Tags | None = None) -> None:
    clusters = ecs.describe_clusters(clusters=[name], **({"include": ["TAGS"]} if tags else {})).get("clusters", [])
    active = next((cluster for cluster in clusters if cluster.get("status") == "ACTIVE"), None)
    if active is not None:
        lacking = tagging.missing(tagging.from_pairs(active.get("tags"), "key", "value"), tags or {})
        if lacking and not report.plan:
            ecs.tag_resource(resourceArn=active["clusterArn"], tags=tagging.pairs(lacking, "key", "value"))
        report.add("cluster", name, Action.UPDATED if lacking else Action.UNCHANGED, "tags" if lacking else "")
        return
    if not report.plan:
        ecs.create_cluster(clusterName=name, **({"tags": tagging.pairs(tags, "key", "value")} if tags else {}))
    report.add("cluster", name, Action.CREATED)


def ensure_task_definition(
    ecs: Any,
    spec: TaskDefinitionSpec,
    role_arn: str,
    report: DeployReport,
    *,
    execution_role_arn: str | None = None,
    region: str = "",
    tags: tagging.Tags | None = None,
) -> None:
    """Register a revision when the definition differs from the latest; ``execution_role_arn`` defaults
    to the task role (off AWS nothing pulls from ECR or writes to CloudWatch)."""
    desired = _definition(spec, role_arn, execution_role_arn or role_arn, region)
    try:
        described = ecs.describe_task_definition(taskDefinition=spec.family, **({"include": ["TAGS"]} if tags else {}))
        current = described["taskDefinition"]
    except ecs.exceptions.ClientException:
        described, current = {}, None
    if current is not None and _comparable(current) == _comparable(desired):
        lacking = tagging.missing(tagging.from_pairs(described.get("tags"), "key", "value"), tags or {})
        if lacking and not report.plan:
            ecs.tag_resource(resourceArn=current["taskDefinitionArn"], tags=tagging.pairs(lacking, "key", "value"))
        report.add(
            "task-definition", spec.family, Action.UPDATED if lacking else Action.UNCHANGED, "tags" if lacking else ""
        )
        return
    action = Action.CREATED if current is None else Action.UPDATED
    if report.plan:
        report.add("task-definition", spec.family, action, "" if current is None else "new revision")
        return
    if tags:
        desired["tags"] = tagging.pairs(tags, "key", "value")
    registered = ecs.register_task_definition(**desired)["taskDefinition"]
    report.add("task-definition", spec.family, action, f"revision {registered.get('revision')}")


def _definition(spec: TaskDefinitionSpec, role_arn: str, execution_role_arn: str, region: str) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": spec.container_name,
        "image": spec.image,
        "essential": True,
        "command": list(spec.command),
        "environment": [{"name": k, "value": v} for k, v in sorted(spec.environment.items())],
    }
    if spec.log_group:
        container["logConfiguration"] = {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": spec.log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": spec.short_name,
            },
        }
    return {
        "family": spec.family,
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": str(spec.cpu),
        "memory": str(spec.memory),
        "executionRoleArn": execution_role_arn,
        "taskRoleArn": role_arn,
        "containerDefinitions": [container],
    }


def _comparable(definition: dict[str, Any]) -> tuple[Any, ...]:
    container = (definition.get("containerDefinitions") or [{}])[0]
    environment = sorted((item["name"], item["value"]) for item in container.get("environment", []))
    return (
        str(definition.get("cpu")),
        str(definition.get("memory")),
        tuple(definition.get("requiresCompatibilities") or ()),
        definition.get("networkMode"),
        definition.get("executionRoleArn"),
        definition.get("taskRoleArn"),
        container.get("name"),
        container.get("image"),
        tuple(container.get("command") or ()),
        tuple(environment),
        json.dumps(container.get("logConfiguration"), sort_keys=True),
    )
