"""The ECS operations: validate a request, change the store, start or stop containers."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from causal_common.errors import CausalStackError
from causal_ecs_runner.backends.base import ContainerSpec, TaskBackend
from causal_ecs_runner.store import EcsError, Store, Task
from causal_ecs_runner.task_events import TaskEvents

logger = logging.getLogger(__name__)


def _environment(pairs: list[dict[str, str]] | None) -> dict[str, str]:
    return {pair["name"]: str(pair.get("value", "")) for pair in pairs or [] if "name" in pair}


class EcsService:
    def __init__(
        self,
        store: Store,
        backend: TaskBackend,
        task_environment: dict[str, str],
        events: TaskEvents | None = None,
    ) -> None:
        self.store, self.backend, self.task_environment = store, backend, task_environment
        # Where a task's stop is reported (EventBridge, as ECS does); None: nowhere.
        self.events = events

    def handle(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        method = getattr(self, f"op_{operation}", None)
        if method is None:
            raise EcsError(
                "InvalidParameterException", f"operation {operation} is not supported by the local ECS runner"
            )
        return method(request)

    # clusters
    def op_CreateCluster(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"cluster": self.store.create_cluster(request.get("clusterName") or "default")}

    def op_DescribeClusters(self, request: dict[str, Any]) -> dict[str, Any]:
        clusters, failures = [], []
        for reference in request.get("clusters") or ["default"]:
            try:
                clusters.append(self.store.cluster(reference))
            except EcsError:
                failures.append({"arn": reference, "reason": "MISSING"})
        return {"clusters": clusters, "failures": failures}

    def op_ListClusters(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.lock:
            return {"clusterArns": [cluster["clusterArn"] for cluster in self.store.clusters.values()]}

    # task definitions
    def op_RegisterTaskDefinition(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"taskDefinition": self.store.register(request), "tags": request.get("tags", [])}

    def op_DescribeTaskDefinition(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"taskDefinition": self.store.definition(request.get("taskDefinition", "")), "tags": []}

    def op_ListTaskDefinitions(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"taskDefinitionArns": self.store.list_definitions(request.get("familyPrefix"), request.get("status"))}

    def op_DeregisterTaskDefinition(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"taskDefinition": self.store.deregister(request.get("taskDefinition", ""))}

    # tasks
    def op_RunTask(self, request: dict[str, Any]) -> dict[str, Any]:
        cluster = self.store.cluster(request.get("cluster"))
        definition = self.store.definition(request.get("taskDefinition", ""))
        count = int(request.get("count") or 1)
        if not 1 <= count <= 10:
            raise EcsError("InvalidParameterException", "count must be between 1 and 10")
        overrides = request.get("overrides") or {}
        tasks = [self._start(cluster, definition, overrides, request.get("startedBy")) for _ in range(count)]
        return {"tasks": [task.to_api() for task in tasks], "failures": []}

    def _start(
        self, cluster: dict[str, Any], definition: dict[str, Any], overrides: dict[str, Any], started_by: str | None
    ) -> Task:
        container_definition = definition["containerDefinitions"][0]
        name = container_definition.get("name", "task")
        container_override: dict[str, Any] = next(
            (o for o in overrides.get("containerOverrides", []) if o.get("name") in (None, name)), {}
        )
        environment = {
            **self.task_environment,
            **_environment(container_definition.get("environment")),
            **_environment(container_override.get("environment")),
        }
        command = container_override.get("command") or container_definition.get("command") or []
        task = Task(
            arn=self.store.new_task_arn(cluster["clusterName"]),
            cluster_arn=cluster["clusterArn"],
            definition=definition,
            overrides={
                "containerOverrides": overrides.get("containerOverrides", []),
                "inferenceAcceleratorOverrides": [],
            },
            environment=environment,
            container_name=name,
            started_by=started_by,
        )
        spec = ContainerSpec(
            task_arn=task.arn,
            family=definition["family"],
            container_name=name,
            image=container_definition.get("image", ""),
            command=list(command),
            environment=environment,
            cpu=_int(definition.get("cpu")),
            memory_mib=_int(definition.get("memory")),
        )
        with self.store.lock:
            self.store.tasks[task.arn] = task
        try:
            task.container = self.backend.start(spec)
        except CausalStackError as exc:
            logger.warning("task %s could not start: %s", task.arn, exc.message)
            self.mark_stopped(task, "TaskFailedToStart", f"CannotStartContainerError: {exc.message}", None)
            return task
        task.last_status, task.started_at = "RUNNING", time.time()
        logger.info("task %s started (%s)", task.arn, " ".join(command))
        response_copy = Task(**{**task.__dict__})
        response_copy.last_status = "PENDING"
        return response_copy

    def op_DescribeTasks(self, request: dict[str, Any]) -> dict[str, Any]:
        found, failures = [], []
        with self.store.lock:
            for reference in request.get("tasks") or []:
                task = self._find(reference)
                if task is None:
                    failures.append({"arn": reference, "reason": "MISSING"})
                else:
                    found.append(task.to_api())
        return {"tasks": found, "failures": failures}

    def op_ListTasks(self, request: dict[str, Any]) -> dict[str, Any]:
        cluster = self.store.cluster(request.get("cluster"))
        family = request.get("family")
        desired = request.get("desiredStatus") or "RUNNING"
        with self.store.lock:
            arns = [
                task.arn
                for task in self.store.tasks.values()
                if task.cluster_arn == cluster["clusterArn"]
                and task.desired_status == desired
                and (not family or task.definition["family"] == family)
                and (not request.get("startedBy") or task.started_by == request.get("startedBy"))
            ]
        return {"taskArns": arns}

    def op_StopTask(self, request: dict[str, Any]) -> dict[str, Any]:
        self.store.cluster(request.get("cluster"))
        task = self._find(request.get("task", ""))
        if task is None:
            raise EcsError("InvalidParameterException", f"The referenced task was not found: {request.get('task')}")
        self.stop(task, "UserInitiated", request.get("reason") or "Task stopped by user")
        return {"task": task.to_api()}

    def stop(self, task: Task, stop_code: str, reason: str) -> None:
        with self.store.lock:
            if task.desired_status == "STOPPED":
                return
            task.desired_status, task.stop_code, task.stopped_reason = "STOPPED", stop_code, reason
            if task.last_status == "RUNNING":
                task.last_status = "DEACTIVATING"
        if task.container is not None:
            threading.Thread(target=self.backend.stop, args=(task.container,), daemon=True).start()

    def mark_stopped(
        self, task: Task, stop_code: str, reason: str, exit_code: int | None, container_reason: str | None = None
    ) -> None:
        """STOPPED, keeping a stop code and reason given earlier (StopTask); then the state change event."""
        with self.store.lock:
            task.last_status, task.desired_status, task.stopped_at = "STOPPED", "STOPPED", time.time()
            task.stop_code = task.stop_code or stop_code
            task.stopped_reason = task.stopped_reason or reason
            task.exit_code = exit_code
            task.container_reason = container_reason
        if self.events is not None:
            self.events.send(task)

    def _find(self, reference: str) -> Task | None:
        if reference in self.store.tasks:
            return self.store.tasks[reference]
        return next((task for arn, task in self.store.tasks.items() if arn.endswith("/" + reference)), None)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
