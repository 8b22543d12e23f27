"""``python -m causal_ecs_runner --port N --backend subprocess|docker`` — the local ECS API."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from typing import Any

from causal_common import aws, log
from causal_common.names import ResourceNames
from causal_ecs_runner.api import make_server
from causal_ecs_runner.service import EcsService
from causal_ecs_runner.settings import PASSED_TO_TASKS, RunnerSettings
from causal_ecs_runner.store import Store
from causal_ecs_runner.task_events import TaskEvents
from causal_ecs_runner.watcher import Watcher
from causal_guard import stack_keys
from causal_guard.front_door import FrontDoor, StackCredentials, new_access_key_id, new_secret_access_key
from causal_guard.request_origin import HostAllowList, OriginAllowList

logger = logging.getLogger("causal_ecs_runner")


def make_backend(name: str, settings: RunnerSettings) -> Any:
    if name == "subprocess":
        from causal_ecs_runner.backends.subprocess import SubprocessBackend

        return SubprocessBackend(
            settings.log_dir,
            settings.warm_modules if settings.warm_worker else None,
            code_packages=tuple(filter(None, (name.strip() for name in settings.code_packages.split(",")))),
        )
    if name == "docker":
        from causal_ecs_runner.backends import docker  # written against backends.base

        return docker.DockerBackend.from_environment()
    raise SystemExit(f"unknown backend {name!r}: use subprocess or docker")


def build(settings: RunnerSettings, backend: Any, environ: dict[str, str]) -> tuple[EcsService, Watcher]:
    names = ResourceNames.from_settings(settings, account_id=settings.account_id)
    task_environment = {key: environ[key] for key in PASSED_TO_TASKS if key in environ}
    service = EcsService(
        Store(settings.region, settings.account_id, settings.state_file),
        backend,
        task_environment,
        TaskEvents(aws.client("events", settings)),
    )
    watcher = Watcher(
        service,
        aws.client("dynamodb", settings),
        names,
        poll_seconds=settings.poll_seconds,
        heartbeat_timeout_seconds=settings.heartbeat_timeout_seconds,
    )
    return service, watcher


def front_door(settings: RunnerSettings) -> FrontDoor:
    """The checks every request passes; without credentials of its own the runner makes a pair
    nobody holds, so only the owner's well-known local pair gets in."""
    if settings.access_key_id and settings.secret_access_key:
        credentials = StackCredentials.of(settings.access_key_id, settings.secret_access_key)
    else:
        credentials = StackCredentials.of(new_access_key_id(), new_secret_access_key())
    return FrontDoor(
        "ECS runner",
        HostAllowList.of(settings.allowed_hosts),
        OriginAllowList.of(settings.allowed_origins),
        credentials,
        "ECS_RUNNER_ALLOWED_HOSTS",
        "ECS_RUNNER_ALLOWED_ORIGINS",
    )


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(prog="python -m causal_ecs_runner", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int)
    parser.add_argument("--backend", choices=["subprocess", "docker"])
    options = parser.parse_args(argv)
    try:
        stack_keys.load_into_environment()
    except stack_keys.StackKeysError as exc:
        print(f"causal_ecs_runner: bad configuration: {exc}", file=sys.stderr)
        return 2
    settings = RunnerSettings()
    log.configure(settings.log_level)
    backend = make_backend(options.backend or settings.backend, settings)
    service, watcher = build(settings, backend, dict(os.environ))
    server = make_server(options.host, options.port or settings.port, service, front_door(settings))
    watcher.start()
    signal.signal(signal.SIGTERM, _interrupt)
    logger.info("ECS runner on http://%s:%s (backend %s)", options.host, server.server_address[1], backend.name)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        watcher.close()
        server.server_close()
        if hasattr(backend, "close"):
            backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
