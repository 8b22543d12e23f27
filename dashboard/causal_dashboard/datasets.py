"""Datasets in the datasets bucket as the dashboard lists them, and checks of an upload before it is parsed."""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePath
from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from causal_common import datasets as catalogue
from causal_common.aws import is_not_found
from causal_common.errors import InvalidInputError, NotFoundError
from causal_common.models.datasets import ColumnRole, ColumnType, DatasetManifest, GroundTruth, data_key
from causal_dashboard.clients import AwsClients

logger = logging.getLogger(__name__)


class ColumnSummary(BaseModel):
    name: str
    dtype: ColumnType
    role: ColumnRole


class DatasetSummary(BaseModel):
    """A dataset as the dashboard lists it (the stored manifest, its known answer included)."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    title: str
    description: str
    rows: int
    origin: Literal["bundled", "uploaded"]
    owner: str | None
    columns: list[ColumnSummary]
    ground_truth: GroundTruth | None = Field(alias="groundTruth")

    @classmethod
    def of(cls, manifest: DatasetManifest) -> DatasetSummary:
        return cls(
            id=manifest.id,
            title=manifest.title,
            description=manifest.description,
            rows=manifest.rows,
            origin=manifest.origin,
            owner=manifest.owner,
            columns=[ColumnSummary(name=c.name, dtype=c.dtype, role=c.role) for c in manifest.columns],
            ground_truth=manifest.ground_truth,
        )


def dataset_summaries(clients: AwsClients) -> list[DatasetSummary]:
    """Every dataset with a readable manifest, bundled ones first, then by id."""
    ids = catalogue.dataset_ids(clients.s3, clients.names)
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = [m for m in pool.map(lambda i: catalogue.stored_manifest(clients.s3, clients.names, i), ids) if m]
    return sorted((DatasetSummary.of(m) for m in found), key=lambda item: (item.origin != "bundled", item.id))


def list_datasets(clients: AwsClients) -> list[dict[str, Any]]:
    """Every dataset with a manifest as JSON: id, title, rows, columns (name, type, role), groundTruth."""
    return [summary.model_dump(mode="json", by_alias=True) for summary in dataset_summaries(clients)]


def read_data(clients: AwsClients, dataset_id: str) -> bytes:
    """The dataset's stored ``data.csv``."""
    if not catalogue.is_dataset_id(dataset_id):
        raise InvalidInputError(f"dataset id {dataset_id!r} is not accepted")
    try:
        body: bytes = clients.s3.get_object(Bucket=clients.names.datasets_bucket, Key=data_key(dataset_id))[
            "Body"
        ].read()
    except ClientError as exc:
        if is_not_found(exc):
            raise NotFoundError(f"no dataset {dataset_id!r}") from exc
        raise
    return body


def dataset_id_for(filename: str | None, requested: str | None) -> str:
    """The id to store an upload under: the one asked for, or one derived from the file name."""
    if requested:
        candidate = requested.strip()
        if not catalogue.is_dataset_id(candidate):
            raise InvalidInputError(
                f"dataset id {candidate!r} is not accepted: use 1-63 lower-case letters, digits, '-' or '_', "
                "starting with a letter or digit"
            )
        return candidate
    stem = PurePath(filename or "").stem.lower()
    candidate = re.sub(r"[^a-z0-9_-]+", "_", stem).strip("_-")[:63]
    if not candidate or not catalogue.is_dataset_id(candidate):
        raise InvalidInputError("give a dataset id: the file name does not make one")
    return candidate


def check_upload(filename: str | None, content_type: str | None, data: bytes, max_bytes: int) -> None:
    """Reject what cannot be a CSV before anything is stored."""
    if not filename:
        raise InvalidInputError("no file: send the CSV as the multipart field 'file'")
    if not filename.lower().endswith(".csv"):
        raise InvalidInputError(f"{filename!r} is not a .csv file; upload a comma-separated file with a header row")
    if content_type and content_type not in {
        "text/csv",
        "application/vnd.ms-excel",
        "application/octet-stream",
        "text/plain",
    }:
        raise InvalidInputError(f"content type {content_type!r} is not accepted; send text/csv")
    if not data.strip():
        raise InvalidInputError(f"{filename!r} is empty")
    if len(data) > max_bytes:
        raise InvalidInputError(f"{filename!r} is {len(data)} bytes; the limit is {max_bytes} bytes")
    if b"\x00" in data[:65536]:
        raise InvalidInputError(f"{filename!r} looks binary, not CSV text")
    try:
        head = data[:65536].decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(data) <= 65536 or exc.start < 65532:
            raise InvalidInputError(f"{filename!r} is not UTF-8 text") from exc
        head = data[: exc.start].decode("utf-8")
    header = head.splitlines()[0] if head.splitlines() else ""
    if "," not in header:
        raise InvalidInputError(f"{filename!r} has no comma-separated header row (first line: {header[:80]!r})")
