"""The AWS target's manifest: the API serves what the local gateway serves; local targets get none of it."""

from __future__ import annotations

from causal_common.names import AWS_FUNCTIONS, FUNCTIONS
from causal_deploy.config import DeployConfig, Target
from causal_deploy.manifest import build_manifest
from causal_gateway.settings import GatewaySettings


def test_the_websocket_api_has_the_routes_and_route_responses_of_the_local_gateway(monkeypatch):
    for variable in ("GATEWAY_ROUTES", "GATEWAY_ROUTE_RESPONSES", "GATEWAY_ROUTE_SELECTION_EXPRESSION"):
        monkeypatch.delenv(variable, raising=False)
    gateway = GatewaySettings(resource_prefix="p-")
    manifest = build_manifest(
        DeployConfig(
            target=Target.AWS,
            resource_prefix="p-",
            region="eu-central-1",
            websocket_stage="dev",
            task_image="causal-analysis-stack/task:latest",
        ),
        "123456789012",
        "abc",
    )

    assert manifest.aws is not None
    api = manifest.aws.websocket_api
    assert {route.key: f"p-{route.function}" for route in api.routes} == gateway.routes
    assert [route.key for route in api.routes if route.route_response] == gateway.route_responses
    assert api.route_selection_expression == gateway.route_selection_expression


def test_only_the_aws_target_gets_the_api_the_authorizer_tags_and_awslogs():
    for target in (Target.EMBEDDED, Target.LOCALSTACK):
        local = build_manifest(DeployConfig(target=target, resource_prefix="p-"), "000000000000")
        assert local.aws is None and local.tags == {} and local.extra_roles == ()
        assert [spec.short_name for spec in local.functions] == list(FUNCTIONS)
        assert {task.log_group for task in local.task_definitions} == {None}
        assert "STATE_MACHINE_ARN" not in local.functions[0].environment

    aws = build_manifest(
        DeployConfig(
            target=Target.AWS,
            resource_prefix="p-",
            region="eu-central-1",
            websocket_stage="dev",
            task_image="causal-analysis-stack/task:latest",
        ),
        "123456789012",
        "abc",
    )
    assert [spec.short_name for spec in aws.functions] == [*FUNCTIONS, *AWS_FUNCTIONS]
    assert aws.tags == {"causal-stack": "p-"}
    assert (
        aws.functions[0].environment["WEBSOCKET_CALLBACK_URL"]
        == "https://abc.execute-api.eu-central-1.amazonaws.com/dev"
    )
    assert {task.image for task in aws.task_definitions} == {
        "123456789012.dkr.ecr.eu-central-1.amazonaws.com/p-task:latest"
    }
