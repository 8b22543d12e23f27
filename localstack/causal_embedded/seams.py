"""The private moto seams the embedded stack patches, checked before use.

moto is pinned (5.2.5). If an upgrade moves any of these, ``install`` fails
loudly with :class:`SeamMovedError` naming what moved, instead of the stack
silently falling back to moto's Docker path or echo replies.
"""

from __future__ import annotations

import copy
import functools
import inspect
import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from moto.core.exceptions import JsonRESTError

from causal_common.names import LOCAL_CREDENTIALS
from causal_embedded import event_delivery, lambda_request_ids, sfn_mock_config, stepfunctions_api
from causal_embedded.lambda_runner import FunctionSnapshot, LambdaRunner

logger = logging.getLogger(__name__)

EXPECTED_MOTO_VERSION = "5.2.5"
# moto's DynamoDB reads, checks and writes in plain Python with no lock; DynamoDB
# makes each of these atomic (conditions included), so the emulator serialises them.
# A backup copies a whole table, which must not happen halfway through a transaction (whose
# rollback, ``_transactions_back_up_only_their_items``, briefly makes the table copy as itself).
DYNAMODB_WRITES = (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "batch_write_item",
    "create_backup",
)


class SeamMovedError(RuntimeError):
    pass


class LambdaServiceException(JsonRESTError):
    """Lambda's ``ServiceException``: the service failed, not the function."""

    code = 500

    def __init__(self, message: str) -> None:
        super().__init__("ServiceException", message)


def _require(owner: Any, attribute: str, parameters: list[str]) -> None:
    target = getattr(owner, attribute, None)
    if target is None:
        raise SeamMovedError(
            f"moto seam moved: {owner.__module__}.{owner.__name__}.{attribute} no longer exists "
            f"(pinned moto=={EXPECTED_MOTO_VERSION}); the embedded Lambda runner cannot be installed"
        )
    found = list(inspect.signature(target).parameters)
    if found != parameters:
        raise SeamMovedError(
            f"moto seam moved: {owner.__name__}.{attribute}{tuple(found)} expected {tuple(parameters)} "
            f"(pinned moto=={EXPECTED_MOTO_VERSION})"
        )


def check() -> None:
    """Raise :class:`SeamMovedError` unless every seam is where we expect it."""
    import moto
    from moto.awslambda.models import LambdaBackend, LambdaFunction
    from moto.core.config import default_user_config
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    if moto.__version__ != EXPECTED_MOTO_VERSION:
        logger.warning("moto %s is not the pinned %s; checking seams", moto.__version__, EXPECTED_MOTO_VERSION)
    _require(LambdaFunction, "_invoke_lambda", ["self", "event"])
    _require(LambdaFunction, "invoke", ["self", "body", "request_headers", "response_headers"])
    _check_interpreter_seams()
    _require(LambdaBackend, "create_function", ["self", "spec"])
    _require(LambdaBackend, "get_function", ["self", "function_name_or_arn", "qualifier"])
    from moto.events.models import Rule
    from moto.stepfunctions.responses import StepFunctionResponse

    _require(Rule, "send_to_targets", ["self", "original_event", "transform_input"])
    _require(StepFunctionResponse, "send_task_failure", ["self"])
    from moto.dynamodb.models import DynamoDBBackend

    for method in DYNAMODB_WRITES:
        if not callable(getattr(DynamoDBBackend, method, None)):
            raise SeamMovedError(
                f"moto seam moved: DynamoDBBackend.{method} no longer exists (pinned moto=={EXPECTED_MOTO_VERSION})"
            )
    _require(
        StepFunctionsParserBackend,
        "start_execution",
        ["self", "state_machine_arn", "name", "execution_input", "trace_header"],
    )
    for attribute in (
        "code_bytes",
        "code_sha_256",
        "handler",
        "timeout",
        "environment_vars",
        "memory_size",
        "logs_backend",
    ):
        if attribute not in inspect.getsource(LambdaFunction):
            raise SeamMovedError(f"moto seam moved: LambdaFunction no longer sets {attribute}")
    if (
        "stepfunctions" not in default_user_config
        or "execute_state_machine" not in default_user_config["stepfunctions"]
    ):
        raise SeamMovedError("moto seam moved: config key stepfunctions.execute_state_machine is gone")
    from moto.moto_api._internal import urls as moto_api_urls

    if not isinstance(getattr(moto_api_urls, "url_paths", None), dict):
        raise SeamMovedError("moto seam moved: moto.moto_api._internal.urls.url_paths is gone")
    _check_server_seams()
    _check_transaction_seam()


