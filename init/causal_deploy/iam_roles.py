"""IAM roles for the functions, the state machine and the ECS tasks."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from causal_deploy import tagging
from causal_deploy.manifest import RoleSpec
from causal_deploy.report import Action, DeployReport

POLICY_NAME = "stack-access"


def ensure_role(
    iam: Any, spec: RoleSpec, report: DeployReport, *, account_id: str, tags: tagging.Tags | None = None
) -> str:
    """Create or converge the role; return its ARN."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": spec.service}, "Action": "sts:AssumeRole"}],
    }
    created = False
    try:
        role = iam.get_role(RoleName=spec.name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        if report.plan:
            report.add("role", spec.name, Action.CREATED)
            return f"arn:aws:iam::{account_id}:role/{spec.name}"
        role = iam.create_role(
            RoleName=spec.name,
            AssumeRolePolicyDocument=json.dumps(trust),
            **({"Tags": tagging.pairs(tags)} if tags else {}),
        )["Role"]
        created = True
    changes: list[str] = []
    if not created and _document(role.get("AssumeRolePolicyDocument")) != trust:
        if not report.plan:
            iam.update_assume_role_policy(RoleName=spec.name, PolicyDocument=json.dumps(trust))
        changes.append("trust policy")
    try:
        current = _document(iam.get_role_policy(RoleName=spec.name, PolicyName=POLICY_NAME)["PolicyDocument"])
    except iam.exceptions.NoSuchEntityException:
        current = None
    if current != spec.policy:
        if not report.plan:
            iam.put_role_policy(RoleName=spec.name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(spec.policy))
        changes.append("policy")
    if not created and tags and tagging.ensure("role", iam, spec.name, tags, plan=report.plan):
        changes.append("tags")
    if created:
        report.add("role", spec.name, Action.CREATED)
    else:
        report.add("role", spec.name, Action.UPDATED if changes else Action.UNCHANGED, ", ".join(changes))
    return role["Arn"]


def _document(document: Any) -> Any:
    """IAM returns policy documents as dicts, or as (URL-encoded) JSON text."""
    if isinstance(document, str):
        return json.loads(unquote(document))
    return document
