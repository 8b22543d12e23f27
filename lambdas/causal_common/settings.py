"""Settings shared by every deployable: AWS region, endpoints, resource names.

Each deployable (gateway, Lambda functions, ECS tasks, the CLI) subclasses
:class:`AwsSettings`; configuration is read from the environment only through
pydantic-settings classes. ``os.environ`` itself is touched only where a
process builds the environment of a child (the launcher, the ECS runner's
backends, the Lambda workers' bootstrap, which must import nothing of ours
before the function's own code) or sets the variables boto3 reads, and in
``causal_common.log``, which stays free of pydantic so that a function that
only logs imports none, and asks the Lambda runtime's own variable whether it
runs in Lambda.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_REGION = "eu-central-1"
DEFAULT_PREFIX = "causal-analysis-dev-"


class AwsSettings(BaseSettings):
    """Where AWS is. ``endpoint_url`` unset means real AWS."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    region: str = Field(default=DEFAULT_REGION, validation_alias="AWS_DEFAULT_REGION")
    endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")
    # Per-service overrides, as botocore names them: AWS_ENDPOINT_URL_<SERVICE>.
    endpoint_url_ecs: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL_ECS")
    endpoint_url_apigatewaymanagementapi: str | None = Field(
        default=None, validation_alias="AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"
    )
    resource_prefix: str = Field(default=DEFAULT_PREFIX, validation_alias="RESOURCE_PREFIX")
    # Off AWS the management API (/@connections) is the project's gateway, which checks SigV4 against
    # the credentials in this secret; on AWS it is unset and the role's own credentials sign.
    management_credentials_secret: str | None = Field(
        default=None, validation_alias="MANAGEMENT_API_CREDENTIALS_SECRET"
    )

    def endpoint_for(self, service: str) -> str | None:
        override = getattr(self, f"endpoint_url_{service.replace('-', '')}", None)
        return override or self.endpoint_url


class LogSettings(BaseSettings):
    """How much to log, for processes that have no other settings yet when they start logging."""

    model_config = SettingsConfigDict(extra="ignore")

    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