def _check_interpreter_seams() -> None:
    """What the request ids, TestState and redrive rely on in moto's ASL interpreter."""
    from moto.core.responses import BaseResponse
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    _require(BaseResponse, "_enrich_response", ["headers", "body"])
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    from moto.stepfunctions.parser.backend.test_state.execution import TestStateExecution
    from moto.stepfunctions.responses import StepFunctionResponse

    _require(StepFunctionResponse, "describe_execution", ["self"])
    _require(StepFunctionResponse, "list_executions", ["self"])
    _require(ExecutionWorker, "_execution_logic", ["self"])
    _require(TestStateExecution, "to_test_state_output", ["self", "inspection_level"])
    _check_mock_seams()
    for function, parameters in (
        ("execute_lambda_function_integration", ["env", "parameters", "region", "state_credentials"]),
        ("_invoke_lambda_function", ["parameters", "region", "state_credentials"]),
    ):
        found = getattr(lambda_eval_utils, function, None)
        if found is None or list(inspect.signature(found).parameters) != parameters:
            raise SeamMovedError(f"moto seam moved: lambda_eval_utils.{function}{tuple(parameters)} is gone")


def _check_mock_seams() -> None:
    """What mocked service integrations (``sfn_mock_config``) rely on: moto's mock classes and the
    worker's ``mock_test_case``, which the interpreter's Task states already consult."""
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    from moto.stepfunctions.parser.mocking import mock_config

    _require(Execution, "_get_start_execution_worker", ["self"])
    _require(Environment, "get_current_mocked_response", ["self"])
    _require(Environment, "is_mocked_mode", ["self"])
    _require(mock_config.MockedResponseReturn, "__init__", ["self", "range_start", "range_end", "payload"])
    _require(mock_config.MockedResponseThrow, "__init__", ["self", "range_start", "range_end", "error", "cause"])
    _require(
        mock_config.StateMockedResponses, "__init__", ["self", "state_name", "mocked_response_name", "mocked_responses"]
    )
    _require(
        mock_config.MockTestCase,
        "__init__",
        ["self", "state_machine_name", "test_case_name", "state_mocked_responses_list"],
    )
    if "mock_test_case=self._mock_test_case" not in inspect.getsource(ExecutionWorker._get_evaluation_environment):
        raise SeamMovedError("moto seam moved: ExecutionWorker no longer hands _mock_test_case to the interpreter")


