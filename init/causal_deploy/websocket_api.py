"""The WebSocket API on AWS (API Gateway v2): the API, its Lambda integration, routes, $connect
authorizer, stage and the functions' invoke permissions. Off AWS the project's gateway plays it.
"""

from __future__ import annotations

import json
from typing import Any

from causal_common.names import STACK_TAG, ResourceNames
from causal_deploy import tagging
from causal_deploy.manifest import WebSocketApiSpec
from causal_deploy.report import Action, DeployReport

PERMISSION_ID = "causal-stack-websocket-api"


def api_arn(region: str, api_id: str) -> str:
    return f"arn:aws:apigateway:{region}::/apis/{api_id}"


def find_api(apigatewayv2: Any, name: str, prefix: str) -> dict[str, Any] | None:
    """The stack's API: its name *and* the stack's tag (API names are not unique; an untagged one is not ours)."""
    for api in list_apis(apigatewayv2):
        if api.get("Name") == name and (api.get("Tags") or {}).get(STACK_TAG) == prefix:
            return api
    return None


def list_apis(apigatewayv2: Any) -> list[dict[str, Any]]:
    apis: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {}
    while True:
        page = apigatewayv2.get_apis(**arguments)
        apis.extend(page.get("Items", []))
        if not page.get("NextToken"):
            return apis
        arguments["NextToken"] = page["NextToken"]


def ensure_api(
    apigatewayv2: Any, spec: WebSocketApiSpec, names: ResourceNames, report: DeployReport, tags: tagging.Tags
) -> str | None:
    """The API's id (created when missing); ``None`` when planning its creation."""
    api = find_api(apigatewayv2, spec.name, names.prefix)
    if api is None:
        report.add("websocket-api", spec.name, Action.CREATED)
        if report.plan:
            return None
        created = apigatewayv2.create_api(
            Name=spec.name,
            ProtocolType="WEBSOCKET",
            RouteSelectionExpression=spec.route_selection_expression,
            Tags=dict(tags),
        )
        return str(created["ApiId"])
    api_id = str(api["ApiId"])
    changes: list[str] = []
    if api.get("RouteSelectionExpression") != spec.route_selection_expression:
        if not report.plan:
            apigatewayv2.update_api(ApiId=api_id, RouteSelectionExpression=spec.route_selection_expression)
        changes.append("route selection")
    if tagging.missing(api.get("Tags") or {}, tags):
        if not report.plan:
            apigatewayv2.tag_resource(ResourceArn=api_arn(names.region, api_id), Tags=dict(tags))
        changes.append("tags")
    report.add("websocket-api", spec.name, Action.UPDATED if changes else Action.UNCHANGED, ", ".join(changes))
    return api_id


def ensure_wiring(
    apigatewayv2: Any,
    awslambda: Any,
    spec: WebSocketApiSpec,
    api_id: str | None,
    names: ResourceNames,
    report: DeployReport,
    tags: tagging.Tags,
) -> None:
    """Integrations, the authorizer, routes, the stage and the invoke permissions of an API that exists
    (planning an API still to be created: all of it to create)."""
    functions = sorted({route.function for route in spec.routes} | {spec.authorizer.function})
    if api_id is None:
        for route in spec.routes:
            report.add("route", f"{spec.name} {route.key}", Action.CREATED, f"-> {names.function(route.function)}")
        report.add("authorizer", spec.authorizer.name, Action.CREATED, f"on {spec.authorizer.route}")
        report.add("stage", f"{spec.name} {spec.stage}", Action.CREATED)
        for function in functions:
            report.add("permission", names.function(function), Action.CREATED, "lambda:InvokeFunction by API Gateway")
        return
    integrations = {
        function: _ensure_integration(apigatewayv2, api_id, _invocation_uri(names, function), report)
        for function in sorted({route.function for route in spec.routes})
    }
    current_routes = {route["RouteKey"]: route for route in _items(apigatewayv2.get_routes, ApiId=api_id)}
    protected = current_routes.get(spec.authorizer.route) or {}
    authorizer_id = _ensure_authorizer(apigatewayv2, api_id, spec, names, report, protected.get("AuthorizerId"))
    for route in spec.routes:
        desired: dict[str, Any] = {
            "Target": f"integrations/{integrations[route.function]}",
            "AuthorizationType": "CUSTOM" if route.key == spec.authorizer.route else "NONE",
        }
        if route.key == spec.authorizer.route:
            desired["AuthorizerId"] = authorizer_id
        if route.route_response:
            desired["RouteResponseSelectionExpression"] = "$default"
        _ensure_route(apigatewayv2, api_id, route.key, desired, current_routes.get(route.key), spec, report)
    _ensure_stage(apigatewayv2, api_id, spec, report, tags)
    source_arn = f"arn:aws:execute-api:{names.region}:{names.account_id}:{api_id}/*"
    for function in functions:
        _ensure_permission(awslambda, names.function(function), source_arn, report)


