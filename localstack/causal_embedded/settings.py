"""The emulator's configuration: one pydantic-settings class, read from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from causal_guard.front_door import new_access_key_id, new_secret_access_key
from causal_guard.request_origin import split_list


class EmulatorSettings(BaseSettings):
    """Who may call ``python -m causal_embedded``.

    The stack's credentials are the emulator's own (``AWS_ACCESS_KEY_ID`` /
    ``AWS_SECRET_ACCESS_KEY``; ``causal-stack up`` passes the checkout's pair
    from ``.stack/credentials``, and unset they are made at random for this
    run): what the CLI, the deployer, the Lambda workers and the Step Functions
    interpreter sign with. The well-known pair ``test``/``test`` is honoured
    from the user the emulator runs as (``causal_guard.front_door``).
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    access_key_id: str = Field(default_factory=new_access_key_id, min_length=1, validation_alias="AWS_ACCESS_KEY_ID")
    secret_access_key: str = Field(
        default_factory=new_secret_access_key, min_length=1, validation_alias="AWS_SECRET_ACCESS_KEY"
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
    # moto's admin routes (/moto-api/*: reset, seed, config, the model dump) without a signature.
    debug_admin: bool = Field(default=False, validation_alias="EMULATOR_DEBUG_ADMIN")
    # moto's recorder routes (/moto-api/recorder/*); it records into the state directory.
    recorder: bool = Field(default=False, validation_alias="EMULATOR_RECORDER")
    # Where the emulator may write files of its own (the recorder's); unset: its work directory.
    state_dir: Path | None = Field(default=None, validation_alias="EMULATOR_STATE_DIR")

    # Where the state is kept across restarts (current.zip, snapshots/); unset: nothing is kept.
    snapshot_dir: Path | None = Field(default=None, validation_alias="EMULATOR_SNAPSHOT_DIR")
    # Seconds between saves of a changed state (0: only on a clean stop).
    snapshot_interval: float = Field(default=60.0, ge=0, validation_alias="EMULATOR_SNAPSHOT_INTERVAL")

    # Step Functions mock configuration (Step Functions Local's and LocalStack's format): StartExecution
    # on "<stateMachineArn>#<test case>" runs that test case with its Task states mocked.
    sfn_mock_config: Path | None = Field(default=None, validation_alias="SFN_MOCK_CONFIG")

    @field_validator("allowed_hosts", "allowed_origins", mode="before")
    @classmethod
    def _split(cls, value: object) -> list[str]:
        return split_list(value)
