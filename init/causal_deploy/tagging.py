"""The stack's tag on every AWS resource: read it, add it where it is missing.

Each service spells tags its own way (a map, ``Key``/``Value`` or ``key``/``value`` pairs); the
functions here take and return a plain ``{key: value}`` map. With ``plan`` nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from causal_common.aws import error_code

Tags = Mapping[str, str]


def pairs(tags: Tags, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in sorted(tags.items())]


def from_pairs(items: list[dict[str, str]] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {item[key]: item[value] for item in items or []}


def missing(current: Mapping[str, str], desired: Tags) -> dict[str, str]:
    """The desired tags the resource lacks (or has with another value); other tags are left alone."""
    return {k: v for k, v in desired.items() if current.get(k) != v}


def ensure(kind: str, client: Any, resource: str, desired: Tags, *, plan: bool) -> bool:
    """Add what ``desired`` tags ``resource`` lacks; True when something was (or, planning, would be) added.

    ``resource`` is the ARN, or the name where the service tags by name (a bucket, a role, a secret).
    """
    if not desired:
        return False
    lacking = missing(read(kind, client, resource), desired)
    if lacking and not plan:
        _write(kind, client, resource, lacking)
    return bool(lacking)


def read(kind: str, client: Any, resource: str) -> dict[str, str]:
    if kind == "table":
        return from_pairs(client.list_tags_of_resource(ResourceArn=resource).get("Tags"))
    if kind == "bucket":
        try:
            return from_pairs(client.get_bucket_tagging(Bucket=resource).get("TagSet"))
        except ClientError as exc:
            if error_code(exc) == "NoSuchTagSet":
                return {}
            raise
    if kind == "secret":
        return from_pairs(client.describe_secret(SecretId=resource).get("Tags"))
    if kind == "role":
        return from_pairs(client.list_role_tags(RoleName=resource).get("Tags"))
    if kind == "function":
        return dict(client.list_tags(Resource=resource).get("Tags") or {})
    if kind == "state-machine":
        return from_pairs(client.list_tags_for_resource(resourceArn=resource).get("tags"), "key", "value")
    if kind in ("cluster", "task-definition"):
        return from_pairs(client.list_tags_for_resource(resourceArn=resource).get("tags"), "key", "value")
    if kind == "repository":
        return from_pairs(client.list_tags_for_resource(resourceArn=resource).get("tags"))
    if kind == "log-group":
        return dict(client.list_tags_for_resource(resourceArn=resource).get("tags") or {})
    if kind == "websocket-api":
        return dict(client.get_tags(ResourceArn=resource).get("Tags") or {})
    if kind == "rule":
        return from_pairs(client.list_tags_for_resource(ResourceARN=resource).get("Tags"))
    raise ValueError(f"no tag reader for {kind}")


def _write(kind: str, client: Any, resource: str, tags: Tags) -> None:
    if kind == "table":
        client.tag_resource(ResourceArn=resource, Tags=pairs(tags))
    elif kind == "bucket":
        current = read(kind, client, resource)  # PutBucketTagging replaces the whole set
        client.put_bucket_tagging(Bucket=resource, Tagging={"TagSet": pairs({**current, **tags})})
    elif kind == "secret":
        client.tag_resource(SecretId=resource, Tags=pairs(tags))
    elif kind == "role":
        client.tag_role(RoleName=resource, Tags=pairs(tags))
    elif kind == "function":
        client.tag_resource(Resource=resource, Tags=dict(tags))
    elif kind in ("state-machine", "cluster", "task-definition"):
        client.tag_resource(resourceArn=resource, tags=pairs(tags, "key", "value"))
    elif kind == "repository":
        client.tag_resource(resourceArn=resource, tags=pairs(tags))
    elif kind == "log-group":
        client.tag_resource(resourceArn=resource, tags=dict(tags))
    elif kind == "websocket-api":
        client.tag_resource(ResourceArn=resource, Tags=dict(tags))
    elif kind == "rule":
        client.tag_resource(ResourceARN=resource, Tags=pairs(tags))
    else:
        raise ValueError(f"no tag writer for {kind}")
