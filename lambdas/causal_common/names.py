"""Names and ARNs of every resource, derived from one prefix."""

from __future__ import annotations

from dataclasses import dataclass

from causal_common.settings import DEFAULT_PREFIX, DEFAULT_REGION, AwsSettings

FUNCTIONS: tuple[str, ...] = (
    "websocket-handler",
    "parse-initial-query",
    "invoke-llm",
    "dispatch-tool",
    "data-query",
    "send-prompt",
    "append-tool-output",
    "handle-finish",
    "handle-error",
    "handle-timeout",
    "task-stopped",
)
# Invoked by EventBridge (ECS task state changes), not by the state machine or API Gateway.
EVENT_FUNCTIONS: tuple[str, ...] = ("task-stopped",)
# Deployed to AWS only: the WebSocket API's $connect authorizer (locally the gateway checks tokens itself).
AWS_FUNCTIONS: tuple[str, ...] = ("connect-authorizer",)

LOCAL_ACCOUNT_ID = "000000000000"
# The local targets' credentials (LocalStack's convention, what awslocal signs with when no
# others are configured). The embedded emulator accepts only these; they never reach AWS.
LOCAL_ACCESS_KEY_ID = "test"
LOCAL_SECRET_ACCESS_KEY = "test"
LOCAL_CREDENTIALS = (LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY)
# The deployer's last step tags the token signing key with this: the stack is deployed (a wiped or
# fresh emulator has no such secret, one half-way through a deploy has it untagged).
DEPLOYED_TAG = "causal-stack:deployed"
# On AWS every resource the deployer creates carries this tag, valued with the stack's prefix; destroy
# removes only what carries it.
STACK_TAG = "causal-stack"


@dataclass(frozen=True)
class ResourceNames:
    prefix: str = DEFAULT_PREFIX
    region: str = DEFAULT_REGION
    account_id: str = LOCAL_ACCOUNT_ID

    @classmethod
    def from_settings(cls, settings: AwsSettings, *, account_id: str = LOCAL_ACCOUNT_ID) -> ResourceNames:
        """The names under the settings' prefix and region (ARNs in ``account_id``, the local one unless given)."""
        return cls(prefix=settings.resource_prefix, region=settings.region, account_id=account_id)

    # DynamoDB
    @property
    def sessions_table(self) -> str:
        return f"{self.prefix}sessions"

    @property
    def connections_table(self) -> str:
        return f"{self.prefix}connections"

    @property
    def jobs_table(self) -> str:
        return f"{self.prefix}jobs"

    @property
    def pending_messages_table(self) -> str:
        return f"{self.prefix}pending-messages"

    connections_session_index = "sessionId-index"

    # S3
    @property
    def datasets_bucket(self) -> str:
        return f"{self.prefix}datasets"

    @property
    def artifacts_bucket(self) -> str:
        return f"{self.prefix}artifacts"

    # Secrets Manager
    @property
    def openai_api_key_secret(self) -> str:
        return f"{self.prefix}openai-api-key"

    @property
    def llm_settings_secret(self) -> str:
        return f"{self.prefix}llm-settings"

    @property
    def token_signing_key_secret(self) -> str:
        return f"{self.prefix}gateway-token-signing-key"

    @property
    def management_credentials_secret(self) -> str:
        return f"{self.prefix}management-api-credentials"

    # Lambda, Step Functions, ECS
    def function(self, short_name: str) -> str:
        return f"{self.prefix}{short_name}"

    def function_arn(self, short_name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function(short_name)}"

    @property
    def state_machine(self) -> str:
        return f"{self.prefix}agent-sm"

    @property
    def state_machine_arn(self) -> str:
        return f"arn:aws:states:{self.region}:{self.account_id}:stateMachine:{self.state_machine}"

    def execution_arn(self, execution_name: str) -> str:
        return f"arn:aws:states:{self.region}:{self.account_id}:execution:{self.state_machine}:{execution_name}"

    @property
    def cluster(self) -> str:
        return f"{self.prefix}cluster"

    def task_family(self, short_name: str) -> str:
        """``eda`` or ``causal-analysis``."""
        return f"{self.prefix}{short_name}"

    @property
    def log_group_prefix(self) -> str:
        return "/aws/lambda/"

    def function_log_group(self, short_name: str) -> str:
        return f"{self.log_group_prefix}{self.function(short_name)}"

    # AWS only: the WebSocket API, the task image's repository and the tasks' log group
    @property
    def websocket_api(self) -> str:
        return f"{self.prefix}websocket"

    @property
    def task_repository(self) -> str:
        return f"{self.prefix}task"

    @property
    def task_log_group(self) -> str:
        return f"/ecs/{self.prefix}tasks"
