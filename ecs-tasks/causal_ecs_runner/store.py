"""ECS state: clusters, task definitions and tasks, shaped as the ECS API returns them.

Clusters and task definitions are registrations, kept across restarts when a
state file is given (compose keeps it in a volume): a recreated runner knows
what the deployer registered. Tasks are running containers and stay in memory.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from causal_common.errors import CausalStackError

logger = logging.getLogger(__name__)
_STATE_FORMAT = 1


class EcsError(CausalStackError):
    """An ECS API error: ``code`` is the ``__type`` boto3 maps to an exception class."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


@dataclass
class Task:
    arn: str
    cluster_arn: str
    definition: dict[str, Any]
    overrides: dict[str, Any]
    environment: dict[str, str]
    container_name: str
    started_by: str | None
    created_at: float = field(default_factory=time.time)
    last_status: str = "PROVISIONING"
    desired_status: str = "RUNNING"
    started_at: float | None = None
    stopped_at: float | None = None
    stop_code: str | None = None
    stopped_reason: str | None = None
    exit_code: int | None = None
    container_reason: str | None = None
    container: Any = None
    job_checked: bool = False

    def to_api(self) -> dict[str, Any]:
        container: dict[str, Any] = {
            "containerArn": f"{self.arn.replace(':task/', ':container/')}/{self.container_name}",
            "taskArn": self.arn,
            "name": self.container_name,
            "lastStatus": self.last_status,
        }
        if self.exit_code is not None:
            container["exitCode"] = self.exit_code
        if self.container_reason:
            container["reason"] = self.container_reason
        task: dict[str, Any] = {
            "taskArn": self.arn,
            "clusterArn": self.cluster_arn,
            "taskDefinitionArn": self.definition["taskDefinitionArn"],
            "lastStatus": self.last_status,
            "desiredStatus": self.desired_status,
            "containers": [container],
            "overrides": self.overrides,
            "createdAt": self.created_at,
            "launchType": "FARGATE",
            "group": f"family:{self.definition['family']}",
            "cpu": self.definition.get("cpu"),
            "memory": self.definition.get("memory"),
        }
        for key, value in (
            ("startedAt", self.started_at),
            ("stoppedAt", self.stopped_at),
            ("stopCode", self.stop_code),
            ("stoppedReason", self.stopped_reason),
            ("startedBy", self.started_by),
        ):
            if value is not None:
                task[key] = value
        return {key: value for key, value in task.items() if value is not None}


class Store:
    def __init__(self, region: str, account_id: str, state_file: Path | None = None) -> None:
        self.region, self.account_id = region, account_id
        self.lock = threading.RLock()
        self.clusters: dict[str, dict[str, Any]] = {}
        self.definitions: dict[str, list[dict[str, Any]]] = {}
        self.tasks: dict[str, Task] = {}
        self.state_file = state_file
        if state_file is not None:
            self._load(state_file)

    def _load(self, path: Path) -> None:
        try:
            state = json.loads(path.read_text())
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            # A damaged file must not keep the runner down: start empty, say so, keep the file for a look.
            logger.warning("ignoring the ECS state file %s (%s); the next deploy registers everything again", path, exc)
            return
        if (
            state.get("format") != _STATE_FORMAT
            or state.get("region") != self.region
            or state.get("accountId") != self.account_id
        ):
            logger.warning("ignoring the ECS state file %s: written for another format, region or account", path)
            return
        self.clusters = state.get("clusters", {})
        self.definitions = state.get("taskDefinitions", {})
        logger.info(
            "loaded %s cluster(s) and %s task definition family(ies) from %s",
            len(self.clusters),
            len(self.definitions),
            path,
        )

    def _save(self) -> None:
        """Write the registrations atomically (a crash mid-write leaves the previous file)."""
        if self.state_file is None:
            return
        state = {
            "format": _STATE_FORMAT,
            "region": self.region,
            "accountId": self.account_id,
            "clusters": self.clusters,
            "taskDefinitions": self.definitions,
        }
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.state_file.with_name(f".{self.state_file.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(state, indent=1, sort_keys=True))
        os.replace(partial, self.state_file)

    def _arn(self, resource: str) -> str:
        return f"arn:aws:ecs:{self.region}:{self.account_id}:{resource}"

    # clusters
    def create_cluster(self, name: str) -> dict[str, Any]:
        with self.lock:
            if name not in self.clusters:
                self.clusters[name] = {
                    "clusterArn": self._arn(f"cluster/{name}"),
                    "clusterName": name,
                    "status": "ACTIVE",
                    "registeredContainerInstancesCount": 0,
                    "runningTasksCount": 0,
                    "pendingTasksCount": 0,
                    "activeServicesCount": 0,
                    "capacityProviders": ["FARGATE"],
                }
                self._save()
            return self.clusters[name]

    def cluster(self, name_or_arn: str | None) -> dict[str, Any]:
        name = (name_or_arn or "default").rsplit("/", 1)[-1]
        with self.lock:
            if name not in self.clusters:
                raise EcsError("ClusterNotFoundException", f"Cluster not found: {name}")
            found = dict(self.clusters[name])
            found["runningTasksCount"] = sum(
                1
                for task in self.tasks.values()
                if task.cluster_arn == found["clusterArn"] and task.last_status != "STOPPED"
            )
            return found

    # task definitions
    def register(self, request: dict[str, Any]) -> dict[str, Any]:
        family = request.get("family")
        containers = request.get("containerDefinitions") or []
        if not family or not containers:
            raise EcsError("ClientException", "family and containerDefinitions are required")
        with self.lock:
            revisions = self.definitions.setdefault(family, [])
            definition = {
                **{key: value for key, value in request.items() if key != "tags"},
                "family": family,
                "revision": len(revisions) + 1,
                "taskDefinitionArn": self._arn(f"task-definition/{family}:{len(revisions) + 1}"),
                "status": "ACTIVE",
                "registeredAt": time.time(),
                "compatibilities": ["EC2", "FARGATE"],
            }
            revisions.append(definition)
            self._save()
            return definition

    def deregister(self, reference: str) -> dict[str, Any]:
        with self.lock:
            definition = self.definition(reference)
            definition["status"] = "INACTIVE"
            self._save()
            return definition

    def definition(self, reference: str) -> dict[str, Any]:
        name = reference.rsplit("task-definition/", 1)[-1]
        family, _, revision = name.partition(":")
        with self.lock:
            revisions = self.definitions.get(family, [])
            if revision:
                found = next((d for d in revisions if str(d["revision"]) == revision), None)
            else:
                found = next((d for d in reversed(revisions) if d["status"] == "ACTIVE"), None)
        if found is None:
            raise EcsError("ClientException", f"Unable to describe task definition: {reference}")
        return found

    def list_definitions(self, family_prefix: str | None, status: str | None) -> list[str]:
        with self.lock:
            return [
                d["taskDefinitionArn"]
                for family, revisions in sorted(self.definitions.items())
                if not family_prefix or family.startswith(family_prefix)
                for d in revisions
                if d["status"] == (status or "ACTIVE")
            ]

    def new_task_arn(self, cluster_name: str) -> str:
        return self._arn(f"task/{cluster_name}/{uuid.uuid4().hex}")
