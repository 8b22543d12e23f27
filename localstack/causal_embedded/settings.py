"""The emulator's configuration: one pydantic-settings class, read from the environment."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from causal_common.names import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY
from causal_guard.request_origin import split_list


class EmulatorSettings(BaseSettings):
    """Who may call ``python -m causal_embedded``.

    The stack's credentials are the emulator's own (``AWS_ACCESS_KEY_ID`` /
    ``AWS_SECRET_ACCESS_KEY``, ``test``/``test`` unless set: what ``awslocal``,
    the CLI and the deployer sign with); the Lambda workers and the Step
    Functions interpreter sign with them too.
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    access_key_id: str = Field(default=LOCAL_ACCESS_KEY_ID, min_length=1, validation_alias="AWS_ACCESS_KEY_ID")
    secret_access_key: str = Field(
        default=LOCAL_SECRET_ACCESS_KEY, min_length=1, validation_alias="AWS_SECRET_ACCESS_KEY"
    )
    # Host names answered besides the loopback ones (localhost, *.localhost, 127.0.0.0/8, ::1),
    # e.g. the service name in a compose network: "emulator" or "*.example.test".
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="EMULATOR_ALLOWED_HOSTS"
    )
    # Browser origins allowed to call the emulator (none by default: no web page can drive it).
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="EMULATOR_ALLOWED_ORIGINS"
    )
    # moto's behaviour: any credentials, or none, are accepted. Host and Origin are still checked.
    accept_any_credentials: bool = Field(default=False, validation_alias="EMULATOR_ACCEPT_ANY_CREDENTIALS")

    @field_validator("allowed_hosts", "allowed_origins", mode="before")
    @classmethod
    def _split(cls, value: object) -> list[str]:
        return split_list(value)
