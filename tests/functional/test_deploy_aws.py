"""The AWS target against moto as the AWS double (in-process ``mock_aws``): deploy, plan, destroy."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from deploy_support import config_for, make_source

from causal_common.names import AWS_FUNCTIONS, FUNCTIONS, STACK_TAG
from causal_deploy import deploy, manifest
from causal_deploy.clients import Clients
from causal_deploy.config import Target
from causal_deploy.destroy import destroy, find
from causal_deploy.network import NetworkSettingsError

REGION = "eu-central-1"


@pytest.fixture
def aws(monkeypatch):
    from moto import mock_aws

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")  # must be ignored for target aws
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        yield


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return make_source(tmp_path / "repo")


def client(service: str):
    # The test's own view of the account ignores AWS_ENDPOINT_URL, as the deployer must.
    return boto3.client(service, region_name=REGION, config=Config(ignore_configured_endpoint_urls=True))


def default_subnets() -> list[str]:
    return [subnet["SubnetId"] for subnet in client("ec2").describe_subnets()["Subnets"] if subnet["DefaultForAz"]][:2]


def aws_config(source: Path, **overrides):
    values = {"ecs_subnets": default_subnets(), **overrides}
    return config_for(None, source, target=Target.AWS, **values)


def tagged_names(config) -> set[tuple[str, str]]:
    clients = Clients(config)
    names = manifest.ResourceNames.from_settings(config, account_id=clients.account_id)
    return {(found.kind, found.name) for found in find(clients, names) if found.tagged}


def test_deploy_creates_the_whole_aws_stack_tagged_and_a_second_deploy_changes_nothing(aws, source):
    config = aws_config(source)
    prefix = config.resource_prefix

    first = deploy(config)

    assert first.ok, first.problems
    assert config.endpoint_url is None
    created = {(r.kind, r.name) for r in first.results if r.action.value == "created"}
    assert {("function", f"{prefix}{name}") for name in (*FUNCTIONS, *AWS_FUNCTIONS)} <= created
    assert ("websocket-api", f"{prefix}websocket") in created
    assert ("repository", f"{prefix}task") in created
    assert ("log-group", f"/ecs/{prefix}tasks") in created

    apigw = client("apigatewayv2")
    api = next(a for a in apigw.get_apis()["Items"] if a["Name"] == f"{prefix}websocket")
    assert api["ProtocolType"] == "WEBSOCKET"
    assert api["RouteSelectionExpression"] == "$request.body.action"
    assert api["Tags"] == {STACK_TAG: prefix}
    routes = {route["RouteKey"]: route for route in apigw.get_routes(ApiId=api["ApiId"])["Items"]}
    assert set(routes) == {"$connect", "$disconnect", "$default"}
    (integration,) = apigw.get_integrations(ApiId=api["ApiId"])["Items"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert f"function:{prefix}websocket-handler/" in integration["IntegrationUri"]
    assert {route["Target"] for route in routes.values()} == {f"integrations/{integration['IntegrationId']}"}
    authorizer = apigw.get_authorizer(ApiId=api["ApiId"], AuthorizerId=routes["$connect"]["AuthorizerId"])
    assert authorizer["AuthorizerType"] == "REQUEST"
    assert authorizer["IdentitySource"] == ["route.request.querystring.token"]
    assert f"function:{prefix}connect-authorizer/" in authorizer["AuthorizerUri"]
    assert routes["$connect"]["AuthorizationType"] == "CUSTOM"
    assert routes["$disconnect"]["AuthorizationType"] == "NONE"
    assert [s["StageName"] for s in apigw.get_stages(ApiId=api["ApiId"])["Items"]] == ["dev"]

    awslambda = client("lambda")
    handler = awslambda.get_function(FunctionName=f"{prefix}websocket-handler")["Configuration"]
    variables = handler["Environment"]["Variables"]
    assert variables["WEBSOCKET_CALLBACK_URL"] == f"https://{api['ApiId']}.execute-api.{REGION}.amazonaws.com/dev"
    assert variables["ECS_SUBNETS"] == ",".join(config.ecs_subnets)
    assert "AWS_ENDPOINT_URL_ECS" not in variables
    for function in ("websocket-handler", "connect-authorizer"):
        policy = json.loads(awslambda.get_policy(FunctionName=f"{prefix}{function}")["Policy"])
        (statement,) = policy["Statement"]
        assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
        assert api["ApiId"] in statement["Condition"]["ArnLike"]["AWS:SourceArn"]
    authorizer_fn = awslambda.get_function(FunctionName=f"{prefix}connect-authorizer")["Configuration"]
    assert authorizer_fn["Role"].endswith(f"role/{prefix}authorizer-role")

    iam = client("iam")
    document = iam.get_role_policy(RoleName=f"{prefix}lambda-role", PolicyName="stack-access")["PolicyDocument"]
    manage = next(s for s in document["Statement"] if s["Action"] == "execute-api:ManageConnections")
    assert manage["Resource"] == f"arn:aws:execute-api:{REGION}:123456789012:{api['ApiId']}/dev/*/@connections/*"
    unscoped = [s["Action"] for s in document["Statement"] if s["Resource"] == "*"]
    assert unscoped == [["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"]]

    def actions(function: str) -> set[str]:
        role = awslambda.get_function(FunctionName=f"{prefix}{function}")["Configuration"]["Role"].split("/")[-1]
        statements = iam.get_role_policy(RoleName=role, PolicyName="stack-access")["PolicyDocument"]["Statement"]
        return {
            action for s in statements for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        }

    assert {"ecs:RunTask", "iam:PassRole"} <= actions("dispatch-tool")
    assert "states:StartExecution" in actions("websocket-handler")
    for function in ("invoke-llm", "handle-finish", "websocket-handler"):
        assert not {"ecs:RunTask", "iam:PassRole"} & actions(function), function
    assert actions("connect-authorizer") == {
        "secretsmanager:GetSecretValue",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }

    task = client("ecs").describe_task_definition(taskDefinition=f"{prefix}causal-analysis")["taskDefinition"]
    container = task["containerDefinitions"][0]
    assert container["logConfiguration"]["logDriver"] == "awslogs"
    assert container["logConfiguration"]["options"]["awslogs-group"] == f"/ecs/{prefix}tasks"
    assert container["image"] == f"123456789012.dkr.ecr.{REGION}.amazonaws.com/{prefix}task:latest"
    assert task["executionRoleArn"].endswith(f"role/{prefix}ecs-execution-role")
    assert task["taskRoleArn"].endswith(f"role/{prefix}ecs-task-role")

    events = client("events")
    rule = events.describe_rule(Name=f"{prefix}task-stopped")
    pattern = json.loads(rule["EventPattern"])
    assert pattern["source"] == ["aws.ecs"] and pattern["detail-type"] == ["ECS Task State Change"]
    assert pattern["detail"]["lastStatus"] == ["STOPPED"]
    assert pattern["detail"]["clusterArn"] == [f"arn:aws:ecs:{REGION}:123456789012:cluster/{prefix}cluster"]
    (target,) = events.list_targets_by_rule(Rule=f"{prefix}task-stopped")["Targets"]
    assert target["Arn"].endswith(f"function:{prefix}task-stopped")
    (invoke,) = json.loads(awslambda.get_policy(FunctionName=f"{prefix}task-stopped")["Policy"])["Statement"]
    assert invoke["Principal"] == {"Service": "events.amazonaws.com"}
    assert invoke["Condition"]["ArnLike"]["AWS:SourceArn"] == rule["Arn"]

    kinds_tagged = {kind for kind, _ in tagged_names(config)}
    assert kinds_tagged == {
        "rule", "websocket-api", "state-machine", "task-definition", "cluster", "function", "log-group",
        "repository", "secret", "bucket", "table", "role",
    }  # fmt: skip

    second = deploy(config)

    assert second.ok, second.problems
    assert second.changed == []
    assert second.summary().startswith("nothing changed")


def test_plan_changes_nothing_and_after_a_manifest_edit_lists_exactly_that_change(aws, source, monkeypatch):
    config = aws_config(source)
    prefix = config.resource_prefix

    before = deploy(config, plan=True)

    assert before.plan and before.changed
    assert {r.action.value for r in before.results} == {"created"}
    assert tagged_names(config) == set()
    assert client("lambda").list_functions()["Functions"] == []
    assert before.plan_text().startswith("plan for aws (AWS):")

    deploy(config)
    monkeypatch.setitem(manifest.FUNCTION_LIMITS, "data-query", (60, 2048))

    plan = deploy(config, plan=True)

    assert [(r.kind, r.name, r.action.value) for r in plan.changed] == [("function", f"{prefix}data-query", "updated")]
    assert "MemorySize 1024 -> 2048" in plan.changed[0].detail
    text = plan.summary()
    assert f"~ function         {prefix}data-query (configuration (MemorySize 1024 -> 2048))" in text
    assert f"= table            {prefix}sessions" in text
    assert json.loads(json.dumps(plan.to_dict()))["plan"] is True
    configuration = client("lambda").get_function(FunctionName=f"{prefix}data-query")["Configuration"]
    assert configuration["MemorySize"] == 1024  # the plan changed nothing

    applied = deploy(config)

    assert [(r.kind, r.name) for r in applied.changed] == [("function", f"{prefix}data-query")]
    assert deploy(config, plan=True).changed == []


def test_deploy_and_destroy_leave_unrelated_resources_of_the_same_kind_alone(aws, source):
    config = aws_config(source)
    prefix = config.resource_prefix
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    # Someone else's resources, named like the stack's but not tagged as its own.
    apigw = client("apigatewayv2")
    stranger_api = apigw.create_api(
        Name=f"{prefix}websocket", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.x"
    )["ApiId"]
    client("ecr").create_repository(repositoryName=f"{prefix}other")
    client("events").put_rule(Name=f"{prefix}manual-rule", ScheduleExpression="rate(1 hour)")
    client("iam").create_role(RoleName=f"{prefix}manual-role", AssumeRolePolicyDocument=trust)
    role_arn = client("iam").get_role(RoleName=f"{prefix}manual-role")["Role"]["Arn"]
    client("lambda").create_function(
        FunctionName=f"{prefix}manual",
        Runtime="python3.12",
        Role=role_arn,
        Handler="handler.handler",
        Code={"ZipFile": (source / "lambdas" / "handle-error" / "handler.py").read_bytes()},
    )

    deployed = deploy(config)

    assert deployed.ok, deployed.problems
    apis = {a["ApiId"]: a for a in apigw.get_apis()["Items"]}
    assert len(apis) == 2  # the stack made its own
    assert apis[stranger_api]["RouteSelectionExpression"] == "$request.body.x"
    assert apigw.get_routes(ApiId=stranger_api)["Items"] == []
    assert "Tags" not in apis[stranger_api] or STACK_TAG not in apis[stranger_api]["Tags"]

    asked: list[list[str]] = []
    report = destroy(config, lambda found: asked.append([f.name for f in found]) or True)

    assert tagged_names(config) == set()
    assert report.removed and asked and len(asked[0]) == len(report.removed)
    left = {(found.kind, found.name) for found in report.left_alone}
    assert left == {
        ("websocket-api", f"{prefix}websocket"),
        ("repository", f"{prefix}other"),
        ("role", f"{prefix}manual-role"),
        ("function", f"{prefix}manual"),
        ("rule", f"{prefix}manual-rule"),
    }
    assert [r["Name"] for r in client("events").list_rules()["Rules"]] == [f"{prefix}manual-rule"]
    assert [a["ApiId"] for a in apigw.get_apis()["Items"]] == [stranger_api]
    assert client("lambda").get_function(FunctionName=f"{prefix}manual")
    assert client("ecr").describe_repositories()["repositories"][0]["repositoryName"] == f"{prefix}other"
    assert client("iam").get_role(RoleName=f"{prefix}manual-role")
    assert client("dynamodb").list_tables()["TableNames"] == []
    assert [b["Name"] for b in client("s3").list_buckets()["Buckets"]] == []
    assert "left alone" in report.summary()


def test_destroy_asks_first_and_a_no_removes_nothing(aws, source):
    config = aws_config(source)
    deploy(config)
    before = tagged_names(config)

    report = destroy(config, lambda found: False)

    assert report.cancelled and report.removed == []
    assert tagged_names(config) == before


@pytest.mark.parametrize("problem", ["missing subnet", "no subnets", "other vpc group", "subnets in two vpcs"])
def test_bad_network_settings_are_refused_before_anything_changes(aws, source, problem):
    ec2 = client("ec2")
    other_vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    other_subnet = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    other_group = ec2.create_security_group(GroupName="elsewhere", Description="x", VpcId=other_vpc)["GroupId"]
    settings = {
        "missing subnet": {"ecs_subnets": ["subnet-0123456789abcdef0"]},
        "no subnets": {"ecs_subnets": []},
        "other vpc group": {"ecs_security_groups": [other_group]},
        "subnets in two vpcs": {"ecs_subnets": [default_subnets()[0], other_subnet]},
    }[problem]
    config = aws_config(source, **settings)

    with pytest.raises(NetworkSettingsError) as raised:
        deploy(config)

    message = raised.value.message
    assert {"missing subnet": "subnet-0123456789abcdef0", "no subnets": "ECS_SUBNETS"}.get(
        problem, other_vpc
    ) in message
    assert client("dynamodb").list_tables()["TableNames"] == []
    assert client("apigatewayv2").get_apis()["Items"] == []
    assert client("iam").list_roles()["Roles"] == []


def test_destroy_refuses_a_local_target(source):
    from causal_deploy.errors import DeployError

    with pytest.raises(DeployError) as raised:
        destroy(config_for("http://127.0.0.1:1", source), lambda found: True)

    assert "--target aws" in raised.value.message
