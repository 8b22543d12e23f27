"""Storing an uploaded CSV as a dataset, through the catalogue's ``upload_csv`` (no pandas).

The owner is always the signed-in caller (the operator's name on the dashboard, the
token's user on the chat API), never a field of the request.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from causal_common.errors import InvalidInputError
from causal_dashboard.clients import AwsClients
from causal_dashboard.datasets import check_upload, dataset_id_for
from causal_datasets.uploads import RoleOptions, upload_csv

logger = logging.getLogger(__name__)

DESIGNS = ("randomised", "observational")


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
    roles: RoleOptions | None = None,
    owner: str,
) -> dict[str, Any]:
    """Validate, then store as ``owner``'s; return the new manifest as JSON (its ground truth left out).

    Bad input raises InvalidInputError, someone else's or a bundled id ForbiddenError/InvalidInputError;
    nothing is written then.
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
        roles=roles,
        owner=owner,
    )
    logger.info("dataset %s uploaded by %s (%s bytes)", dataset_id, owner, len(data))
    return manifest.model_dump(mode="json", exclude={"ground_truth"})


def role_options(
    *,
    treatment: str | None = None,
    outcome: str | None = None,
    covariates: str | None = None,
    exclude: str | None = None,
    instruments: str | None = None,
    time: str | None = None,
    unit: str | None = None,
    running: str | None = None,
    cutoff: str | None = None,
    design: str | None = None,
) -> RoleOptions:
    """The roles an upload form sets by hand (lists comma-separated); bad values raise InvalidInputError."""
    if design and design not in DESIGNS:
        raise InvalidInputError(f"design {design!r} is not accepted; use one of {', '.join(DESIGNS)}")
    return RoleOptions(
        treatment=treatment or None,
        outcome=outcome or None,
        covariates=_names(covariates),
        exclude=_names(exclude),
        instruments=_names(instruments),
        time=time or None,
        unit=unit or None,
        running=running or None,
        cutoff=_number(cutoff),
        design=design or None,
    )


def _number(text: str | None) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError as exc:
        raise InvalidInputError(f"cutoff {text!r} is not a number") from exc
    if not math.isfinite(value):
        raise InvalidInputError(f"cutoff {text!r} is not a finite number")
    return value


def _names(listed: str | None) -> list[str]:
    return [name.strip() for name in (listed or "").split(",") if name.strip()]
