"""The bundled datasets (built by ``causal_datasets.bundled``) published to the datasets bucket."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from causal_common.aws import is_not_found
from causal_common.datasets import publish
from causal_common.models.datasets import DatasetManifest, data_key, manifest_key
from causal_common.names import ResourceNames
from causal_datasets.bundled import BundledDataset, bundled_datasets
from causal_deploy.report import Action, DeployReport

logger = logging.getLogger(__name__)


Bundled = list[BundledDataset]


def prepare(cache_dir: Path) -> Bundled | str:
    """The bundled datasets (generated once, cached), or why they are not available.

    Slow the first time (it imports DoWhy): the deployer runs it in a thread
    while it packages and creates everything else.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    try:
        return bundled_datasets(cache_dir)
    except ImportError as exc:
        # A deployer without the analysis stack (the compose init image) publishes what
        # the task image generated into the shared cache; nothing is there yet.
        return (
            f"not generated in {cache_dir} and this deployer cannot generate them ({exc}); "
            "compose: the task-image service generates them, run `docker compose up task-image init`"
        )


def publish_prepared(s3: Any, names: ResourceNames, prepared: Bundled | str, report: DeployReport) -> None:
    if isinstance(prepared, str):
        report.add("dataset", "bundled", Action.SKIPPED, prepared)
        return
    for manifest, csv_bytes in prepared:
        stored = _stored_state(s3, names.datasets_bucket, manifest, csv_bytes)
        if stored == "same":
            report.add("dataset", manifest.id, Action.UNCHANGED)
            continue
        if not report.plan:
            publish(s3, names, manifest, csv_bytes)
        report.add("dataset", manifest.id, Action.CREATED if stored == "missing" else Action.UPDATED)


def _stored_state(s3: Any, bucket: str, manifest: DatasetManifest, csv_bytes: bytes) -> str:
    """``missing``, ``different`` or ``same`` (manifest and data both match)."""
    try:
        stored = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key(manifest.id))["Body"].read())
        head = s3.head_object(Bucket=bucket, Key=manifest.data_key or data_key(manifest.id))
    except ClientError as exc:
        if is_not_found(exc):
            return "missing"
        raise
    except ValueError:
        return "different"
    same_manifest = stored == json.loads(manifest.model_dump_json())
    same_data = head.get("ETag", "").strip('"') == hashlib.md5(csv_bytes, usedforsecurity=False).hexdigest()
    return "same" if same_manifest and same_data else "different"
