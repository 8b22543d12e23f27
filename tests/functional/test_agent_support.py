"""The agent's test world: moto tables, buckets, secrets and datasets, a fake
management API, fake tool results that follow the tools' contracts, and a
driver that calls the Lambda handlers in the order the state machine would.

Imported by the other ``test_agent_*`` files (it holds no tests itself).
"""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import support
from moto import mock_aws

from causal_agent import runtime
from causal_agent.clients import AgentClients
from causal_agent.settings import AgentSettings
from causal_common.models.datasets import Column, DatasetManifest, GroundTruth, data_key, manifest_key
from causal_common.models.tools import ToolOutcome

REGION = "eu-central-1"

LALONDE = DatasetManifest(
    id="lalonde_nsw",
    title="Lalonde NSW (experimental)",
    description="Job training and 1978 earnings.",
    rows=445,
    data_key=data_key("lalonde_nsw"),
    columns=[
        Column(name="treat", dtype="integer", role="treatment", synonyms=["training", "job training", "programme"]),
        Column(name="age", dtype="integer", role="covariate"),
        Column(name="educ", dtype="integer", role="covariate", synonyms=["education"]),
        Column(name="black", dtype="integer", role="covariate"),
        Column(name="re75", dtype="float", role="covariate"),
        Column(name="re78", dtype="float", role="outcome", synonyms=["earnings", "income"]),
    ],
    ground_truth=GroundTruth(treatment="treat", outcome="re78", estimand="ate", value=1794.34, source="NSW"),
)
SYNTHETIC = DatasetManifest(
    id="synthetic_linear",
    title="DoWhy synthetic linear",
    description="Known beta.",
    rows=10000,
    data_key=data_key("synthetic_linear"),
    columns=[
        Column(name="v0", dtype="boolean", role="treatment"),
        Column(name="W0", dtype="float", role="covariate"),
        Column(name="W1", dtype="float", role="covariate"),
        Column(name="y", dtype="float", role="outcome"),
    ],
)
# Two binary candidates and two outcomes, no roles: a question must say which.
AMBIGUOUS = DatasetManifest(
    id="survey",
    title="Household survey",
    description="No roles set.",
    rows=100,
    data_key=data_key("survey"),
    columns=[
        Column(name="grant", dtype="integer"),
        Column(name="school", dtype="integer"),
        Column(name="income", dtype="float"),
        Column(name="health", dtype="float"),
    ],
)


class FakeManagement:
    """The management API: records pushed frames per connection; ``gone`` connections raise GoneException."""

    def __init__(self) -> None:
        self.frames: dict[str, list[dict[str, Any]]] = {}
        self.gone: set[str] = set()
        self.exceptions = boto3.client(
            "apigatewaymanagementapi", region_name=REGION, endpoint_url="http://127.0.0.1:9/dev"
        ).exceptions

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> dict:  # noqa: N803 (boto3 names)
        if ConnectionId in self.gone:
            raise self.exceptions.GoneException(
                {"Error": {"Code": "GoneException", "Message": "gone"}}, "PostToConnection"
            )
        self.frames.setdefault(ConnectionId, []).append(json.loads(Data))
        return {}


class FakeStepFunctions:
    """Records what websocket-handler asks of Step Functions."""

    def __init__(self, real: Any) -> None:
        self.exceptions = real.exceptions
        self.started: list[dict[str, Any]] = []
        self.successes: list[dict[str, Any]] = []
        self.stopped: list[str] = []
        self.failures: list[dict[str, Any]] = []
        self.expired_tokens: set[str] = set()

    def start_execution(self, stateMachineArn: str, name: str, input: str) -> dict:  # noqa: N803, A002
        self.started.append({"arn": stateMachineArn, "name": name, "input": json.loads(input)})
        return {"executionArn": f"{stateMachineArn.replace(':stateMachine:', ':execution:')}:{name}"}

    def send_task_success(self, taskToken: str, output: str) -> dict:  # noqa: N803
        if taskToken in self.expired_tokens:
            raise self.exceptions.TaskTimedOut({"Error": {"Code": "TaskTimedOut", "Message": "x"}}, "SendTaskSuccess")
        self.successes.append({"token": taskToken, "output": json.loads(output)})
        return {}

    def stop_execution(self, executionArn: str, error: str, cause: str) -> dict:  # noqa: N803
        self.stopped.append(executionArn)
        return {}

    def send_task_failure(self, taskToken: str, error: str, cause: str) -> dict:  # noqa: N803
        self.failures.append({"token": taskToken, "error": error})
        return {}


