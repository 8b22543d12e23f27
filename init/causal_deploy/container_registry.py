"""The ECR repository of the task image and the CloudWatch log groups (AWS target only)."""

from __future__ import annotations

from typing import Any

from causal_deploy import tagging
from causal_deploy.manifest import LogGroupSpec, RepositorySpec
from causal_deploy.report import Action, DeployReport


def ensure_repository(ecr: Any, spec: RepositorySpec, report: DeployReport, tags: tagging.Tags) -> str:
    """Create the repository when missing; return its URI (planning a creation: ``""``)."""
    try:
        repository = ecr.describe_repositories(repositoryNames=[spec.name])["repositories"][0]
    except ecr.exceptions.RepositoryNotFoundException:
        report.add("repository", spec.name, Action.CREATED)
        if report.plan:
            return ""
        created = ecr.create_repository(
            repositoryName=spec.name,
            imageScanningConfiguration={"scanOnPush": True},
            tags=tagging.pairs(tags),
        )
        return str(created["repository"]["repositoryUri"])
    changed = tagging.ensure("repository", ecr, repository["repositoryArn"], tags, plan=report.plan)
    report.add("repository", spec.name, Action.UPDATED if changed else Action.UNCHANGED, "tags" if changed else "")
    return str(repository["repositoryUri"])


def ensure_log_group(logs: Any, spec: LogGroupSpec, report: DeployReport, tags: tagging.Tags) -> None:
    found = [
        group
        for group in logs.describe_log_groups(logGroupNamePrefix=spec.name).get("logGroups", [])
        if group["logGroupName"] == spec.name
    ]
    if not found:
        if not report.plan:
            logs.create_log_group(logGroupName=spec.name, tags=dict(tags))
            logs.put_retention_policy(logGroupName=spec.name, retentionInDays=spec.retention_days)
        report.add("log-group", spec.name, Action.CREATED, f"{spec.retention_days} days")
        return
    group = found[0]
    changes: list[str] = []
    if group.get("retentionInDays") != spec.retention_days:
        if not report.plan:
            logs.put_retention_policy(logGroupName=spec.name, retentionInDays=spec.retention_days)
        changes.append(f"retention {group.get('retentionInDays')} -> {spec.retention_days} days")
    if tagging.ensure("log-group", logs, group["arn"].removesuffix(":*"), tags, plan=report.plan):
        changes.append("tags")
    report.add("log-group", spec.name, Action.UPDATED if changes else Action.UNCHANGED, ", ".join(changes))
