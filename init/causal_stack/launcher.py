"""``causal-stack up``: the embedded stack in child processes, deployed, until Ctrl-C.

Order: the emulator and the ECS runner start together; the deployer then
creates every resource against them; the gateway (with the dashboard) starts
last. One line containing ``ready`` is printed once every service answers.
A child that dies is restarted with back-off (``causal_stack.supervisor``,
which also says what each restart costs); Ctrl-C or SIGTERM stops every child.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from causal_common.errors import CausalStackError
from causal_common.settings import DEFAULT_PREFIX, DEFAULT_REGION
from causal_dashboard.operator_login import OperatorLogin, new_operator_key
from causal_stack import state_files
from causal_stack.credentials import STACK_DIR, StackDirectoryError, StackKeys, ensure_keys
from causal_stack.deployment_check import DeploymentCheck
from causal_stack.supervisor import StartLimitHit, Supervisor
from causal_stack.supervisor_state import state_path

ROOT = Path(__file__).resolve().parents[2]
START_LIMIT_SECONDS = 60.0
# The old stack's second dashboard (resource counts) answered here; scripts still call it.
RESOURCES_PORT = 4567
STOP_GRACE_SECONDS = 5.0
# The emulator writes the state it keeps when it stops: time for a large state.
EMULATOR_STOP_GRACE_SECONDS = 60.0


class LaunchError(CausalStackError):
    code = "LaunchError"


class Interrupted(Exception):
    """Ctrl-C or SIGTERM arrived while the stack was starting."""


@dataclass
class Service:
    name: str
    argv: list[str]
    health_url: str
    process: subprocess.Popen | None = None
    # This service's own variables on top of the stack's (kept across restarts).
    extra_env: dict[str, str] = field(default_factory=dict)
    # How long a stop may take before the service is killed (the emulator saves its state then).
    stop_grace_seconds: float = STOP_GRACE_SECONDS

    def start(self, env: dict[str, str], log_dir: Path) -> None:
        log_path = log_dir / f"{self.name}.log"
        self._log = open(log_path, "ab", buffering=0)  # noqa: SIM115 - closed in stop()
        self.log_path = log_path
        self.process = subprocess.Popen(
            self.argv,
            env={**env, **self.extra_env},
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_healthy(self, deadline: float, stopping: threading.Event) -> None:
        assert self.process is not None
        while time.monotonic() < deadline:
            if stopping.is_set():
                raise Interrupted()
            if self.process.poll() is not None:
                raise LaunchError(
                    f"{self.name} exited with status {self.process.returncode} while starting; "
                    f"last lines of {self.log_path}:\n{self.tail()}"
                )
            try:
                with urllib.request.urlopen(self.health_url, timeout=2) as response:
                    if response.status < 500:
                        return
            except (urllib.error.URLError, OSError):
                pass
            stopping.wait(0.1)
        raise LaunchError(
            f"{self.name} did not answer {self.health_url} within {START_LIMIT_SECONDS:.0f} s:\n{self.tail()}"
        )

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no output)"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # A service's own children (Lambda workers, the ECS runner's warm worker
            # and tasks) may sit in other sessions: remember them before stopping it.
            try:
                descendants = psutil.Process(self.process.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                descendants = []
            self.process.terminate()
            try:
                self.process.wait(timeout=self.stop_grace_seconds)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            _, alive = psutil.wait_procs(descendants, timeout=STOP_GRACE_SECONDS)
            for leftover in alive:
                try:
                    leftover.kill()
                except psutil.NoSuchProcess:
                    pass
        if getattr(self, "_log", None):
            self._log.close()


def _require_free(host: str, port: int, flag: str) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise LaunchError(
                f"port {port} on {host} is in use ({exc.strerror}): another stack or program has it; "
                f"stop it or choose another port with {flag} N"
            ) from exc


def _resources_port(host: str, port: int, gateway_port: int) -> tuple[int, str | None]:
    """The old stack's dashboard port if it can be served, else 0 and a note why."""
    if not port or port == gateway_port:
        return 0, None
    try:
        _require_free(host, port, "--resources-port")
    except LaunchError:
        return 0, (
            f"note: port {port} on {host} is in use by another program or stack, so the old dashboard address "
            f"is not served; stop that program or choose another port with --resources-port N "
            "(the dashboard stays on the gateway port)"
        )
    return port, None


