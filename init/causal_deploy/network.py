"""The tasks' network on AWS (RunTask's awsvpc configuration), checked before anything is deployed."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from causal_common.aws import error_code, error_message
from causal_deploy.errors import DeployError
from causal_deploy.manifest import NetworkSpec

HINT = (
    "set ECS_SUBNETS=subnet-…[,subnet-…] (subnets the tasks run in, with a route to ECR, S3, DynamoDB, "
    "Step Functions and API Gateway: public with a public IP, or NAT / VPC endpoints) and optionally "
    "ECS_SECURITY_GROUPS=sg-…[,sg-…] of the same VPC"
)


class NetworkSettingsError(DeployError):
    code = "NetworkSettings"


def validate(ec2: Any, network: NetworkSpec) -> str:
    """The VPC the subnets and security groups share; raises :class:`NetworkSettingsError` naming what is wrong."""
    if not network.subnets:
        raise NetworkSettingsError(f"the AWS target needs the tasks' subnets: {HINT}")
    subnets = _described(ec2, "subnets", list(network.subnets))
    vpcs = {subnet["VpcId"] for subnet in subnets}
    if len(vpcs) > 1:
        listed = ", ".join(f"{subnet['SubnetId']} in {subnet['VpcId']}" for subnet in subnets)
        raise NetworkSettingsError(f"the subnets are in different VPCs ({listed}); a task's subnets share one VPC")
    vpc = vpcs.pop()
    if network.security_groups:
        groups = _described(ec2, "security groups", list(network.security_groups))
        strangers = [f"{group['GroupId']} in {group.get('VpcId')}" for group in groups if group.get("VpcId") != vpc]
        if strangers:
            raise NetworkSettingsError(
                f"security groups outside the subnets' VPC {vpc}: {', '.join(strangers)}; use groups of {vpc}"
            )
    return str(vpc)


def _described(ec2: Any, kind: str, ids: list[str]) -> list[dict[str, Any]]:
    try:
        if kind == "subnets":
            found: list[dict[str, Any]] = ec2.describe_subnets(SubnetIds=ids)["Subnets"]
        else:
            found = ec2.describe_security_groups(GroupIds=ids)["SecurityGroups"]
    except ClientError as exc:
        if error_code(exc).endswith((".NotFound", ".Malformed")) or error_code(exc) == "InvalidParameterValue":
            raise NetworkSettingsError(f"{kind} not found: {error_message(exc)}. {HINT}") from exc
        raise
    key = "SubnetId" if kind == "subnets" else "GroupId"
    absent = sorted(set(ids) - {item[key] for item in found})
    if absent:
        raise NetworkSettingsError(f"{kind} not found: {', '.join(absent)}. {HINT}")
    return found
