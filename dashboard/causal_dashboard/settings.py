"""Settings of the dashboard (read from the environment like every deployable)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, field_validator

from causal_common.settings import AwsSettings


def _login_name() -> str:
    import getpass
    import re

    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = ""
    return re.sub(r"[^A-Za-z0-9_-]", "", name)[:64] or "operator"


class DashboardSettings(AwsSettings):
    """Where the dashboard looks. The AWS endpoints come from :class:`AwsSettings`."""

    # The WebSocket API stage the chat page connects to: ws://<host>/<stage>.
    stage: str = Field(default="dev", validation_alias=AliasChoices("GATEWAY_STAGE", "STAGE"))
    # How often the live stream polls AWS for changes.
    poll_interval_seconds: float = Field(default=1.0, gt=0, validation_alias="DASHBOARD_POLL_SECONDS")
    # Seconds between log polls (the heaviest part of a poll).
    log_poll_interval_seconds: float = Field(default=3.0, gt=0, validation_alias="DASHBOARD_LOG_POLL_SECONDS")
    # Shown as a service when the socket exists (compose target).
    docker_socket: str = Field(default="/var/run/docker.sock", validation_alias="DOCKER_SOCKET")
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, gt=0, validation_alias="DASHBOARD_MAX_UPLOAD_BYTES")
    # The operator's key: signs the dashboard's login codes and sessions (`causal-stack up` makes one).
    operator_key: SecretStr | None = Field(default=None, min_length=16, validation_alias="DASHBOARD_OPERATOR_KEY")
    # Who uploads from the dashboard (a dataset's owner; only its owner replaces it).
    operator_name: str = Field(
        default_factory=lambda: _login_name(),
        pattern=r"^[A-Za-z0-9_.@-]{1,64}$",
        validation_alias="DASHBOARD_OPERATOR_NAME",
    )
    # Where a browser reaches the dashboard, for the login link printed at start (compose publishes the
    # gateway on GATEWAY_PORT, not on the port it listens on in its container). Unset: its own host and port.
    public_url: str | None = Field(default=None, pattern=r"^https?://[^/\s]+$", validation_alias="DASHBOARD_PUBLIC_URL")
    # Target name shown in the header (embedded, compose, aws).
    target: str = Field(default="embedded", validation_alias="STACK_TARGET")

    @field_validator("operator_key", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if value == "" else value

    @classmethod
    def from_settings(cls, settings: AwsSettings | None) -> DashboardSettings:
        """Accept the gateway's own settings object (or none) and read the rest from the environment."""
        if isinstance(settings, DashboardSettings):
            return settings
        if settings is None:
            return cls()
        known = {name: getattr(settings, name) for name in AwsSettings.model_fields}
        stage = getattr(settings, "stage", None)
        if isinstance(stage, str):
            known["stage"] = stage
        return cls(**known)
