"""``deploy(config)``: every resource of the manifest, update-or-create, in dependency order."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
    WaiterError,
)

from causal_common.aws import error_code, error_message
from causal_deploy import (
    bundled_data,
    container_registry,
    ecs_tasks,
    event_rules,
    iam_roles,
    lambda_functions,
    network,
    secrets_store,
    state_machine,
    storage,
    websocket_api,
)
from causal_deploy.clients import Clients, emulator_python, probe
from causal_deploy.config import DeployConfig, DepsSource, Target
from causal_deploy.errors import DeployError, EndpointUnreachableError, MissingSourceError
from causal_deploy.lambda_zip import LAMBDA_PYTHON_VERSION, Package, PackageBuilder
from causal_deploy.manifest import Manifest, build_manifest
from causal_deploy.report import Action, DeployReport

logger = logging.getLogger(__name__)


def deploy(
    config: DeployConfig,
    *,
    clients: Clients | None = None,
    builder: PackageBuilder | None = None,
    plan: bool = False,
) -> DeployReport:
    """Bring the stack at ``config``'s endpoint to the manifest; a second run changes nothing.

    With ``plan`` nothing is changed: the report says what a deploy would create, change or leave.
    Raises :class:`DeployError` (with what to do) when the deploy cannot go on;
    problems that leave the rest deployable (a function not Active, the ECS
    endpoint down) are in ``report.problems``.
    """
    started = time.monotonic()
    report = DeployReport(target=config.target.value, endpoint_url=config.endpoint_url, plan=plan)
    if config.endpoint_url:
        _require_endpoint(config)
    clients = clients or Clients(config)
    if builder is None:
        python_version, deps_source = _lambda_python(config)
        builder = PackageBuilder(config.lambdas_dir, config.build_dir, deps_source, python_version=python_version)
    background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="datasets")
    try:
        datasets = (
            background.submit(bundled_data.prepare, config.datasets_cache_dir) if config.publish_datasets else None
        )
        _deploy_resources(config, clients, builder, report, datasets)
    finally:
        background.shutdown(wait=False)  # on an error, do not wait for the datasets to be generated
    report.seconds = time.monotonic() - started
    logger.info("deploy finished: %s", report.counts())
    return report


def _deploy_resources(
    config: DeployConfig,
    clients: Clients,
    builder: PackageBuilder,
    report: DeployReport,
    datasets: Future[bundled_data.Bundled | str] | None,
) -> None:

    with aws_errors(config, "reading the account id"):
        manifest = build_manifest(config, clients.account_id)
    if not manifest.state_machine.definition_file.is_file():
        state_machine.render_definition(manifest.state_machine, {})  # raises the clear "missing" error
    packages = _build_packages(manifest, builder)
    tags = manifest.tags
    api_id: str | None = None
    if manifest.aws is not None:
        # Checked before anything changes; then the API first: the functions' callback URL is its endpoint.
        with aws_errors(config, "checking the tasks' network settings"):
            network.validate(clients.ec2, manifest.aws.network)
        with aws_errors(config, "creating the WebSocket API"):
            api_id = websocket_api.ensure_api(
                clients.apigatewayv2, manifest.aws.websocket_api, manifest.names, report, tags
            )
        manifest = build_manifest(config, manifest.names.account_id, api_id)

    with aws_errors(config, "creating tables"):
        for table in manifest.tables:
            storage.ensure_table(clients.dynamodb, table, report, tags)
    with aws_errors(config, "creating buckets"):
        for bucket in manifest.buckets:
            storage.ensure_bucket(clients.s3, bucket, config.region, report, tags)
    with aws_errors(config, "writing secrets"):
        for secret in manifest.secrets:
            secrets_store.ensure_secret(clients.secretsmanager, secret, config, report, tags)
    with aws_errors(config, "creating IAM roles"):
        role_arns = {
            role.name: iam_roles.ensure_role(clients.iam, role, report, account_id=manifest.names.account_id, tags=tags)
            for role in manifest.roles
        }
    if manifest.aws is not None:
        with aws_errors(config, "creating the log groups and the image repository"):
            for log_group in manifest.aws.log_groups:
                container_registry.ensure_log_group(clients.logs, log_group, report, tags)
            container_registry.ensure_repository(clients.ecr, manifest.aws.repository, report, tags)

    function_arns: dict[str, str] = {}
    for spec in manifest.functions:
        with aws_errors(config, f"deploying function {spec.name}"):
            code = lambda_functions.CodeLocation(packages[spec.short_name], clients.s3, manifest.names.artifacts_bucket)
            function_arns[spec.short_name] = lambda_functions.ensure_function(
                clients.awslambda,
                spec,
                code,
                role_arns[spec.role or manifest.lambda_role.name],
                report,
                arn=manifest.names.function_arn(spec.short_name),
                tags=tags,
            )
    if not report.plan:
        with aws_errors(config, "waiting for functions to become Active"):
            lambda_functions.wait_until_active(
                clients.awslambda, [spec.name for spec in manifest.functions], config.active_timeout_seconds, report
            )
    if manifest.aws is not None:
        with aws_errors(config, "wiring the WebSocket API"):
            websocket_api.ensure_wiring(
                clients.apigatewayv2,
                clients.awslambda,
                manifest.aws.websocket_api,
                api_id,
                manifest.names,
                report,
                tags,
            )

    with aws_errors(config, "creating the EventBridge rules"):
        for rule in manifest.rules:
            event_rules.ensure_rule(
                clients.events,
                clients.awslambda,
                rule,
                manifest.names.function(rule.function),
                function_arns[rule.function],
                report,
                tags,
            )

    definition = state_machine.render_definition(manifest.state_machine, function_arns)
    with aws_errors(config, "deploying the state machine"):
        state_machine.ensure_state_machine(
            clients.stepfunctions,
            manifest.state_machine,
            f"arn:aws:states:{config.region}:{manifest.names.account_id}:stateMachine:{manifest.state_machine.name}",
            definition,
            role_arns[manifest.states_role.name],
            report,
            tags,
        )

    _deploy_ecs(config, clients, manifest, role_arns, report)

    if datasets is not None:
        with aws_errors(config, "publishing the bundled datasets"):
            bundled_data.publish_prepared(clients.s3, manifest.names, datasets.result(), report)
    if not report.plan:
        with aws_errors(config, "marking the stack deployed"):
            secrets_store.mark_deployed(clients.secretsmanager, manifest.names.token_signing_key_secret)


def _require_endpoint(config: DeployConfig) -> None:
    """Wait for the endpoint to answer, up to ``endpoint_wait_seconds``: on a loaded
    machine a just-started emulator can miss one probe."""
    url = config.endpoint_url or ""
    deadline = time.monotonic() + config.endpoint_wait_seconds
    attempts, pause = 0, 0.25
    while True:
        attempts += 1
        remaining = deadline - time.monotonic()
        problem = probe(url, timeout=max(0.5, min(5.0, remaining)))
        if problem is None:
            if attempts > 1:
                logger.info("%s answered after %s attempts", url, attempts)
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        logger.info("waiting for %s (%s); %.0f s left", url, problem, remaining)
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, 2.0)
    raise EndpointUnreachableError(
        f"nothing answers at {url} ({problem}; {attempts} attempts in {config.endpoint_wait_seconds:.0f} s). "
        "Start the stack first (`causal-stack up` for the embedded emulator, `docker compose up` for LocalStack), "
        "pass the right --endpoint-url, or wait longer with DEPLOY_ENDPOINT_WAIT=<seconds>"
    )


def _lambda_python(config: DeployConfig) -> tuple[str, DepsSource]:
    """The Python the functions will run on, and where their packages come from.

    LocalStack and AWS run python3.12. The project's emulator runs handlers with
    its own interpreter, which it reports: zips copied from this interpreter's
    packages only work there when both are the same version (compiled packages
    such as pydantic-core are built per version); otherwise pip fetches wheels
    for the emulator's version.
    """
    assert config.deps_source is not None
    if config.target is not Target.EMBEDDED:
        return LAMBDA_PYTHON_VERSION, config.deps_source
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    workers = emulator_python(config.endpoint_url or "") or here
    if workers != here and config.deps_source is DepsSource.LOCAL:
        logger.warning(
            "the emulator runs Lambda handlers on Python %s, this deployer on %s: "
            "packaging with pip wheels for %s instead of this interpreter's packages",
            workers,
            here,
            workers,
        )
        return workers, DepsSource.PIP
    return workers, config.deps_source


def _build_packages(manifest: Manifest, builder: PackageBuilder) -> dict[str, Package]:
    missing = [
        str(spec.source_dir / "handler.py")
        for spec in manifest.functions
        if not (spec.source_dir / "handler.py").is_file()
    ]
    if missing:
        raise MissingSourceError(
            f"{len(missing)} function handler(s) missing: {', '.join(missing)}; every function folder in "
            "lambdas/ needs handler.py with handler(event, context)"
        )
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="zip") as pool:
        built = pool.map(lambda spec: builder.build(spec.short_name, spec.source_dir), manifest.functions)
        packages = {package.function: package for package in built}
    cached = sum(package.from_cache for package in packages.values())
    logger.info("packages ready: %s built, %s from cache", len(packages) - cached, cached)
    return packages


def _deploy_ecs(
    config: DeployConfig, clients: Clients, manifest: Manifest, role_arns: dict[str, str], report: DeployReport
) -> None:
    ecs_url = config.ecs_endpoint_url
    if config.target is not Target.AWS and ecs_url and probe(ecs_url) is not None:
        for name in (manifest.cluster, *(task.family for task in manifest.task_definitions)):
            report.add(
                "cluster" if name == manifest.cluster else "task-definition", name, Action.SKIPPED, "ECS endpoint down"
            )
        report.problem(
            "ECS",
            f"the ECS endpoint {ecs_url} is not reachable, so the cluster and task definitions were not deployed",
            "start the local ECS runner (`causal-stack up` starts it; compose: the ecs-runner service) "
            "or pass --ecs-endpoint-url, then deploy again",
        )
        return
    with aws_errors(config, "deploying the ECS cluster and task definitions"):
        ecs_tasks.ensure_cluster(clients.ecs, manifest.cluster, report, manifest.tags)
        execution_role = role_arns[manifest.aws.execution_role] if manifest.aws is not None else None
        for task in manifest.task_definitions:
            ecs_tasks.ensure_task_definition(
                clients.ecs,
                task,
                role_arns[manifest.task_role.name],
                report,
                execution_role_arn=execution_role,
                region=config.region,
                tags=manifest.tags,
            )


@contextmanager
def aws_errors(config: DeployConfig, step: str) -> Iterator[None]:
    """Turn botocore's errors into one clear DeployError naming the step."""
    where = config.endpoint_url or f"AWS ({config.region})"
    try:
        yield
    except (EndpointConnectionError, ConnectTimeoutError) as exc:
        raise EndpointUnreachableError(f"lost the connection to {where} while {step}: {exc}") from exc
    except ReadTimeoutError as exc:
        raise EndpointUnreachableError(f"{where} stopped answering while {step}: {exc}") from exc
    except NoCredentialsError as exc:
        raise DeployError(
            f"no AWS credentials while {step}: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
            "(any value, e.g. test/test, for a local endpoint) or AWS_PROFILE"
        ) from exc
    except WaiterError as exc:
        raise DeployError(f"gave up waiting while {step}: {exc}") from exc
    except ClientError as exc:
        raise DeployError(f"{where} refused a request while {step}: {error_code(exc)}: {error_message(exc)}") from exc
