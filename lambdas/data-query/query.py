"""The data_query tool: resolve the dataset, load it into the sandbox, run one SELECT."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError
from sandbox import DEFAULT_MAX_RESULT_BYTES, SandboxCache

from causal_common.datasets import load_data, load_manifest
from causal_common.errors import CausalStackError, InvalidInputError
from causal_common.lambda_handler import LambdaEvent
from causal_common.models.tools import DataQueryArgs, ToolOutcome
from causal_common.names import ResourceNames
from causal_common.settings import AwsSettings

logger = logging.getLogger(__name__)

TOOL = "data_query"


class DataQuerySettings(AwsSettings):
    query_timeout_seconds: float = Field(default=10.0, gt=0, validation_alias="DATA_QUERY_TIMEOUT_SECONDS")
    max_dataset_bytes: int = Field(default=200 * 1024 * 1024, gt=0, validation_alias="DATA_QUERY_MAX_DATASET_BYTES")
    # The result rides in the workflow's state (Step Functions: 256 KiB at most).
    max_result_bytes: int = Field(
        default=DEFAULT_MAX_RESULT_BYTES, ge=1024, le=200 * 1024, validation_alias="DATA_QUERY_MAX_RESULT_BYTES"
    )
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")


class DataQueryEvent(LambdaEvent):
    """The DataQuery state's payload. Lenient: a missing dataset or bad arguments are the tool's answer, not a crash."""

    session_id: str | None = Field(default=None, alias="sessionId")
    dataset_id: str | None = Field(default=None, alias="datasetId")
    call_id: str | None = Field(default=None, alias="callId")
    arguments: dict[str, Any] | None = None

    def log_ids(self) -> Mapping[str, str | None]:
        return {"session_id": self.session_id, "call_id": self.call_id}


def run_query(event: DataQueryEvent, s3: Any, settings: DataQuerySettings, cache: SandboxCache) -> ToolOutcome:
    """Answer one data_query event; tool-level problems become ``ok=False`` outcomes."""
    call_id = event.call_id or ""
    try:
        dataset_id = event.dataset_id
        if not dataset_id:
            raise InvalidInputError("no dataset is selected for this session; pick one with datasetId")
        try:
            arguments = DataQueryArgs.model_validate(event.arguments or {})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors())
            raise InvalidInputError(f"bad data_query arguments: {problems}") from exc
        names = ResourceNames.from_settings(settings)
        manifest = load_manifest(s3, names, dataset_id)
        head = s3.head_object(Bucket=names.datasets_bucket, Key=manifest.data_key)
        if head["ContentLength"] > settings.max_dataset_bytes:
            raise InvalidInputError(
                f"dataset {dataset_id!r} is {head['ContentLength'] / 1e6:.0f} MB, too large for data_query"
            )
        sandbox = cache.get(dataset_id, head.get("ETag", ""), lambda: load_data(s3, names, manifest))
        result = sandbox.query(
            arguments.sql,
            limit=arguments.limit,
            timeout_seconds=settings.query_timeout_seconds,
            max_result_bytes=settings.max_result_bytes,
        )
    except CausalStackError as exc:
        logger.info("data_query refused: %s", exc.message)
        return ToolOutcome(tool=TOOL, call_id=call_id, ok=False, error=exc.message)
    logger.info("data_query returned %s rows in %s ms", result.row_count, result.elapsed_ms)
    return ToolOutcome(tool=TOOL, call_id=call_id, ok=True, result=result.model_dump(mode="json"))
