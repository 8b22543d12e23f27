"""The ECS cluster and the two task definitions (eda, causal-analysis)."""

from __future__ import annotations

from typing import Any

from causal_deploy.manifest import TaskDefinitionSpec
from causal_deploy.report import Action, DeployReport


def ensure_cluster(ecs: Any, name: str, report: DeployReport) -> None:
    clusters = ecs.describe_clusters(clusters=[name]).get("clusters", [])
    if any(cluster.get("status") == "ACTIVE" for cluster in clusters):
        report.add("cluster", name, Action.UNCHANGED)
        return
    ecs.create_cluster(clusterName=name)
    report.add("cluster", name, Action.CREATED)


def ensure_task_definition(ecs: Any, spec: TaskDefinitionSpec, role_arn: str, report: DeployReport) -> None:
    desired = _definition(spec, role_arn)
    try:
        current = ecs.describe_task_definition(taskDefinition=spec.family)["taskDefinition"]
    except ecs.exceptions.ClientException:
        current = None
    if current is not None and _comparable(current) == _comparable(desired):
        report.add("task-definition", spec.family, Action.UNCHANGED)
        return
    registered = ecs.register_task_definition(**desired)["taskDefinition"]
    action = Action.CREATED if current is None else Action.UPDATED
    report.add("task-definition", spec.family, action, f"revision {registered.get('revision')}")


def _definition(spec: TaskDefinitionSpec, role_arn: str) -> dict[str, Any]:
    return {
        "family": spec.family,
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": str(spec.cpu),
        "memory": str(spec.memory),
        "executionRoleArn": role_arn,
        "taskRoleArn": role_arn,
        "containerDefinitions": [
            {
                "name": spec.container_name,
                "image": spec.image,
                "essential": True,
                "command": list(spec.command),
                "environment": [{"name": k, "value": v} for k, v in sorted(spec.environment.items())],
            }
        ],
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
    )
