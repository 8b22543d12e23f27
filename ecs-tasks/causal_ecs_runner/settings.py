"""Settings of the local ECS runner."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from causal_common.settings import AwsSettings
from causal_guard.request_origin import split_list

# Variables of the runner's own environment that every task gets (tasks on AWS get theirs from the task role/definition).
PASSED_TO_TASKS = (
    "AWS_ENDPOINT_URL",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "RESOURCE_PREFIX",
    "WEBSOCKET_CALLBACK_URL",
    "ARTIFACTS_BASE_URL",
    "LOG_LEVEL",
    "TASK_HEARTBEAT_SECONDS",
)


class RunnerSettings(AwsSettings):
    port: int = Field(default=4599, validation_alias="ECS_RUNNER_PORT")
    backend: str = Field(default="subprocess", validation_alias="ECS_RUNNER_BACKEND")
    account_id: str = Field(default="000000000000", validation_alias="ECS_RUNNER_ACCOUNT_ID")
    # A running task whose job has not heartbeaten for this long is stopped and failed (0 turns the check off).
    heartbeat_timeout_seconds: float = Field(
        default=120.0, ge=0, validation_alias="ECS_RUNNER_HEARTBEAT_TIMEOUT_SECONDS"
    )
    poll_seconds: float = Field(default=0.25, gt=0, validation_alias="ECS_RUNNER_POLL_SECONDS")
    log_dir: Path = Field(default=Path("/tmp/causal-ecs-runner"), validation_alias="ECS_RUNNER_LOG_DIR")
    # Where clusters and task definitions are kept across restarts (unset: in memory only).
    state_file: Path | None = Field(default=None, validation_alias="ECS_RUNNER_STATE_FILE")
    # Modules the subprocess backend's warm worker imports before forking tasks.
    warm_modules: str = Field(
        default="pandas,numpy,sklearn.linear_model,matplotlib.pyplot,dowhy,boto3,causal_tasks.causal,causal_tasks.eda,causal_tasks.job,linearmodels.iv,linearmodels.panel,rdrobust",
        validation_alias="ECS_RUNNER_WARM_MODULES",
    )
    warm_worker: bool = Field(default=True, validation_alias="ECS_RUNNER_WARM_WORKER")
    # The project's own packages the warm worker has imported: when one of their files changes, the next
    # task starts with the new code (the warm worker is replaced), so an edit needs no restart.
    code_packages: str = Field(
        default="causal_tasks,causal_datasets,causal_common", validation_alias="ECS_RUNNER_CODE_PACKAGES"
    )
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    # Who may call it: requests signed with the stack's credentials (the runner's own, which it also
    # passes to tasks; unset, only the owner's well-known local pair is honoured), to these host names
    # besides the loopback ones (compose: the service name), from no web page unless its origin is listed.
    access_key_id: str | None = Field(default=None, validation_alias="AWS_ACCESS_KEY_ID")
    secret_access_key: str | None = Field(default=None, validation_alias="AWS_SECRET_ACCESS_KEY")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="ECS_RUNNER_ALLOWED_HOSTS"
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="ECS_RUNNER_ALLOWED_ORIGINS"
    )

    @field_validator("allowed_hosts", "allowed_origins", mode="before")
    @classmethod
    def _split(cls, value: object) -> list[str]:
        return split_list(value)
