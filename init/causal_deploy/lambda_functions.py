"""Lambda functions: update-or-create by CodeSha256 and configuration, then wait for Active."""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from botocore.exceptions import WaiterError

from causal_common.function_hints import hint_for
from causal_deploy import tagging
from causal_deploy.lambda_zip import Package
from causal_deploy.manifest import FunctionSpec
from causal_deploy.report import Action, DeployReport

logger = logging.getLogger(__name__)

ROLE_PROPAGATION_SECONDS = 20.0
_UPDATE_WAIT = {"Delay": 1, "MaxAttempts": 120}


class CodeLocation:
    """How the zip reaches Lambda: inline bytes, or an S3 object for zips over 50 MB."""

    def __init__(self, package: Package, s3: Any | None, bucket: str | None) -> None:
        self.package = package
        self._s3 = s3
        self._bucket = bucket

    def arguments(self) -> dict[str, Any]:
        if not self.package.needs_s3_upload or self._s3 is None or self._bucket is None:
            return {"ZipFile": self.package.read()}
        key = f"lambda-code/{self.package.function}/{self.package.path.stem}.zip"
        self._s3.upload_file(str(self.package.path), self._bucket, key)
        return {"S3Bucket": self._bucket, "S3Key": key}


def ensure_function(
    client: Any,
    spec: FunctionSpec,
    code: CodeLocation,
    role_arn: str,
    report: DeployReport,
    *,
    arn: str = "",
    tags: tagging.Tags | None = None,
) -> str:
    """Create or converge one function; return its ARN (planning a creation: ``arn``, the one it would get)."""
    desired = _desired_configuration(spec, role_arn)
    try:
        current = client.get_function(FunctionName=spec.name)["Configuration"]
    except client.exceptions.ResourceNotFoundException:
        report.add("function", spec.name, Action.CREATED, _size(code.package))
        if report.plan:
            return arn
        extra = {"Tags": dict(tags)} if tags else {}
        created = _create(client, {**desired, "Code": code.arguments(), "Publish": False, **extra})
        return str(created["FunctionArn"])

    changes: list[str] = []
    if current.get("CodeSha256") != code.package.code_sha256:
        if not report.plan:
            _wait_updated(client, spec.name)
            client.update_function_code(FunctionName=spec.name, **code.arguments())
            _wait_updated(client, spec.name)
        changes.append("code")
    differing = [key for key, value in desired.items() if _current_value(current, key) != value]
    if differing:
        if not report.plan:
            _wait_updated(client, spec.name)
            client.update_function_configuration(**desired)
            _wait_updated(client, spec.name)
        changes.append("configuration (" + ", ".join(_described(current, desired, k) for k in differing) + ")")
    if tags and tagging.ensure("function", client, current["FunctionArn"], tags, plan=report.plan):
        changes.append("tags")
    report.add("function", spec.name, Action.UPDATED if changes else Action.UNCHANGED, "; ".join(changes))
    return current["FunctionArn"]


def wait_until_active(client: Any, names: list[str], timeout_seconds: float, report: DeployReport) -> None:
    """Every function must end Active; report each one that does not, with a fix hint."""
    deadline = time.monotonic() + timeout_seconds
    for name in names:
        remaining = max(1.0, deadline - time.monotonic())
        try:
            client.get_waiter("function_active_v2").wait(
                FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": max(1, math.ceil(remaining))}
            )
        except WaiterError as exc:
            configuration = _configuration(exc)
            state = configuration.get("State")
            reason = configuration.get("StateReason") or configuration.get("StateReasonCode") or ""
            if not configuration:
                reason = str((exc.last_response or {}).get("Error", {}).get("Message", exc))
            described = f"State={state or 'unknown'}" + (f", StateReason={reason}" if reason else "")
            if state == "Pending":
                described += f" after {timeout_seconds:.0f} s"
            report.problem(f"function {name}", f"not Active: {described}", hint_for(name, state, reason))


def _create(client: Any, arguments: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + ROLE_PROPAGATION_SECONDS
    while True:
        try:
            return client.create_function(**arguments)
        except client.exceptions.InvalidParameterValueException as exc:
            # A brand-new IAM role is not assumable by Lambda for a few seconds (real AWS only).
            if "cannot be assumed" not in str(exc) or time.monotonic() > deadline:
                raise
            logger.info("role not yet assumable by Lambda; retrying %s", arguments["FunctionName"])
            time.sleep(2)


def _wait_updated(client: Any, name: str) -> None:
    try:
        client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=_UPDATE_WAIT)
    except WaiterError as exc:
        configuration = _configuration(exc)
        # A failed previous update must not block this one; anything else is fatal.
        if configuration.get("LastUpdateStatus") != "Failed":
            raise


def _desired_configuration(spec: FunctionSpec, role_arn: str) -> dict[str, Any]:
    return {
        "FunctionName": spec.name,
        "Runtime": spec.runtime,
        "Handler": spec.handler,
        "Role": role_arn,
        "Timeout": spec.timeout,
        "MemorySize": spec.memory,
        "Environment": {"Variables": dict(spec.environment)},
    }


def _described(current: dict[str, Any], desired: dict[str, Any], key: str) -> str:
    """``MemorySize 256 -> 512``; for the environment, the names of the variables that differ (values may be secret)."""
    if key == "Environment":
        before, after = _current_value(current, key)["Variables"], desired[key]["Variables"]
        names = sorted(name for name in {*before, *after} if before.get(name) != after.get(name))
        return f"Environment: {', '.join(names)}"
    return f"{key} {_current_value(current, key)} -> {desired[key]}"


def _current_value(current: dict[str, Any], key: str) -> Any:
    if key == "Environment":
        return {"Variables": current.get("Environment", {}).get("Variables", {})}
    return current.get(key)


def _size(package: Package) -> str:
    return f"{package.zipped_bytes / 2**20:.1f} MB"


def _configuration(exc: WaiterError) -> dict[str, Any]:
    """The function's configuration from a waiter's last response ({} when it has none)."""
    response = exc.last_response
    configuration = response.get("Configuration") if isinstance(response, dict) else None
    return configuration if isinstance(configuration, dict) else {}