def _resources_note(host: str, port: int) -> str:
    if not port:
        return "resources on the gateway port only"
    url = f"http://{host}:{port}"
    if probe_http(url + "/health"):
        return f"resources {url}/api/resources"
    return f"resources port {port} not served (taken meanwhile? see the gateway log)"


def probe_http(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except (urllib.error.URLError, OSError):
        return False


def stack_environment(
    host: str, aws_port: int, gateway_port: int, ecs_port: int, keys: StackKeys | None = None
) -> dict[str, str]:
    """The environment every child gets. Credentials are the stack's own (``.stack/credentials``),
    which no real AWS account knows; no other ``AWS_*`` variable of the caller's is passed on."""
    keys = keys or ensure_keys(STACK_DIR)
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": keys.access_key_id,
            "AWS_SECRET_ACCESS_KEY": keys.secret_access_key,
            "AWS_DEFAULT_REGION": DEFAULT_REGION,
            "AWS_REGION": DEFAULT_REGION,
            "AWS_ENDPOINT_URL": f"http://{host}:{aws_port}",
            "AWS_ENDPOINT_URL_ECS": f"http://{host}:{ecs_port}",
            "RESOURCE_PREFIX": env.get("RESOURCE_PREFIX", DEFAULT_PREFIX),
            "WEBSOCKET_CALLBACK_URL": f"http://{host}:{gateway_port}/dev",
            "ARTIFACTS_BASE_URL": f"http://{host}:{gateway_port}/artifacts",
            # A development stack on one machine: POST /auth/token mints tokens for any user id.
            "GATEWAY_DEV_TOKENS": "1",
            # The gateway serves only while the deployed stack is there (503 and error frames while the
            # emulator is restarted or redeployed).
            "GATEWAY_REQUIRE_DEPLOYED": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _operator_key(path: Path) -> str:
    """A fresh dashboard operator key for this run, kept where only this user can read it (as Jupyter
    keeps its runtime files)."""
    key = new_operator_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    os.chmod(path, 0o600)
    return key


def _deploy(env: dict[str, str]) -> None:
    from causal_deploy import DeployConfig, deploy

    # The deploy runs in this process: give it the same credentials as the children.
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
        os.environ[key] = env[key]
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    report = deploy(
        DeployConfig(
            target="embedded",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            ecs_endpoint_url=env["AWS_ENDPOINT_URL_ECS"],
            websocket_callback_url=env["WEBSOCKET_CALLBACK_URL"],
            artifacts_base_url=env["ARTIFACTS_BASE_URL"],
        )
    )
    print(report.summary(), flush=True)
    if not report.ok:
        raise LaunchError("the deploy reported problems (above); the stack is not ready")


def up(
    *,
    aws_port: int = 4566,
    gateway_port: int = 8080,
    ecs_port: int = 4599,
    host: str = "127.0.0.1",
    resources_port: int = RESOURCES_PORT,
    fresh: bool = False,
    state_dir: Path | None = None,
    snapshot_interval: float = 60.0,
    sfn_mock_config: Path | None = None,
    watch: bool = False,
) -> int:
    """``resources_port``: the gateway serves the dashboard and ``/api/resources`` there too
    (the old stack's address); 0 turns it off, and a taken port only costs that address.

    ``state_dir`` (default ``.stack/state``) keeps DynamoDB items, S3 objects, secrets and execution
    records across restarts (:mod:`causal_stack.state_files`); ``fresh`` starts empty and sets the kept
    state aside as a named snapshot.

    ``sfn_mock_config`` (default ``$SFN_MOCK_CONFIG``): the Step Functions mock configuration the
    emulator serves ``<stateMachineArn>#<test case>`` executions from; checked before anything starts.

    ``watch``: redeploy on saved changes (:mod:`causal_stack.hot_reload`); the dashboard lists the reloads."""
    for port, flag in ((aws_port, "--aws-port"), (gateway_port, "--gateway-port"), (ecs_port, "--ecs-port")):
        try:
            _require_free(host, port, flag)
        except LaunchError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    try:
        mock_env = _sfn_mock_config_env(sfn_mock_config)
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    resources_port, resources_problem = _resources_port(host, resources_port, gateway_port)
    log_dir = ROOT / ".stack" / f"logs-{gateway_port}"
    try:
        env = stack_environment(host, aws_port, gateway_port, ecs_port)
        log_dir.mkdir(parents=True, exist_ok=True)
    except StackDirectoryError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    state_dir = state_dir or state_files.DEFAULT_STATE_DIR
    state_lock = state_files.StateLock(state_dir)
    try:
        state_lock.acquire(env["AWS_ENDPOINT_URL"])
        restoring = _state_to_start_from(state_dir, fresh)
    except CausalStackError as exc:
        state_lock.release()
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    python = sys.executable
    emulator = Service(
        "aws",
        [python, "-m", "causal_embedded", "--port", str(aws_port), "--host", host],
        f"http://{host}:{aws_port}/_causal/health",
        # moto's recorder, if someone turns it on, writes beside the stack's logs, never into the checkout.
        extra_env={
            "EMULATOR_STATE_DIR": str(log_dir),
            "EMULATOR_SNAPSHOT_DIR": str(state_dir),
            "EMULATOR_SNAPSHOT_INTERVAL": str(snapshot_interval),
            **mock_env,
        },
        stop_grace_seconds=EMULATOR_STOP_GRACE_SECONDS,
    )
    ecs_runner = Service(
        "ecs-runner",
        [python, "-m", "causal_ecs_runner", "--port", str(ecs_port), "--host", host, "--backend", "subprocess"],
        f"http://{host}:{ecs_port}/health",
        # Task and warm-worker logs beside the stack's own, not shared with other stacks; registrations
        # kept in a file, so a restarted runner serves at once (the deploy re-registers if it is lost).
        extra_env={
            "ECS_RUNNER_LOG_DIR": str(log_dir / "ecs-tasks"),
            "ECS_RUNNER_STATE_FILE": str(log_dir / "ecs-runner-state.json"),
        },
    )
    key_path = log_dir.parent / f"operator-key-{gateway_port}"
    operator_key = _operator_key(key_path)
    gateway_argv = [python, "-m", "causal_gateway", "--port", str(gateway_port), "--host", host]
    if resources_port:
        gateway_argv += ["--extra-port", str(resources_port)]
    gateway = Service(
        "gateway",
        gateway_argv,
        f"http://{host}:{gateway_port}/health",
        extra_env={"DASHBOARD_OPERATOR_KEY": operator_key, **_reloads_env(log_dir, watch)},
    )
    services = [emulator, ecs_runner, gateway]

    stopping = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        stopping.set()

    previous = {signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    started_at = time.monotonic()
    try:
        print(
            f"starting embedded AWS on {env['AWS_ENDPOINT_URL']} and the ECS runner on {env['AWS_ENDPOINT_URL_ECS']} …",
            flush=True,
        )
        if resources_problem:
            print(resources_problem, flush=True)
        emulator.start(env, log_dir)
        ecs_runner.start(env, log_dir)
        deadline = time.monotonic() + START_LIMIT_SECONDS
        emulator.wait_healthy(deadline, stopping)
        ecs_runner.wait_healthy(deadline, stopping)
        print("deploying …", flush=True)
        _deploy(env)
        if restoring:
            _end_interrupted_work(env)
        if stopping.is_set():
            raise Interrupted()
        gateway.start(env, log_dir)
        gateway.wait_healthy(time.monotonic() + START_LIMIT_SECONDS, stopping)
        elapsed = time.monotonic() - started_at
        login_code = OperatorLogin(operator_key).login_code()
        print(
            f"causal-stack ready in {elapsed:.1f} s — dashboard http://{host}:{gateway_port}/login?code={login_code} "
            f"(one-time login; later: the operator key in {key_path}) · "
            f"chat http://{host}:{gateway_port}/chat · WebSocket ws://{host}:{gateway_port}/dev · "
            f"AWS {env['AWS_ENDPOINT_URL']} · {_resources_note(host, resources_port)} · logs {log_dir} · "
            "dev tokens on (POST /auth/token signs in any user id; development only)",
            flush=True,
        )
        if watch:
            _start_watching(env, log_dir, stopping)
        recoveries = _recoveries(env, log_dir, emulator, ecs_runner, gateway, stopping)
        supervisor = Supervisor(
            services,
            recoveries,
            state_path(aws_port),
            pid=os.getpid(),
            ports={"aws": aws_port, "gateway": gateway_port, "ecs": ecs_port},
            say=lambda line: print(line, flush=True),
            health_checks={emulator.name: DeploymentCheck(env).problem},
        )
        supervisor.watch(stopping)
        print("stopping …", flush=True)
        return 0
    except StartLimitHit as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    except Interrupted:
        print("interrupted while starting; stopping …", flush=True)
        return 130
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    except CausalStackError as exc:
        print(f"error: {exc.message}", file=sys.stderr, flush=True)
        return 1
    finally:
        for service in reversed(services):
            service.stop()
        state_path(aws_port).unlink(missing_ok=True)
        state_lock.release()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _sfn_mock_config_env(path: Path | None) -> dict[str, str]:
    """``SFN_MOCK_CONFIG`` for the emulator: the flag's file, else the environment's; read and
    checked now, so a bad file is reported (with the key at fault) before anything starts."""
    if path is None:
        named = os.environ.get("SFN_MOCK_CONFIG", "").strip()
        if not named:
            return {}
        path = Path(named)
    from causal_embedded.sfn_mock_config import MockConfigError, load

    path = path.expanduser().resolve()
    try:
        config = load(path)
    except MockConfigError as exc:
        raise LaunchError(f"Step Functions mock configuration: {exc}") from exc
    cases = sum(len(machine.TestCases) for machine in config.StateMachines.values())
    print(f"Step Functions mock configuration {path}: {cases} test case(s); start <stateMachineArn>#<test case>")
    return {"SFN_MOCK_CONFIG": str(path)}


def _reloads_env(log_dir: Path, watch: bool) -> dict[str, str]:
    """Where the gateway's dashboard finds the reloads of ``up --watch`` (nothing without it)."""
    from causal_stack.hot_reload import RELOADS_FILE_VARIABLE

    if not watch:
        return {}
    path = log_dir / "reloads.jsonl"
    path.unlink(missing_ok=True)  # this run's reloads only
    return {RELOADS_FILE_VARIABLE: str(path)}


def _start_watching(env: dict[str, str], log_dir: Path, stopping: threading.Event) -> None:
    from causal_stack.hot_reload import start_watching

    start_watching(env, log_dir / "reloads.jsonl", stopping, lambda line: print(line, flush=True))


def _state_to_start_from(state_dir: Path, fresh: bool) -> bool:
    """Say what the emulator starts from; whether it restores a kept state. An unreadable one stops the start."""
    from causal_embedded import state_snapshot

    current = state_snapshot.current_path(state_dir)
    if fresh:
        kept = state_files.set_aside(state_dir, "before-fresh")
        note = f"; the kept state was set aside as snapshot {kept} (causal-stack snapshot load {kept})" if kept else ""
        print(f"starting empty (--fresh){note}", flush=True)
        return False
    if not current.exists():
        print(f"no kept state in {state_dir}: starting empty; the state will be kept there", flush=True)
        return False
    try:
        description = state_files.describe_or_raise(current)
    except state_snapshot.SnapshotError as exc:
        raise LaunchError(
            f"{exc.message}. Nothing was changed. To start empty instead, run `causal-stack up --fresh` "
            "(the file is set aside as a named snapshot, not deleted)"
        ) from exc
    print(f"restoring the kept state from {current} ({description}) …", flush=True)
    return True


def _recoveries(
    env: dict[str, str],
    log_dir: Path,
    emulator: Service,
    ecs_runner: Service,
    gateway: Service,
    stopping: threading.Event,
) -> dict[str, Callable[[str], str]]:
    """What to do, per service, once it died: start it again and repair what its death cost."""

    def restart(service: Service) -> None:
        service.stop()
        service.start(env, log_dir)
        service.wait_healthy(time.monotonic() + START_LIMIT_SECONDS, stopping)

    def recover_emulator(exit_description: str) -> str:
        # Also when it runs but was wiped: a fresh process drops warm Lambda workers holding the old keys.
        restart(emulator)
        print("the AWS emulator restarted from the state it saved last: deploying again …", flush=True)
        _deploy(env)
        _end_interrupted_work(env)
        restart(gateway)  # it holds keys read from Secrets Manager, which the deploy may have made anew
        return (
            "what changed in the emulator since its last save (at most the snapshot interval ago; everything "
            "if it was wiped and then saved) was lost; executions that were running came back FAILED with "
            "States.ServiceRestart and can be redriven; the stack was deployed again and the gateway restarted: "
            "clients reconnect and go on"
        )

    def recover_ecs_runner(exit_description: str) -> str:
        lost = _fail_lost_jobs(
            env,
            f"the ECS runner stopped ({exit_description}) while this job ran; "
            "its task was lost; the runner has been restarted",
        )
        restart(ecs_runner)
        if _ecs_registrations_present(env):
            return f"{len(lost)} job(s) in flight failed with the reason; registrations kept"
        _deploy(env)
        return (
            f"{len(lost)} job(s) in flight failed with the reason; "
            "the cluster and task definitions were registered again"
        )

    def recover_gateway(exit_description: str) -> str:
        restart(gateway)
        return "WebSocket clients reconnect and resume; undelivered frames wait in the outbox"

    return {emulator.name: recover_emulator, ecs_runner.name: recover_ecs_runner, gateway.name: recover_gateway}


def _ecs_registrations_present(env: dict[str, str]) -> bool:
    """Whether the (restarted) ECS runner still knows the stack's cluster and task definitions."""
    from botocore.exceptions import BotoCoreError, ClientError

    from causal_common import aws
    from causal_common.models.tools import ECS_TASK_OF_TOOL
    from causal_common.names import ResourceNames
    from causal_common.settings import AwsSettings

    settings = AwsSettings(
        endpoint_url=env["AWS_ENDPOINT_URL"],
        endpoint_url_ecs=env["AWS_ENDPOINT_URL_ECS"],
        region=env["AWS_DEFAULT_REGION"],
        resource_prefix=env["RESOURCE_PREFIX"],
    )
    names = ResourceNames.from_settings(settings)
    ecs = aws.client("ecs", settings)
    try:
        if not ecs.describe_clusters(clusters=[names.cluster])["clusters"]:
            return False
        for task in ECS_TASK_OF_TOOL.values():
            ecs.describe_task_definition(taskDefinition=names.task_family(task))
    except (ClientError, BotoCoreError):
        return False
    return True


def _end_interrupted_work(env: dict[str, str]) -> None:
    """After a restore: the work that was in flight when the state was saved did not survive the restart.
    Its jobs fail with the reason, and its sessions end with an error frame, so no conversation waits for a
    run that is gone (the executions are FAILED with States.ServiceRestart and can still be redriven)."""
    from causal_common import aws
    from causal_common.names import ResourceNames
    from causal_common.settings import AwsSettings
    from causal_stack.lost_work import end_sessions_without_a_run

    _fail_lost_jobs(env, "the stack stopped while this job ran; its task was lost with it")
    settings = AwsSettings(
        endpoint_url=env["AWS_ENDPOINT_URL"], region=env["AWS_DEFAULT_REGION"], resource_prefix=env["RESOURCE_PREFIX"]
    )
    ended = end_sessions_without_a_run(
        aws.client("dynamodb", settings),
        aws.client("stepfunctions", settings),
        ResourceNames.from_settings(settings),
        "The stack was restarted while this question was being worked on, and its run did not survive the restart",
    )
    if ended:
        print(
            f"{len(ended)} conversation(s) were mid-question when the stack stopped: each was told so and can "
            f"ask again ({', '.join(ended)})",
            flush=True,
        )


def _fail_lost_jobs(env: dict[str, str], reason: str) -> list[str]:
    from causal_common import aws
    from causal_common.names import ResourceNames
    from causal_common.settings import AwsSettings
    from causal_stack.lost_work import fail_in_flight_jobs

    settings = AwsSettings(
        endpoint_url=env["AWS_ENDPOINT_URL"], region=env["AWS_DEFAULT_REGION"], resource_prefix=env["RESOURCE_PREFIX"]
    )
    names = ResourceNames.from_settings(settings)
    lost = fail_in_flight_jobs(aws.client("dynamodb", settings), aws.client("stepfunctions", settings), names, reason)
    if lost:
        print(f"failed {len(lost)} job(s) the ECS runner was running: {', '.join(lost)}", flush=True)
    return lost
