"""What to deploy where: one settings class, read from flags or the environment."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from causal_common.settings import AwsSettings

# init/causal_deploy/config.py -> the repository root.
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]

DEFAULT_ENDPOINT_URL = "http://127.0.0.1:4566"
DEFAULT_TASK_IMAGE = "causal-analysis-stack/task:latest"
DEFAULT_ECS_ENDPOINT_URL = "http://127.0.0.1:4599"  # the local ECS runner


class Target(str, Enum):
    EMBEDDED = "embedded"
    LOCALSTACK = "localstack"
    AWS = "aws"


class DepsSource(str, Enum):
    """Where the Lambda zips' third-party packages come from."""

    LOCAL = "local"  # copied from this interpreter's site-packages (embedded target only)
    PIP = "pip"  # manylinux wheels for python3.12, as the Lambda runtime needs


class DeployConfig(AwsSettings):
    """Settings of one deploy. Environment names match the flags of ``causal-stack deploy``."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    target: Target = Field(default=Target.EMBEDDED, validation_alias="DEPLOY_TARGET")
    # The ECS API (the local ECS runner off AWS); also accepted as ``ecs_endpoint_url=``.
    endpoint_url_ecs: str | None = Field(
        default=None, validation_alias=AliasChoices("AWS_ENDPOINT_URL_ECS", "ecs_endpoint_url")
    )
    websocket_callback_url: str = Field(default="http://127.0.0.1:8080/dev", validation_alias="WEBSOCKET_CALLBACK_URL")
    artifacts_base_url: str = Field(default="http://127.0.0.1:8080/artifacts", validation_alias="ARTIFACTS_BASE_URL")
    deps_source: DepsSource | None = Field(default=None, validation_alias="LAMBDA_DEPS_SOURCE")
    task_image: str = Field(default=DEFAULT_TASK_IMAGE, validation_alias="TASK_IMAGE")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    # Passed to the functions when set: analyses one user may run at once (the functions default to 3).
    max_concurrent_analyses: int | None = Field(
        default=None, ge=1, le=100, validation_alias="AGENT_MAX_CONCURRENT_ANALYSES"
    )

    # Seeds of the LLM secrets. The key is a SecretStr so it never shows in a repr or a log.
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_model: str = Field(default="gpt-4o-mini", validation_alias="OPENAI_MODEL")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")

    source_dir: Path = Field(default=REPOSITORY_ROOT, validation_alias="CAUSAL_STACK_SOURCE_DIR")
    state_dir: Path | None = Field(default=None, validation_alias="CAUSAL_STACK_STATE_DIR")
    # How long to wait for each function to become Active (LocalStack starts them Pending).
    active_timeout_seconds: float = Field(default=120.0, validation_alias="DEPLOY_ACTIVE_TIMEOUT")
    # How long to wait for the AWS endpoint to answer before giving up (compose raises it).
    endpoint_wait_seconds: float = Field(default=15.0, ge=0, validation_alias="DEPLOY_ENDPOINT_WAIT")
    publish_datasets: bool = Field(default=True, validation_alias="DEPLOY_DATASETS")

    # AWS only. The network of the tasks' RunTask (awsvpc): subnets (required) and security groups
    # (none: the VPC's default group), comma-separated ids; checked to exist, in one VPC, before deploying.
    ecs_subnets: Annotated[list[str], NoDecode] = Field(default_factory=list, validation_alias="ECS_SUBNETS")
    ecs_security_groups: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="ECS_SECURITY_GROUPS"
    )
    # The WebSocket API's stage; the functions post to https://<api>.execute-api.<region>.amazonaws.com/<stage>.
    websocket_stage: str = Field(default="dev", pattern=r"^[A-Za-z0-9_-]{1,128}$", validation_alias="WEBSOCKET_STAGE")
    log_retention_days: int = Field(default=30, validation_alias="LOG_RETENTION_DAYS")

    @field_validator("ecs_subnets", "ecs_security_groups", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @model_validator(mode="after")
    def _target_defaults(self) -> DeployConfig:
        if self.target is Target.AWS:
            # Real AWS: no endpoint at all, whatever the environment says.
            self.endpoint_url = None
            self.endpoint_url_ecs = None
        else:
            self.endpoint_url = self.endpoint_url or DEFAULT_ENDPOINT_URL
            # ECS is not in moto's or LocalStack's free edition that runs tasks: the local runner is.
            self.endpoint_url_ecs = self.endpoint_url_ecs or DEFAULT_ECS_ENDPOINT_URL
        if self.deps_source is None:
            self.deps_source = DepsSource.LOCAL if self.target is Target.EMBEDDED else DepsSource.PIP
        return self

    @property
    def lambdas_dir(self) -> Path:
        return self.source_dir / "lambdas"

    @property
    def state_machine_file(self) -> Path:
        return self.lambdas_dir / "state-machine.asl.json"

    @property
    def build_dir(self) -> Path:
        return (self.state_dir or self.source_dir / ".stack") / "build"

    @property
    def datasets_cache_dir(self) -> Path:
        return (self.state_dir or self.source_dir / ".stack") / "datasets"

    @property
    def ecs_endpoint_url(self) -> str | None:
        return self.endpoint_for("ecs")