def create_resources(
    clients: AgentClients, manifests: list[DatasetManifest], api_key: str = "", llm_settings: dict | None = None
) -> None:
    names = clients.names
    dynamodb = clients.dynamodb
    dynamodb.create_table(
        TableName=names.sessions_table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "sessionId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "sessionId", "AttributeType": "S"}],
    )
    dynamodb.create_table(
        TableName=names.connections_table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "connectionId", "AttributeType": "S"},
            {"AttributeName": "sessionId", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": names.connections_session_index,
                "KeySchema": [{"AttributeName": "sessionId", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    dynamodb.create_table(
        TableName=names.jobs_table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "jobId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "jobId", "AttributeType": "S"}],
    )
    dynamodb.create_table(
        TableName=names.pending_messages_table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "sessionId", "KeyType": "HASH"}, {"AttributeName": "seq", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "sessionId", "AttributeType": "S"},
            {"AttributeName": "seq", "AttributeType": "N"},
        ],
    )
    for bucket in (names.datasets_bucket, names.artifacts_bucket):
        clients.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    for manifest in manifests:
        clients.s3.put_object(
            Bucket=names.datasets_bucket, Key=manifest_key(manifest.id), Body=manifest.model_dump_json().encode()
        )
        clients.s3.put_object(Bucket=names.datasets_bucket, Key=manifest.data_key, Body=b"a,b\n1,2\n")
    clients.secrets.create_secret(Name=names.openai_api_key_secret, **({"SecretString": api_key} if api_key else {}))
    clients.secrets.create_secret(
        Name=names.llm_settings_secret, SecretString=json.dumps(llm_settings or {"model": "gpt-4o-mini", "baseUrl": ""})
    )
    clients.ecs.create_cluster(clusterName=names.cluster)
    for family in ("eda", "causal-analysis"):
        clients.ecs.register_task_definition(
            family=names.task_family(family),
            containerDefinitions=[{"name": "task", "image": "causal-tasks", "memory": 512}],
        )


@contextmanager
def bundled_world(monkeypatch) -> Iterator[AgentClients]:
    """moto with agent-sm executable and the real clients; resources are the caller's (see publish_bundled)."""
    monkeypatch.setenv("ARTIFACTS_BASE_URL", "http://127.0.0.1:8080/artifacts")
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield make_clients(monkeypatch, fake_stepfunctions=False)


def publish_bundled(clients: AgentClients, bundled: list, api_key: str = "", llm_settings: dict | None = None) -> None:
    """The agent's resources, and the bundled datasets published the way the deployer publishes them."""
    from causal_common.datasets import publish

    create_resources(clients, [], api_key=api_key, llm_settings=llm_settings)
    for manifest, csv_bytes in bundled:
        publish(clients.s3, clients.names, manifest, csv_bytes)


def make_clients(monkeypatch, *, fake_stepfunctions: bool = True) -> AgentClients:
    monkeypatch.setenv("WEBSOCKET_CALLBACK_URL", "http://127.0.0.1:9/dev")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    clients = AgentClients(AgentSettings())
    clients.management = FakeManagement()
    if fake_stepfunctions:
        clients.stepfunctions = FakeStepFunctions(boto3.client("stepfunctions", region_name=REGION))
    monkeypatch.setattr(runtime, "_clients", clients)
    return clients


# Fake tool results that follow the contracts in causal_common.models.tools ------------------------------------


def fake_data_query(event: dict[str, Any]) -> dict[str, Any]:
    sql = event["arguments"]["sql"]
    if "GROUP BY" in sql:
        result = {
            "columns": ["treatment", "n", "mean_outcome", "sd_outcome"],
            "rows": [[0, 260, 4554.8, 5483.8], [1, 185, 6349.1, 7867.4]],
            "row_count": 2,
            "truncated": False,
            "elapsed_ms": 3.0,
        }
    else:
        result = {
            "columns": ["n", "mean_treatment", "mean_outcome", "naive_slope", "correlation"],
            "rows": [[10000, 0.5, 5.0, 10.2, 0.8]],
            "row_count": 1,
            "truncated": False,
            "elapsed_ms": 3.0,
        }
    return ToolOutcome(tool="data_query", call_id=event["callId"], ok=True, result=result).model_dump(mode="json")


def fake_eda(job: dict[str, Any]) -> dict[str, Any]:
    arguments = json.loads(job["arguments"]["S"])
    result = {
        "rows": 445,
        "columns": [{"name": "age", "dtype": "integer", "missing": 0}],
        "correlations_with_outcome": {"educ": 0.14, "age": 0.02},
        "treated": 185,
        "control": 260,
        "balance": [{"covariate": "educ", "mean_treated": 10.3, "mean_control": 10.1, "smd": 0.13}],
        "propensity_overlap": {"outside_support_share": 0.0},
        "warnings": [],
        "artifacts": [
            {
                "name": "balance",
                "key": f"jobs/{job['jobId']['S']}/balance.png",
                "url": f"http://127.0.0.1:8080/artifacts/jobs/{job['jobId']['S']}/balance.png",
            }
        ],
    }
    assert arguments["treatment"] and arguments["outcome"]
    return ToolOutcome(
        tool="eda", call_id=job["callId"]["S"], ok=True, result=result, job_id=job["jobId"]["S"]
    ).model_dump(mode="json")


def fake_causal(job: dict[str, Any], estimate: float = 1794.34) -> dict[str, Any]:
    arguments = json.loads(job["arguments"]["S"])
    result = {
        "treatment": arguments["treatment"],
        "outcome": arguments["outcome"],
        "common_causes": arguments.get("common_causes") or ["age", "educ"],
        "target": "ate",
        "target_reason": "randomised experiment: the average effect over everyone is identified",
        "estimate": estimate,
        "ci": [480.2, 3108.5],
        "method": "backdoor.linear_regression",
        "naive_estimate": 1794.34,
        "methods": [
            {"method": "backdoor.linear_regression", "estimate": estimate, "ci": [480.2, 3108.5]},
            {"method": "backdoor.propensity_score_matching", "estimate": 1650.0},
        ],
        "refutations": [
            {"name": "placebo_treatment_refuter", "passed": True, "detail": "new effect 12.3, p=0.8"},
            {"name": "random_common_cause", "passed": True, "detail": "new effect 1790.1"},
        ],
        "warnings": [],
        "artifacts": [],
        "rows": 445,
    }
    return ToolOutcome(
        tool="causal_analysis", call_id=job["callId"]["S"], ok=True, result=result, job_id=job["jobId"]["S"]
    ).model_dump(mode="json")


def ws_event(
    route: str, connection_id: str, user_id: str | None, body: Any = None, query: dict[str, str] | None = None
) -> dict[str, Any]:
    context = {
        "routeKey": route,
        "connectionId": connection_id,
        "domainName": "127.0.0.1",
        "stage": "dev",
        "eventType": "MESSAGE",
        "requestId": uuid.uuid4().hex,
    }
    if user_id:
        context["authorizer"] = {"userId": user_id}
    event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    if query:
        event["queryStringParameters"] = query
    return event


@dataclass
class Driver:
    """Calls the handlers in the order agent-sm would, the tools faked by their contracts."""

    clients: AgentClients
    handlers: dict[str, Any] = field(default_factory=dict)
    causal_estimate: float = 1794.34
    trace: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in (
            "parse-initial-query",
            "invoke-llm",
            "dispatch-tool",
            "send-prompt",
            "append-tool-output",
            "handle-finish",
            "handle-error",
            "handle-timeout",
        ):
            self.handlers[name] = support.load_lambda_module(name).handler

    def call(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        self.trace.append(name)
        return json.loads(json.dumps(self.handlers[name](json.loads(json.dumps(event)), None)))

    def start(self, execution_input: dict[str, Any]) -> dict[str, Any]:
        return self.call("parse-initial-query", {"input": execution_input, "executionArn": "arn:test:execution"})

    def run(self, state: dict[str, Any], max_steps: int = 40) -> tuple[str, dict[str, Any]]:
        """Run until the execution would end or wait for the user: ('final'|'ask', state)."""
        for _ in range(max_steps):
            state = self.call("invoke-llm", state)
            if state["turn"] > state["config"]["maxTurns"] or state["decision"]["kind"] == "final":
                self.call("handle-finish", state)
                return "final", state
            if state["decision"]["kind"] == "ask":
                token = uuid.uuid4().hex
                self.call("send-prompt", {"state": state, "taskToken": token})
                return "ask", state
            state = self.call("dispatch-tool", state)
            call = state["decision"]["toolCall"]
            if state["route"] == "data_query":
                state["toolResult"] = {
                    "outcome": fake_data_query(
                        {
                            "sessionId": state["sessionId"],
                            "datasetId": state["datasetId"],
                            "callId": call["callId"],
                            "arguments": call["arguments"],
                        }
                    )
                }
            elif state["route"] == "ecs":
                job_id = self.call(
                    "dispatch-tool", {"mode": "start_job", "state": state, "taskToken": uuid.uuid4().hex}
                )["jobId"]
                job = self.clients.dynamodb.get_item(
                    TableName=self.clients.names.jobs_table, Key={"jobId": {"S": job_id}}
                )["Item"]
                outcome = fake_eda(job) if call["name"] == "eda" else fake_causal(job, self.causal_estimate)
                state["toolResult"] = {"outcome": outcome}
            state = self.call("append-tool-output", state)
        raise AssertionError("the conversation did not end")

    def resume_with_reply(self, state: dict[str, Any], successes: list[dict[str, Any]]) -> dict[str, Any]:
        """What SendPrompt's ResultSelector/ResultPath do with the reply's SendTaskSuccess output."""
        state = dict(state, toolResult={"outcome": successes[-1]["output"]})
        return self.call("append-tool-output", state)


def frames(clients: AgentClients, session_id: str) -> list[dict[str, Any]]:
    return [json.loads(body) for _, body in clients.outbox.stored_frames(session_id)]


def session_item(clients: AgentClients, session_id: str) -> dict[str, Any]:
    return clients.dynamodb.get_item(
        TableName=clients.names.sessions_table, Key={"sessionId": {"S": session_id}}, ConsistentRead=True
    )["Item"]


# agent-sm in moto's interpreter, in this process ----------------------------------------------------------------


class EcsTaskPlayer:
    """Wraps the ECS client: after run_task a thread plays the task, answering its task token.

    With ``real_tools`` it runs the real task code (causal_tasks.job.run_job: EDA, DoWhy); otherwise
    it answers with the contract fakes above. Tools in ``fail_tools`` fail the way a crashed task does.
    """

    def __init__(self, ecs: Any, clients: AgentClients, real_tools: bool) -> None:
        self._ecs, self._clients, self.real_tools = ecs, clients, real_tools
        self.fail_tools: set[str] = set()
        self.delay_seconds = 0.2

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ecs, name)

    def run_task(self, **request: Any) -> dict:
        response = self._ecs.run_task(**request)
        job_id = request["overrides"]["containerOverrides"][0]["environment"][0]["value"]
        threading.Thread(target=self._play, args=(job_id, request["taskDefinition"]), daemon=True).start()
        return response

    def _play(self, job_id: str, family: str) -> None:
        names, dynamodb = self._clients.names, self._clients.dynamodb
        job = dynamodb.get_item(TableName=names.jobs_table, Key={"jobId": {"S": job_id}})["Item"]
        sfn = boto3.client("stepfunctions", region_name=REGION)
        tool = job["tool"]["S"]
        if tool in self.fail_tools:
            time.sleep(0.2)
            sfn.send_task_failure(taskToken=job["taskToken"]["S"], error="TaskExited", cause="exit code 1")
        elif self.real_tools:
            from causal_tasks.job import Clients, TaskSettings, run_job

            settings = TaskSettings(JOB_ID=job_id, ARTIFACTS_BASE_URL="http://127.0.0.1:8080/artifacts")
            run_job(
                family[len(names.prefix) :],
                settings,
                Clients(self._clients.dynamodb, self._clients.s3, sfn, self._clients.management),
            )
        else:
            # moto's heartbeat wait starts only after dispatch-tool returned and drops an answer that came
            # earlier: wait for the taskArn dispatch-tool writes last, then a moment (real tasks take seconds).
            for _ in range(200):
                item = dynamodb.get_item(TableName=names.jobs_table, Key={"jobId": {"S": job_id}})["Item"]
                if "taskArn" in item:
                    break
                time.sleep(0.01)
            time.sleep(self.delay_seconds)
            outcome = fake_eda(job) if tool == "eda" else fake_causal(job)
            sfn.send_task_success(taskToken=job["taskToken"]["S"], output=json.dumps(outcome))


class EmbeddedAgent:
    """agent-sm deployed in moto (mock_aws must be active), its Lambdas run in-process.

    moto never runs Lambda code without Docker, so ``LambdaFunction._invoke_lambda`` (the seam the
    embedded stack's runner also replaces) calls our handlers; errors map like the Lambda runtime's.
    """

    def __init__(self, clients: AgentClients, patch: Any, real_tools: bool = False) -> None:
        from moto.awslambda.models import LambdaFunction

        from causal_common.names import FUNCTIONS

        self.clients = clients
        self.player = EcsTaskPlayer(clients.ecs, clients, real_tools)
        clients.ecs = self.player
        self.handlers = {name: support.load_lambda_module(name).handler for name in FUNCTIONS if name != "data-query"}
        if real_tools:
            self.handlers["data-query"] = support.load_lambda_module("data-query").handler
        else:
            self.handlers["data-query"] = lambda event, context: fake_data_query(event)
        prefix, handlers = clients.names.prefix, self.handlers

        def invoke(function: Any, event: Any = None) -> tuple[str, bool, str]:
            handler = handlers[function.function_name[len(prefix) :]]
            try:
                payload = event if isinstance(event, dict) else json.loads(event or "{}")
                return json.dumps(handler(payload, None)), False, ""
            except Exception as exc:  # noqa: BLE001 — every failure becomes a function error, as in Lambda
                return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}), True, ""

        patch(LambdaFunction, "_invoke_lambda", invoke)
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="agent", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam = boto3.client("lambda", region_name=REGION)
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
        definition = (support.LAMBDAS / "state-machine.asl.json").read_text()
        for name in FUNCTIONS:
            arn = lam.create_function(
                FunctionName=clients.names.function(name),
                Runtime="python3.12",
                Role=role,
                Handler="handler.handler",
                Code={"ZipFile": code.getvalue()},
            )["FunctionArn"]
            definition = definition.replace(f"${{FunctionArn:{name}}}", arn)
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.state_machine_arn = self.sfn.create_state_machine(
            name=clients.names.state_machine, definition=definition, roleArn=role
        )["stateMachineArn"]

    def websocket(
        self, route: str, connection: str, user: str | None, body: Any = None, query: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return self.handlers["websocket-handler"](ws_event(route, connection, user, body=body, query=query), None)

    def ask(self, connection: str, user: str, body: dict[str, Any]) -> str:
        """Connect, send a query; the new session's id."""
        assert self.websocket("$connect", connection, user)["statusCode"] == 200
        assert self.websocket("$default", connection, user, body=body)["statusCode"] == 200
        return self.clients.dynamodb.get_item(
            TableName=self.clients.names.connections_table, Key={"connectionId": {"S": connection}}
        )["Item"]["sessionId"]["S"]

    def wait_for_end(self, execution_arn: str, seconds: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            described = self.sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.05)
        raise AssertionError(f"{execution_arn} still running after {seconds} s")

    def wait_for_frame(self, session_id: str, kind: str, seconds: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [frame for frame in frames(self.clients, session_id) if frame["type"] == kind]
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no {kind} frame for {session_id} after {seconds} s")

    def execution_of(self, session_id: str) -> str:
        return session_item(self.clients, session_id)["executionArn"]["S"]
