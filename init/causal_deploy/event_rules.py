"""EventBridge rules that invoke the stack's functions: the rule, its function target, and the
function's permission for EventBridge to invoke it from that rule only."""

from __future__ import annotations

import json
from typing import Any

from causal_deploy import tagging
from causal_deploy.manifest import RuleSpec
from causal_deploy.report import Action, DeployReport

TARGET_ID = "function"
PERMISSION_ID = "eventbridge-invoke"


def ensure_rule(
    events: Any,
    awslambda: Any,
    spec: RuleSpec,
    function_name: str,
    function_arn: str,
    report: DeployReport,
    tags: tagging.Tags,
) -> None:
    pattern = json.dumps(spec.event_pattern, sort_keys=True)
    try:
        current = events.describe_rule(Name=spec.name)
    except events.exceptions.ResourceNotFoundException:
        current = None
    rule_arn = current["Arn"] if current is not None else None
    same = (
        current is not None
        and _same_pattern(current.get("EventPattern"), spec.event_pattern)
        and current.get("State") == "ENABLED"
        and current.get("Description", "") == spec.description
    )
    if current is None or not same:
        report.add("rule", spec.name, Action.CREATED if current is None else Action.UPDATED, spec.description)
        if not report.plan:
            rule_arn = events.put_rule(
                Name=spec.name,
                EventPattern=pattern,
                State="ENABLED",
                Description=spec.description,
                **({"Tags": tagging.pairs(tags)} if tags and current is None else {}),
            )["RuleArn"]
    elif rule_arn is not None and tagging.ensure("rule", events, rule_arn, tags, plan=report.plan):
        report.add("rule", spec.name, Action.UPDATED, "tags")
    else:
        report.add("rule", spec.name, Action.UNCHANGED)
    _ensure_target(events, spec, function_arn, report)
    _ensure_permission(awslambda, function_name, rule_arn or f"<{spec.name}>", report)


def _same_pattern(current: str | None, desired: dict[str, Any]) -> bool:
    try:
        return bool(current) and json.loads(current or "") == desired
    except ValueError:
        return False


def _ensure_target(events: Any, spec: RuleSpec, function_arn: str, report: DeployReport) -> None:
    try:
        targets = events.list_targets_by_rule(Rule=spec.name).get("Targets", [])
    except events.exceptions.ResourceNotFoundException:
        targets = []
    if [(t["Id"], t["Arn"]) for t in targets] == [(TARGET_ID, function_arn)]:
        report.add("rule-target", spec.name, Action.UNCHANGED)
        return
    report.add("rule-target", spec.name, Action.UPDATED if targets else Action.CREATED, spec.function)
    if report.plan:
        return
    stale = [t["Id"] for t in targets if t["Id"] != TARGET_ID]
    if stale:
        events.remove_targets(Rule=spec.name, Ids=stale)
    events.put_targets(Rule=spec.name, Targets=[{"Id": TARGET_ID, "Arn": function_arn}])


def _ensure_permission(awslambda: Any, function_name: str, rule_arn: str, report: DeployReport) -> None:
    """EventBridge may invoke the function, from this rule only."""
    try:
        policy = json.loads(awslambda.get_policy(FunctionName=function_name)["Policy"])
    except awslambda.exceptions.ResourceNotFoundException:
        policy = {"Statement": []}
    statement = next((s for s in policy.get("Statement", []) if s.get("Sid") == PERMISSION_ID), None)
    current_source = ((statement or {}).get("Condition") or {}).get("ArnLike", {}).get("AWS:SourceArn")
    if statement is not None and current_source == rule_arn:
        report.add("permission", f"{function_name} (events)", Action.UNCHANGED)
        return
    report.add(
        "permission",
        f"{function_name} (events)",
        Action.CREATED if statement is None else Action.UPDATED,
        "lambda:InvokeFunction by EventBridge",
    )
    if report.plan:
        return
    if statement is not None:
        awslambda.remove_permission(FunctionName=function_name, StatementId=PERMISSION_ID)
    awslambda.add_permission(
        FunctionName=function_name,
        StatementId=PERMISSION_ID,
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
