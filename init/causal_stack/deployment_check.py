"""Is the deployed stack still in the emulator? "The process answers" is not enough: a
``POST /moto-api/reset`` leaves the emulator running and empty.

Checked by `causal-stack up`'s supervisor every few seconds; a few cheap describe
calls, one per kind of resource the stack cannot work without.
"""

from __future__ import annotations

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from causal_common import aws
from causal_common.names import DEPLOYED_TAG, ResourceNames
from causal_common.settings import AwsSettings

_GONE = ("ResourceNotFoundException", "StateMachineDoesNotExist", "404", "NoSuchBucket")
_PROBE = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 1, "mode": "standard"})


class DeploymentCheck:
    def __init__(self, env: dict[str, str]) -> None:
        settings = AwsSettings(
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region=env["AWS_DEFAULT_REGION"],
            resource_prefix=env["RESOURCE_PREFIX"],
        )
        self._names = ResourceNames.from_settings(settings)
        self._clients = {
            service: aws.client(service, settings, config=_PROBE)
            for service in ("secretsmanager", "dynamodb", "s3", "lambda", "stepfunctions")
        }

    def problem(self) -> str | None:
        """What is missing, or None when everything is there (or the emulator does not answer right now:
        a dead emulator is the process watch's to notice)."""
        names, clients = self._names, self._clients
        checks = (
            ("the deploy's mark", lambda: self._marked()),
            (
                f"table {names.connections_table}",
                lambda: clients["dynamodb"].describe_table(TableName=names.connections_table),
            ),
            (f"bucket {names.datasets_bucket}", lambda: clients["s3"].head_bucket(Bucket=names.datasets_bucket)),
            (
                f"function {names.function('websocket-handler')}",
                lambda: clients["lambda"].get_function(FunctionName=names.function("websocket-handler")),
            ),
            (
                "the state machine",
                lambda: clients["stepfunctions"].describe_state_machine(stateMachineArn=names.state_machine_arn),
            ),
        )
        for what, check in checks:
            try:
                present = check()
            except ClientError as exc:
                if aws.is_not_found(exc) or aws.error_code(exc) in _GONE:
                    return f"{what} is gone (the emulator was reset)"
                return None
            except BotoCoreError:
                return None
            if present is False:
                return f"{what} is gone (the emulator was reset)"
        return None

    def _marked(self) -> bool:
        described = self._clients["secretsmanager"].describe_secret(SecretId=self._names.token_signing_key_secret)
        return any(tag.get("Key") == DEPLOYED_TAG for tag in described.get("Tags") or [])