def _check_transaction_seam() -> None:
    """What ``_transactions_back_up_only_their_items`` relies on: moto's whole-table backup and rollback."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    source = inspect.getsource(DynamoDBBackend.transact_write_items)
    for expected in ("copy.deepcopy(", "self.tables[table_name] = original_table_state[table_name]"):
        if expected not in source:
            raise SeamMovedError(f"moto seam moved: DynamoDBBackend.transact_write_items no longer has {expected!r}")
    for attribute in ("get_item", "items", "hash_key_attr", "range_key_attr", "stream_shard"):
        if attribute not in inspect.getsource(Table):
            raise SeamMovedError(f"moto seam moved: dynamodb Table.{attribute} no longer exists")


def _check_server_seams() -> None:
    """What the guarded server and the signing interpreter rely on."""
    from moto.moto_server import werkzeug_app
    from moto.stepfunctions.parser.asl.utils import boto_client

    for attribute in ("DomainDispatcherApplication", "MotoRequestHandler", "create_backend_app", "DISABLE_GLOBAL_CORS"):
        if not hasattr(werkzeug_app, attribute):
            raise SeamMovedError(f"moto seam moved: moto.moto_server.werkzeug_app.{attribute} no longer exists")
    if "DISABLE_GLOBAL_CORS" not in inspect.getsource(werkzeug_app.create_backend_app):
        raise SeamMovedError("moto seam moved: create_backend_app no longer reads DISABLE_GLOBAL_CORS")
    if "backends.list_of_moto_modules()" not in inspect.getsource(
        werkzeug_app.DomainDispatcherApplication.get_backend_for_host
    ):
        raise SeamMovedError("moto seam moved: the dispatcher no longer calls backends.list_of_moto_modules()")
    source = inspect.getsource(boto_client.boto_client_for)
    if not hasattr(boto_client, "boto3") or "boto3.client(" not in source or "aws_access_key_id" not in source:
        raise SeamMovedError(
            "moto seam moved: the Step Functions interpreter no longer builds clients with boto3.client"
        )


def snapshot_of(function: Any) -> FunctionSnapshot:
    return FunctionSnapshot(
        name=function.function_name,
        arn=function.function_arn,
        handler=function.handler or "",
        runtime=function.run_time or "python3.12",
        timeout=float(function.timeout or 3),
        memory_size=int(function.memory_size or 128),
        version=str(function.version or "$LATEST"),
        region=function.region,
        code_sha256=function.code_sha_256 or "",
        environment=tuple(sorted((str(k), str(v)) for k, v in (function.environment_vars or {}).items())),
        code_bytes=function.code_bytes or b"",
    )


def install(
    runner: LambdaRunner,
    *,
    prewarm: bool = True,
    credentials: tuple[str, str] = LOCAL_CREDENTIALS,
    mock_config: sfn_mock_config.MockConfigFile | None = None,
) -> None:
    """Route moto's Lambda invokes to ``runner``; name unnamed executions; run state machines.

    With ``prewarm``, each created function gets one warm worker in the background.
    The Step Functions interpreter's calls back into the emulator are signed with ``credentials``.
    ``StartExecution`` on ``<stateMachineArn>#<test case>`` runs the test case of ``mock_config``.
    """
    check()
    from moto.awslambda.models import LambdaBackend, LambdaFunction
    from moto.core.config import default_user_config
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    def invoke_locally(self: Any, event: Any = None) -> tuple[str, bool, str]:
        try:
            result = runner.invoke(snapshot_of(self), {} if event is None else event)
        except OSError as exc:
            # The runner itself failed (no worker could be started, the code not unpacked):
            # Lambda's own failure, which AWS reports as ServiceException (HTTP 500).
            # Step Functions sees Lambda.ServiceException and its Retry runs the task again.
            logger.exception("local runner failed for %s", self.function_name)
            raise LambdaServiceException(f"the local Lambda runner failed: {exc}") from exc
        lambda_request_ids.remember(result.request_id)
        return result.payload, result.errored, "\n".join(result.logs[-40:])

    original_start = StepFunctionsParserBackend.start_execution

    def start_execution(
        self: Any,
        state_machine_arn: str,
        name: str | None = None,
        execution_input: Any = None,
        trace_header: Any = None,
    ) -> Any:
        # moto names an unnamed execution "None" (and the second one collides); AWS uses a UUID.
        return original_start(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)

    original_create = LambdaBackend.create_function

    def create_function(self: Any, spec: dict[str, Any]) -> Any:
        function = original_create(self, spec)
        if prewarm:
            runner.prewarm(snapshot_of(function))
        return function

    _serve_runner_status(runner)
    _sign_interpreter_calls(credentials)
    _list_moto_modules_once()
    # The guard answers allowed origins itself; moto's server would echo any origin.
    from moto.moto_server import werkzeug_app

    werkzeug_app.DISABLE_GLOBAL_CORS = True
    _patch(LambdaFunction, "_invoke_lambda", invoke_locally)
    lambda_request_ids.install()
    stepfunctions_api.install()
    event_delivery.install()
    _patch(LambdaBackend, "create_function", create_function)
    _transactions_back_up_only_their_items()
    _make_dynamodb_writes_atomic()
    _patch(StepFunctionsParserBackend, "start_execution", start_execution)
    sfn_mock_config.install(mock_config.current if mock_config is not None else lambda: None, _patch)
    default_user_config["stepfunctions"]["execute_state_machine"] = True


def _patch(owner: type, attribute: str, replacement: Callable[..., Any]) -> None:
    """Replace one of moto's methods with ours: a seam ``check`` has verified is still there."""
    setattr(owner, attribute, replacement)


RUNNER_STATUS_PATH = "/moto-api/causal/lambda-workers"


