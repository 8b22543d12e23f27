"""Settings of the agent's Lambda functions (one class for all nine)."""

from __future__ import annotations

from functools import cached_property

from pydantic import Field

from causal_common.names import ResourceNames
from causal_common.settings import AwsSettings


class AgentSettings(AwsSettings):
    # Management API base including the stage, e.g. http://127.0.0.1:8080/dev.
    websocket_callback_url: str = Field(validation_alias="WEBSOCKET_CALLBACK_URL")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    # Set on AWS (account id differs); locally the ARN is looked up by name.
    state_machine_arn: str | None = Field(default=None, validation_alias="STATE_MACHINE_ARN")
    max_turns: int = Field(default=12, ge=2, le=50, validation_alias="AGENT_MAX_TURNS")
    prompt_timeout_seconds: int = Field(default=600, ge=5, le=86400, validation_alias="AGENT_PROMPT_TIMEOUT_SECONDS")
    # Analyses one user may have working (or waiting for a reply) at once; one more is refused.
    max_concurrent_analyses: int = Field(default=3, ge=1, le=100, validation_alias="AGENT_MAX_CONCURRENT_ANALYSES")
    # A question waiting for a reply stops counting against the limit (and can no longer be answered) after
    # this long without one, or once its connection has been gone longer than the resume window.
    prompt_abandoned_after_seconds: int = Field(
        default=900, ge=60, le=86400, validation_alias="AGENT_PROMPT_ABANDONED_AFTER_SECONDS"
    )
    resume_window_seconds: int = Field(default=300, ge=10, le=86400, validation_alias="AGENT_RESUME_WINDOW_SECONDS")
    # ECS network for run_task when the execution input carries no networkConfig.
    ecs_subnets: str = Field(default="", validation_alias="ECS_SUBNETS")
    ecs_security_groups: str = Field(default="", validation_alias="ECS_SECURITY_GROUPS")
    ecs_launch_type: str = Field(default="FARGATE", validation_alias="ECS_LAUNCH_TYPE")

    @cached_property
    def names(self) -> ResourceNames:
        return ResourceNames.from_settings(self)

    def default_network_configuration(self) -> dict | None:
        subnets = [item.strip() for item in self.ecs_subnets.split(",") if item.strip()]
        if not subnets:
            return None
        groups = [item.strip() for item in self.ecs_security_groups.split(",") if item.strip()]
        vpc: dict = {"subnets": subnets, "assignPublicIp": "ENABLED"}
        if groups:
            vpc["securityGroups"] = groups
        return {"awsvpcConfiguration": vpc}
