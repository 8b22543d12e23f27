"""The dataset catalogue in the datasets bucket: the id rule, and reading and writing manifests (plain boto3 + json).

Lambdas (parse-initial-query, data-query), the tasks, the dashboard, the CLI and the deployer use these.
Inferring a manifest from a CSV lives in ``causal_datasets``.

``load_manifest`` and ``list_manifests`` are the agent's readers: a manifest's ``ground_truth`` (the known
answer of a bundled dataset) is dropped there, so no prompt, planner input or tool ever holds it.
Evaluation and the dashboard read the stored manifest itself (``stored_manifests``).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from causal_common.aws import error_code, is_not_found
from causal_common.errors import ForbiddenError, InvalidInputError, NotFoundError
from causal_common.models.datasets import BUNDLED_DATASET_IDS, DATASET_ID_PATTERN, DatasetManifest, manifest_key
from causal_common.names import ResourceNames

logger = logging.getLogger(__name__)

_ID = re.compile(DATASET_ID_PATTERN)


def is_dataset_id(candidate: str) -> bool:
    return isinstance(candidate, str) and _ID.match(candidate) is not None


def check_dataset_id(dataset_id: str) -> str:
    """Return ``dataset_id`` or raise InvalidInputError naming the accepted form."""
    if not is_dataset_id(dataset_id):
        raise InvalidInputError(
            f"invalid dataset id {dataset_id!r}: use 1-63 lowercase letters, digits, '_' or '-', starting with a letter or digit"
        )
    return dataset_id


def check_upload_id(dataset_id: str) -> str:
    """An id an upload may take: well formed and not a bundled dataset's."""
    check_dataset_id(dataset_id)
    if dataset_id in BUNDLED_DATASET_IDS:
        raise InvalidInputError(f"{dataset_id!r} is a bundled dataset; choose another id")
    return dataset_id


def _read_manifest(s3: Any, names: ResourceNames, dataset_id: str) -> DatasetManifest:
    check_dataset_id(dataset_id)
    try:
        body = s3.get_object(Bucket=names.datasets_bucket, Key=manifest_key(dataset_id))["Body"].read()
    except ClientError as exc:
        if is_not_found(exc):
            raise NotFoundError(f"unknown dataset {dataset_id!r}") from exc
        raise
    return DatasetManifest.model_validate(json.loads(body))


def load_manifest(s3: Any, names: ResourceNames, dataset_id: str) -> DatasetManifest:
    """The manifest of ``dataset_id`` without its ground truth; NotFoundError if there is none."""
    return _without_answer(_read_manifest(s3, names, dataset_id))


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


def dataset_ids(s3: Any, names: ResourceNames) -> list[str]:
    """The id of every folder in the datasets bucket (with or without a manifest); [] when there is no bucket."""
    found: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    try:
        for page in paginator.paginate(Bucket=names.datasets_bucket, Delimiter="/"):
            found.extend(entry["Prefix"].rstrip("/") for entry in page.get("CommonPrefixes", []))
    except ClientError as exc:
        if error_code(exc) == "NoSuchBucket":
            return []
        raise
    return found


def stored_manifest(s3: Any, names: ResourceNames, dataset_id: str) -> DatasetManifest | None:
    """The manifest as stored (ground truth included), or None (logged) when it is missing or unreadable."""
    try:
        return _read_manifest(s3, names, dataset_id)
    except (NotFoundError, InvalidInputError) as exc:
        logger.info("dataset %s has no readable manifest: %s", dataset_id, exc)
    except ClientError as exc:
        logger.info("dataset %s has no readable manifest: %s", dataset_id, error_code(exc))
    except (ValueError, ValidationError):
        logger.warning("dataset %s has a manifest that is not a valid manifest", dataset_id)
    return None


def load_data(s3: Any, names: ResourceNames, manifest: DatasetManifest) -> bytes:
    """The dataset's CSV bytes."""
    try:
        data: bytes = s3.get_object(Bucket=names.datasets_bucket, Key=manifest.data_key)["Body"].read()
        return data
    except ClientError as exc:
        if is_not_found(exc):
            raise NotFoundError(f"dataset {manifest.id!r} has no data file") from exc
        raise


def publish(s3: Any, names: ResourceNames, manifest: DatasetManifest, csv_bytes: bytes) -> None:
    """Write ``<id>/data.csv`` then ``<id>/manifest.json`` (the manifest last: readers find complete datasets)."""
    s3.put_object(Bucket=names.datasets_bucket, Key=manifest.data_key, Body=csv_bytes, ContentType="text/csv")
    s3.put_object(
        Bucket=names.datasets_bucket,
        Key=manifest_key(manifest.id),
        Body=json.dumps(manifest.model_dump(mode="json"), indent=1).encode(),
        ContentType="application/json",
    )


def check_may_replace(s3: Any, names: ResourceNames, dataset_id: str, owner: str | None) -> None:
    """Only the uploader replaces an upload: ForbiddenError when ``dataset_id`` is someone else's."""
    try:
        existing = load_manifest(s3, names, dataset_id)
    except NotFoundError:
        return
    if existing.owner != owner:
        raise ForbiddenError(
            f"dataset {dataset_id!r} was uploaded by {existing.owner or 'someone else'}; only they can replace it. "
            "Choose another id."
        )
