"""Doctor checks of the local processes: Lambda workers, the ECS runner's warm worker, restarts by `up`.

Each reads what the process itself reports (the emulator's
``/moto-api/causal/lambda-workers``, the ECS runner's ``/health``, the
supervisor state file `up` writes), so they only apply to the local targets.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from causal_deploy.clients import probe
from causal_stack.checks import Check
from causal_stack.supervisor_state import read_state

LAMBDA_WORKERS_PATH = "/moto-api/causal/lambda-workers"


def _get_json(url: str, headers: dict[str, str] | None = None) -> dict[str, Any] | None:
    """The JSON body at ``url`` (any status), or ``None`` if nothing answers or it is not JSON."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=3) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        body = exc.read()
    except (urllib.error.URLError, OSError, ValueError):
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _ago(epoch_seconds: float | None) -> str:
    if not epoch_seconds:
        return ""
    seconds = max(0, int(time.time() - epoch_seconds))
    return f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"


def _signed(url: str, region: str) -> dict[str, str]:
    """Headers signing a GET of ``url`` with this process's credentials (moto's admin routes need them)."""
    import boto3

    from causal_guard import sigv4

    found = boto3.Session().get_credentials()
    if found is None:
        return {}
    frozen = found.get_frozen_credentials()
    pair = sigv4.Credentials(frozen.access_key, frozen.secret_key)
    return sigv4.signed_headers("GET", url, pair, region=region, service="moto-api")


def lambda_worker_checks(endpoint_url: str, region: str) -> list[Check]:
    """Workers of the embedded Lambda runner that died, and whether they were replaced."""
    url = endpoint_url.rstrip("/") + LAMBDA_WORKERS_PATH
    report = _get_json(url, _signed(url, region))
    if report is None or "deaths" not in report:
        return []  # not the embedded emulator (LocalStack, AWS)
    deaths = [entry for entry in report["deaths"] if entry.get("diedIdle") or entry.get("diedDuringInvoke")]
    warm = sum(entry.get("idle", 0) + entry.get("busy", 0) for entry in report.get("workers", []))
    if not deaths:
        return [Check("Lambda workers", True, f"{warm} warm, none died")]
    idle = sum(entry["diedIdle"] for entry in deaths)
    during = sum(entry["diedDuringInvoke"] for entry in deaths)
    last = max(deaths, key=lambda entry: entry.get("lastAt") or 0)
    detail = (
        f"{idle + during} worker(s) died ({idle} while idle, replaced before the next invoke; {during} during "
        f"an invoke, which failed with Runtime.ExitError); last: {last['functionName']}, {last['lastReason']}, "
        f"{_ago(last.get('lastAt'))}; {warm} warm now"
    )
    hint = (
        "workers killed from outside or by the kernel's out-of-memory killer (see `dmesg`); raise the function's "
        "MemorySize or find what kills them; the runner replaces dead workers by itself"
    )
    return [Check("Lambda workers", True, detail, hint, warning=True)]


def ecs_runner_checks(ecs_url: str) -> list[Check]:
    """The ECS runner answers, and its warm worker is up (or why not)."""
    health = _get_json(ecs_url.rstrip("/") + "/health")
    if health is None:
        problem = probe(ecs_url)
        return [
            Check(
                "ECS endpoint",
                problem is None,
                f"{ecs_url} " + ("answers" if problem is None else f"is down ({problem})"),
                ""
                if problem is None
                else "start the ECS runner: `causal-stack up` starts it; compose: `docker compose up ecs-runner`",
            )
        ]
    checks = [
        Check(
            "ECS endpoint",
            health.get("status") == "ok",
            f"{ecs_url} answers ({health.get('backend')} backend)",
            "" if health.get("status") == "ok" else f"the runner reports: {health.get('detail')}",
        )
    ]
    warm = health.get("warmWorker")
    if not warm:
        return checks
    deaths, last = warm.get("deaths", 0), warm.get("lastReason") or ""
    history = (
        f"; {deaths} death(s), {warm.get('restarts', 0)} restart(s), last: {last} {_ago(warm.get('lastDeathAt'))}"
        if deaths
        else ""
    )
    log_hint = f"read {warm.get('log') or 'warm-worker.log in ECS_RUNNER_LOG_DIR'}"
    state = warm.get("state")
    if state == "up":
        checks.append(
            Check(
                "ECS warm worker",
                True,
                f"up (pid {warm.get('pid')}){history}",
                f"{log_hint} to see why it died" if deaths else "",
                warning=bool(deaths),
            )
        )
    elif state == "starting":
        checks.append(Check("ECS warm worker", True, f"starting (importing the analysis libraries){history}"))
    elif state == "restarting":
        checks.append(
            Check(
                "ECS warm worker",
                False,
                f"down, restarting with back-off{history}; tasks start as plain "
                "subprocesses meanwhile (~3 s slower each)",
                f"it restarts by itself; if it keeps dying, {log_hint}",
            )
        )
    else:
        checks.append(
            Check(
                "ECS warm worker",
                False,
                f"down: it died {deaths} times soon after starting and is not "
                f"restarted any more{history}; tasks start as plain subprocesses (~3 s slower each)",
                f"{log_hint}, fix the cause (e.g. ECS_RUNNER_WARM_MODULES), then restart the ECS runner "
                "(stop and start `causal-stack up`)",
            )
        )
    return checks


def supervisor_checks(state_file: Path) -> list[Check]:
    """Services `causal-stack up` restarted, with counts and the last reason."""
    state = read_state(state_file)
    if state is None:
        return []
    checks = []
    for name, service in sorted(state.get("services", {}).items()):
        restarts, status = service.get("restarts", 0), service.get("status", "?")
        last = service.get("lastExit") or ""
        detail = f"{status}" + (
            f"; restarted {restarts} time(s), last exit: {last} {_ago(service.get('lastExitAt'))}" if restarts else ""
        )
        if service.get("note"):
            detail += f"; {service['note']}"
        log = service.get("log") or "the service's log"
        if status == "serving":
            checks.append(
                Check(
                    f"service {name}",
                    True,
                    detail,
                    f"read {log} to see why it stopped" if restarts else "",
                    warning=bool(restarts),
                )
            )
        else:
            checks.append(
                Check(
                    f"service {name}",
                    False,
                    detail,
                    f"`causal-stack up` restarts it with back-off; if it keeps failing, read {log}",
                )
            )
    return checks
