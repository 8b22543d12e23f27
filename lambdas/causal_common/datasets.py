"""Read dataset manifests and data from the datasets bucket (plain boto3 + json).

Lambdas (parse-initial-query, data-query) and the tasks use these; writing
datasets needs pandas and lives in ``causal_tasks.datasets``.

This is the agent's reader: a manifest's ``ground_truth`` (the known answer of
a bundled dataset) is dropped here, so no prompt, planner input or tool ever
holds it. Evaluation and the dashboard read the stored manifest itself.
"""

from __future__ import annotations

import json
import re
from typing import Any

from botocore.exceptions import ClientError

from causal_common.aws import is_not_found
from causal_common.errors import InvalidInputError, NotFoundError
from causal_common.models.datasets import DATASET_ID_PATTERN, DatasetManifest, manifest_key
from causal_common.names import ResourceNames

_ID = re.compile(DATASET_ID_PATTERN)


def check_dataset_id(dataset_id: str) -> str:
    """Return ``dataset_id`` or raise InvalidInputError naming the accepted form."""
    if not isinstance(dataset_id, str) or not _ID.match(dataset_id):
        raise InvalidInputError(
            f"invalid dataset id {dataset_id!r}: use 1-63 lowercase letters, digits, '_' or '-', starting with a letter or digit"
        )
    return dataset_id


def load_manifest(s3: Any, names: ResourceNames, dataset_id: str) -> DatasetManifest:
    """The manifest of ``dataset_id`` without its ground truth; NotFoundError if there is none."""
    check_dataset_id(dataset_id)
    try:
        body = s3.get_object(Bucket=names.datasets_bucket, Key=manifest_key(dataset_id))["Body"].read()
    except ClientError as exc:
        if is_not_found(exc):
            raise NotFoundError(f"unknown dataset {dataset_id!r}") from exc
        raise
    return _without_answer(DatasetManifest.model_validate(json.loads(body)))


def _without_answer(manifest: DatasetManifest) -> DatasetManifest:
    return manifest.model_copy(update={"ground_truth": None})


def list_manifests(s3: Any, names: ResourceNames) -> list[DatasetManifest]:
    """Every dataset's manifest without its ground truth, sorted by id."""
    manifests: list[DatasetManifest] = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=names.datasets_bucket):
        for item in page.get("Contents", []):
            key = item["Key"]
            if not key.endswith("/manifest.json") or key.count("/") != 1:
                continue
            body = s3.get_object(Bucket=names.datasets_bucket, Key=key)["Body"].read()
            manifests.append(_without_answer(DatasetManifest.model_validate(json.loads(body))))
    return sorted(manifests, key=lambda manifest: manifest.id)


def load_data(s3: Any, names: ResourceNames, manifest: DatasetManifest) -> bytes:
    """The dataset's CSV bytes."""
    try:
        data: bytes = s3.get_object(Bucket=names.datasets_bucket, Key=manifest.data_key)["Body"].read()
        return data
    except ClientError as exc:
        if is_not_found(exc):
            raise NotFoundError(f"dataset {manifest.id!r} has no data file") from exc
        raise