def _items(method: Any, **arguments: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = method(**arguments)
        items.extend(page.get("Items", []))
        if not page.get("NextToken"):
            return items
        arguments["NextToken"] = page["NextToken"]


def _invocation_uri(names: ResourceNames, function: str) -> str:
    return (
        f"arn:aws:apigateway:{names.region}:lambda:path/2015-03-31/functions/{names.function_arn(function)}/invocations"
    )


def _ensure_integration(apigatewayv2: Any, api_id: str, uri: str, report: DeployReport) -> str:
    name = uri.split("function:")[-1].split("/")[0]
    for integration in _items(apigatewayv2.get_integrations, ApiId=api_id):
        if integration.get("IntegrationUri") == uri and integration.get("IntegrationType") == "AWS_PROXY":
            report.add("integration", name, Action.UNCHANGED)
            return str(integration["IntegrationId"])
    report.add("integration", name, Action.CREATED, "AWS_PROXY")
    if report.plan:
        return "<new-integration>"
    created = apigatewayv2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=uri)
    return str(created["IntegrationId"])


def _ensure_authorizer(
    apigatewayv2: Any,
    api_id: str,
    spec: WebSocketApiSpec,
    names: ResourceNames,
    report: DeployReport,
    attached_id: str | None,
) -> str:
    """The authorizer is found through the route it protects (``attached_id``), so one that a failed
    deploy left unattached is not reused: a new one is made and attached."""
    desired = {
        "AuthorizerType": "REQUEST",
        "AuthorizerUri": _invocation_uri(names, spec.authorizer.function),
        "IdentitySource": [spec.authorizer.identity_source],
    }
    current = apigatewayv2.get_authorizer(ApiId=api_id, AuthorizerId=attached_id) if attached_id else None
    if current is None:
        report.add("authorizer", spec.authorizer.name, Action.CREATED, f"on {spec.authorizer.route}")
        if report.plan:
            return "<new-authorizer>"
        created = apigatewayv2.create_authorizer(ApiId=api_id, Name=spec.authorizer.name, **desired)
        return str(created["AuthorizerId"])
    differing = [key for key, value in desired.items() if current.get(key) != value]
    if differing and not report.plan:
        apigatewayv2.update_authorizer(ApiId=api_id, AuthorizerId=current["AuthorizerId"], **desired)
    report.add(
        "authorizer", spec.authorizer.name, Action.UPDATED if differing else Action.UNCHANGED, ", ".join(differing)
    )
    return str(current["AuthorizerId"])


def _ensure_route(
    apigatewayv2: Any,
    api_id: str,
    key: str,
    desired: dict[str, Any],
    current: dict[str, Any] | None,
    spec: WebSocketApiSpec,
    report: DeployReport,
) -> None:
    name = f"{spec.name} {key}"
    if current is None:
        report.add("route", name, Action.CREATED, desired["Target"])
        if not report.plan:
            route_id = apigatewayv2.create_route(ApiId=api_id, RouteKey=key, **desired)["RouteId"]
            if "RouteResponseSelectionExpression" in desired:
                apigatewayv2.create_route_response(ApiId=api_id, RouteId=route_id, RouteResponseKey="$default")
        return
    differing = [k for k, value in desired.items() if current.get(k) != value]
    if differing and not report.plan:
        apigatewayv2.update_route(ApiId=api_id, RouteId=current["RouteId"], **desired)
        # The route response goes with the selection expression (both are made together on creation).
        if "RouteResponseSelectionExpression" in differing:
            apigatewayv2.create_route_response(ApiId=api_id, RouteId=current["RouteId"], RouteResponseKey="$default")
    report.add("route", name, Action.UPDATED if differing else Action.UNCHANGED, ", ".join(differing))


def _ensure_stage(
    apigatewayv2: Any, api_id: str, spec: WebSocketApiSpec, report: DeployReport, tags: tagging.Tags
) -> None:
    name = f"{spec.name} {spec.stage}"
    stages = {stage["StageName"]: stage for stage in _items(apigatewayv2.get_stages, ApiId=api_id)}
    current = stages.get(spec.stage)
    if current is None:
        report.add("stage", name, Action.CREATED, "auto-deploy")
        if not report.plan:
            apigatewayv2.create_stage(ApiId=api_id, StageName=spec.stage, AutoDeploy=True, Tags=dict(tags))
        return
    if not current.get("AutoDeploy"):
        if not report.plan:
            apigatewayv2.update_stage(ApiId=api_id, StageName=spec.stage, AutoDeploy=True)
        report.add("stage", name, Action.UPDATED, "auto-deploy")
        return
    report.add("stage", name, Action.UNCHANGED)


def _ensure_permission(awslambda: Any, function_name: str, source_arn: str, report: DeployReport) -> None:
    """API Gateway may invoke the function, from this API only."""
    try:
        policy = json.loads(awslambda.get_policy(FunctionName=function_name)["Policy"])
    except awslambda.exceptions.ResourceNotFoundException:
        policy = {"Statement": []}
    statement = next((s for s in policy.get("Statement", []) if s.get("Sid") == PERMISSION_ID), None)
    current_source = ((statement or {}).get("Condition") or {}).get("ArnLike", {}).get("AWS:SourceArn")
    if statement is not None and current_source == source_arn:
        report.add("permission", function_name, Action.UNCHANGED)
        return
    report.add(
        "permission",
        function_name,
        Action.CREATED if statement is None else Action.UPDATED,
        "lambda:InvokeFunction by API Gateway",
    )
    if report.plan:
        return
    if statement is not None:
        awslambda.remove_permission(FunctionName=function_name, StatementId=PERMISSION_ID)
    awslambda.add_permission(
        FunctionName=function_name,
        StatementId=PERMISSION_ID,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=source_arn,
    )
