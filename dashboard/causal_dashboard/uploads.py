"""Storing an uploaded CSV as a dataset, through the catalogue's ``upload_csv`` (no pandas)."""

from __future__ import annotations

import logging
from typing import Any

from causal_dashboard.clients import AwsClients
from causal_dashboard.datasets import check_upload, dataset_id_for
from causal_datasets.uploads import RoleOptions, upload_csv

logger = logging.getLogger(__name__)


def store_upload(
    aws: AwsClients,
    *,
    filename: str | None,
    content_type: str | None,
    data: bytes,
    dataset_id: str | None,
    title: str | None,
    description: str | None,
    max_bytes: int,
    roles: dict[str, str | None] | None = None,
    owner: str | None = None,
) -> dict[str, Any]:
    """Validate, then store; return the new manifest as JSON. Bad input raises InvalidInputError.

    ``roles`` holds the form's optional treatment, outcome, covariates and never-adjust-for fields.
    """
    check_upload(filename, content_type, data, max_bytes)
    dataset_id = dataset_id_for(filename, dataset_id)
    manifest = upload_csv(
        aws.s3,
        aws.names,
        data,
        dataset_id,
        title=title or dataset_id,
        description=description or f"Uploaded from {filename}",
        max_bytes=max_bytes,
        roles=RoleOptions(
            treatment=(roles or {}).get("treatment") or None,
            outcome=(roles or {}).get("outcome") or None,
            covariates=_names((roles or {}).get("covariates")),
            exclude=_names((roles or {}).get("exclude")),
        ),
        owner=owner,
    )
    logger.info("dataset %s uploaded (%s bytes)", dataset_id, len(data))
    return manifest.model_dump(mode="json")


def _names(listed: str | None) -> list[str]:
    return [name.strip() for name in (listed or "").split(",") if name.strip()]
