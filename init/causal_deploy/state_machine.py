"""The agent state machine from ``lambdas/state-machine.asl.json``."""

from __future__ import annotations

import json
import re
from typing import Any

from causal_deploy import tagging
from causal_deploy.errors import DeployError, MissingSourceError
from causal_deploy.manifest import StateMachineSpec
from causal_deploy.report import Action, DeployReport

PLACEHOLDER = re.compile(r"\$\{FunctionArn:([A-Za-z0-9_-]+)\}")


def render_definition(spec: StateMachineSpec, function_arns: dict[str, str]) -> str:
    """The ASL with every ``${FunctionArn:<short-name>}`` replaced by the deployed function's ARN."""
    if not spec.definition_file.is_file():
        raise MissingSourceError(
            f"the state machine definition {spec.definition_file} is missing; it is the agent's ASL "
            "(JSONPath only) with ${FunctionArn:<function>} placeholders"
        )
    text = spec.definition_file.read_text()
    unknown = sorted({name for name in PLACEHOLDER.findall(text) if name not in function_arns})
    if unknown:
        raise DeployError(
            f"{spec.definition_file} refers to unknown functions {unknown}; known: {sorted(function_arns)}"
        )
    rendered = PLACEHOLDER.sub(lambda match: function_arns[match.group(1)], text)
    try:
        parsed = json.loads(rendered)
    except ValueError as exc:
        raise DeployError(f"{spec.definition_file} is not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict) or "StartAt" not in parsed or "States" not in parsed:
        raise DeployError(f"{spec.definition_file} is not an ASL definition (needs StartAt and States)")
    return json.dumps(parsed, indent=2)


def ensure_state_machine(
    client: Any,
    spec: StateMachineSpec,
    arn: str,
    definition: str,
    role_arn: str,
    report: DeployReport,
    tags: tagging.Tags | None = None,
) -> str:
    try:
        current = client.describe_state_machine(stateMachineArn=arn)
    except client.exceptions.StateMachineDoesNotExist:
        report.add("state-machine", spec.name, Action.CREATED)
        if report.plan:
            return arn
        created = client.create_state_machine(
            name=spec.name,
            definition=definition,
            roleArn=role_arn,
            type="STANDARD",
            **({"tags": tagging.pairs(tags, "key", "value")} if tags else {}),
        )
        return str(created["stateMachineArn"])
    changes = []
    if json.loads(current["definition"]) != json.loads(definition):
        changes.append("definition")
    if current.get("roleArn") != role_arn:
        changes.append("role")
    if changes and not report.plan:
        client.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=role_arn)
    if tags and tagging.ensure("state-machine", client, arn, tags, plan=report.plan):
        changes.append("tags")
    report.add("state-machine", spec.name, Action.UPDATED if changes else Action.UNCHANGED, ", ".join(changes))
    return arn
