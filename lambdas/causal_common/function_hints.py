"""Fix hints for a Lambda function that is not Active (the old stack's failure modes).

Shared by the deployer, `causal-stack doctor` and the dashboard, so it lives on the lowest floor.
"""

from __future__ import annotations

DOCKER_SOCKET_HINT = "mount /var/run/docker.sock into the LocalStack container (see README, Troubleshooting)"

_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        (
            "docker not available",
            "docker is not available",
            "/var/run/docker.sock",
            "cannot connect to the docker daemon",
        ),
        DOCKER_SOCKET_HINT,
    ),
    (
        ("exec format error", "architecture", "platform (linux/amd64)", "arm64"),
        "the runtime image does not match this CPU: on Apple Silicon set LAMBDA_IGNORE_ARCHITECTURE=1 "
        "in the LocalStack environment and deploy again",
    ),
    (
        (
            "pull access denied",
            "manifest unknown",
            "error pulling image",
            "failed to pull",
            "image not found",
            "no such image",
        ),
        "LocalStack could not pull the python3.12 Lambda runtime image: give the Docker daemon network access "
        "or pre-pull it (docker pull public.ecr.aws/lambda/python:3.12), then deploy again",
    ),
    (
        ("timeout", "timed out"),
        "the runtime environment did not start in time: raise LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT in the "
        "LocalStack environment (big zips take longer) and deploy again",
    ),
    (
        ("role", "assume"),
        "the execution role is missing or cannot be assumed by Lambda: deploy again (new IAM roles take "
        "a few seconds to propagate)",
    ),
)


# Lambda's StateReasonCode values, where the code alone says what to do.
_RULES_BY_CODE: dict[str, str] = {
    "InvalidZipFileException": "the zip is unreadable or lacks the handler module: rebuild it with `causal-stack deploy`",
    "InvalidRuntime": "use runtime python3.12 (the manifest in init/ sets it) and deploy again",
    "InsufficientRolePermissions": "the execution role cannot be assumed or lacks permissions: check the role "
    "in the manifest and deploy again",
    "ImageAccessDenied": "the function image cannot be pulled: check the image URI and permissions",
    "EniLimitExceeded": "the VPC is out of network interfaces: remove the VPC config for local runs",
    "SubnetOutOfIPAddresses": "the subnet has no free addresses: use another subnet or drop the VPC config",
}
# What a failed import of the handler says, and what to do about it.
_IMPORT_RULES: tuple[tuple[str, str], ...] = (
    (
        "no module named",
        "a dependency is missing from the zip: add it to lambdas/<function>/requirements.txt and deploy again",
    ),
    (
        "importmoduleerror",
        "the handler module failed to import: run it locally (`python -c 'import handler'`), "
        "fix the error and deploy again",
    ),
    ("syntaxerror", "the handler has a syntax error: fix it and deploy again"),
)


def hint_for(function_name: str, state: str | None, reason: str | None, reason_code: str | None = None) -> str:
    """What to do about a function whose State is not Active (or whose StateReasonCode names a problem)."""
    if reason_code in _RULES_BY_CODE:
        return _RULES_BY_CODE[reason_code]
    text = (reason or "").lower()
    for needle, hint in _IMPORT_RULES:
        if needle in text:
            return hint
    for needles, hint in _RULES:
        if any(needle in text for needle in needles):
            return hint
    if state == "Pending":
        return (
            "the function is still Pending: the emulator is probably pulling the runtime image or starting "
            "its container; check the emulator's logs (docker compose logs localstack) and run "
            "`causal-stack doctor` again in a minute"
        )
    if state == "Inactive":
        return f"the function was idle and deactivated: invoke it once ({function_name}) to wake it"
    return (
        f"read the emulator's logs and the function's log group /aws/lambda/{function_name}, "
        "then run `causal-stack deploy` again"
    )


def known_reason_codes() -> tuple[str, ...]:
    """The StateReasonCode values that mean a problem even when State is not Failed."""
    return tuple(_RULES_BY_CODE)