def _serve_runner_status(runner: LambdaRunner) -> None:
    """``GET /moto-api/causal/lambda-workers``: the runner's workers and the deaths it saw,
    beside moto's own admin routes (read before moto builds its app)."""
    from moto.moto_api._internal import urls as moto_api_urls

    def lambda_workers(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
        return 200, {"Content-Type": "application/json"}, json.dumps(runner.status())

    moto_api_urls.url_paths["{0}" + RUNNER_STATUS_PATH + "$"] = lambda_workers


class _SigningBoto3:
    """Stands in for ``boto3`` in the interpreter's client factory: same clients, the stack's keys
    (moto signs its calls to itself with the dummy pair ak/sk, which the guard refuses).

    moto builds a new client for every task state it runs (about 15 ms each, and a
    new connection); a client with the same settings is built once and kept.
    botocore's clients are thread-safe, and their pool is sized for concurrent executions.
    """

    POOL_CONNECTIONS = 64
    # What the interpreter's config sets; two configs that agree on these build the same client.
    CONFIG_OPTIONS = ("connect_timeout", "read_timeout", "retries", "parameter_validation", "region_name")

    def __init__(self, credentials: tuple[str, str]) -> None:
        self._credentials = credentials
        self._clients: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()

    def client(self, *args: Any, **kwargs: Any) -> Any:
        import boto3
        from botocore.config import Config

        kwargs["aws_access_key_id"], kwargs["aws_secret_access_key"] = self._credentials
        config = kwargs.get("config")
        options = [repr(getattr(config, name, None)) for name in self.CONFIG_OPTIONS]
        key = (args, tuple(sorted((k, v) for k, v in kwargs.items() if k != "config")), tuple(options))
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                pool = Config(max_pool_connections=self.POOL_CONNECTIONS)
                kwargs["config"] = config.merge(pool) if config is not None else pool
                client = self._clients[key] = boto3.client(*args, **kwargs)
        return client


def _sign_interpreter_calls(credentials: tuple[str, str]) -> None:
    from moto.stepfunctions.parser.asl.utils import boto_client

    boto_client.boto3 = _SigningBoto3(credentials)


def _list_moto_modules_once() -> None:
    """moto's dispatcher lists its own package directory (a ``stat`` per service) on every
    request to match the host; the installed package does not change while it runs."""
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: iter(modules)


class _ItemBackup:
    """The items a transaction may change, as they were before it, to put back if it is cancelled."""

    def __init__(self, backend: Any, transact_items: list[dict[str, Any]]) -> None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        self.tables: dict[str, Any] = {}
        self._items: list[tuple[Any, Any, Any, Any]] = []
        self._streams: list[tuple[Any, int]] = []
        for entry in transact_items:
            _, operation = next(iter(entry.items()))
            table = backend.tables.get(operation.get("TableName"))
            if table is None:
                continue  # moto reports the missing table itself; nothing of it to put back
            attributes = operation["Item"] if "Item" in operation else operation["Key"]
            hash_key = DynamoType(attributes[table.hash_key_attr])
            range_key = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
            before = table.get_item(hash_key, range_key)
            self._items.append((table, hash_key, range_key, copy.deepcopy(before)))
            if table.name not in self.tables:
                self.tables[table.name] = table
                if table.stream_shard is not None:
                    self._streams.append((table.stream_shard, len(table.stream_shard.items)))

    def restore(self) -> None:
        for table, hash_key, range_key, before in reversed(self._items):
            container = table.items if range_key is None else table.items.setdefault(hash_key, {})
            key = hash_key if range_key is None else range_key
            if before is None:
                container.pop(key, None)
            else:
                container[key] = before
            if range_key is not None and not container:
                table.items.pop(hash_key, None)  # no empty partition left behind
        for shard, length in self._streams:
            del shard.items[length:]


def _transactions_back_up_only_their_items() -> None:
    """moto backs up every table a transaction touches, whole (``copy.deepcopy``), to roll back a
    cancelled one: 10 µs per stored item per transaction, so each frame the outbox numbers got
    slower as the session history grew (50 ms with 5,000 frames stored). The same rollback,
    from a copy of only the items the transaction names; the whole-table copy is skipped."""
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        try:
            backup = _ItemBackup(self, transact_items)
        except (KeyError, TypeError, AttributeError, StopIteration):
            return original(self, transact_items)  # a malformed request: moto's own checks answer it
        for table in backup.tables.values():
            # moto's rollback puts back what deepcopy returned: the table itself, then restore() its items.
            table.__deepcopy__ = lambda memo, table=table: table
        try:
            return original(self, transact_items)
        except Exception:
            backup.restore()
            raise
        finally:
            for table in backup.tables.values():
                del table.__deepcopy__

    _patch(DynamoDBBackend, "transact_write_items", transact_write_items)


def _make_dynamodb_writes_atomic() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()

    def atomic(method: Any) -> Any:
        @functools.wraps(method)
        def serialised(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return serialised

    for name in DYNAMODB_WRITES:
        setattr(DynamoDBBackend, name, atomic(getattr(DynamoDBBackend, name)))


def write_logs(snapshot: FunctionSnapshot, stream: str, lines: list[str]) -> None:
    """Log sink: Lambda-style lines into CloudWatch Logs ``/aws/lambda/<function>`` inside the emulator."""
    from moto.core.utils import unix_time_millis
    from moto.logs.models import logs_backends

    account = snapshot.arn.split(":")[4]
    backend = logs_backends[account][snapshot.region]
    group = f"/aws/lambda/{snapshot.name}"
    backend.ensure_log_group(group)
    if stream not in backend.groups[group].streams:
        backend.create_log_stream(group, stream)
    now = unix_time_millis()
    backend.put_log_events(group, stream, [{"timestamp": now, "message": line} for line in lines])
