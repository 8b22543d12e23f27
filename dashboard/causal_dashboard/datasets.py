"""Datasets in the datasets bucket, and validation of uploads before they are stored."""

from __future__ import annotations

import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePath
from typing import Any

from botocore.exceptions import ClientError

from causal_common.aws import error_code, is_not_found
from causal_common.errors import InvalidInputError, NotFoundError
from causal_common.models.datasets import DATASET_ID_PATTERN, data_key, manifest_key
from causal_dashboard.clients import AwsClients

logger = logging.getLogger(__name__)

_ID = re.compile(DATASET_ID_PATTERN)


def list_datasets(clients: AwsClients) -> list[dict[str, Any]]:
    """Every dataset with a manifest: id, title, rows, columns (name, type, role)."""
    bucket = clients.names.datasets_bucket
    prefixes: list[str] = []
    paginator = clients.s3.get_paginator("list_objects_v2")
    try:
        for page in paginator.paginate(Bucket=bucket, Delimiter="/"):
            prefixes.extend(entry["Prefix"].rstrip("/") for entry in page.get("CommonPrefixes", []))
    except clients.s3.exceptions.NoSuchBucket:
        return []

    def manifest(dataset_id: str) -> dict[str, Any] | None:
        try:
            body = clients.s3.get_object(Bucket=bucket, Key=manifest_key(dataset_id))["Body"].read()
        except ClientError as exc:
            logger.info("dataset %s has no readable manifest: %s", dataset_id, error_code(exc))
            return None
        try:
            data = json.loads(body)
        except ValueError:
            logger.warning("dataset %s has a manifest that is not JSON", dataset_id)
            return None
        return {
            "id": data.get("id", dataset_id),
            "title": data.get("title", dataset_id),
            "description": data.get("description", ""),
            "rows": data.get("rows"),
            "origin": data.get("origin"),
            "owner": data.get("owner"),
            "columns": [
                {"name": c.get("name"), "dtype": c.get("dtype"), "role": c.get("role")} for c in data.get("columns", [])
            ],
            "groundTruth": data.get("ground_truth"),
        }

    with ThreadPoolExecutor(max_workers=4) as pool:
        found = [item for item in pool.map(manifest, prefixes) if item]
    return sorted(found, key=lambda item: (item.get("origin") != "bundled", item["id"]))


def read_data(clients: AwsClients, dataset_id: str) -> bytes:
    """The dataset's stored ``data.csv``."""
    if not _ID.match(dataset_id):
        raise InvalidInputError(f"dataset id {dataset_id!r} is not accepted")
    try:
        return clients.s3.get_object(Bucket=clients.names.datasets_bucket, Key=data_key(dataset_id))["Body"].read()
    except ClientError as exc:
        if is_not_found(exc):
            raise NotFoundError(f"no dataset {dataset_id!r}") from exc
        raise


def dataset_id_for(filename: str | None, requested: str | None) -> str:
    """The id to store an upload under: the one asked for, or one derived from the file name."""
    if requested:
        candidate = requested.strip()
        if not _ID.match(candidate):
            raise InvalidInputError(
                f"dataset id {candidate!r} is not accepted: use 1-63 lower-case letters, digits, '-' or '_', "
                "starting with a letter or digit"
            )
        return candidate
    stem = PurePath(filename or "").stem.lower()
    candidate = re.sub(r"[^a-z0-9_-]+", "_", stem).strip("_-")[:63]
    if not candidate or not _ID.match(candidate):
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
