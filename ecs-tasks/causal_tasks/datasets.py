"""Datasets: the bundled ones with known answers, user uploads, and publishing to S3.

Bundled datasets are generated or loaded from installed packages (nothing is
downloaded) and cached on disk, so a deployer calling :func:`bundled_datasets`
on every start pays the pandas/DoWhy import only once.
"""

from __future__ import annotations

import io
import json
import logging
import re
import warnings
from pathlib import Path
from typing import Any

from causal_common.datasets import check_dataset_id
from causal_common.errors import InvalidInputError
from causal_common.models.datasets import Column, ColumnType, DatasetManifest, GroundTruth, data_key, manifest_key
from causal_common.names import ResourceNames

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_COLUMNS = 500
# Bump when a generator changes, so stale caches are not reused.
CACHE_VERSION = "v1"

SYNTHETIC_BETA = 10.0
SYNTHETIC_SEED = 20240611
SYNTHETIC_ROWS = 10_000
NSW_EXPERIMENTAL_EFFECT = 1794.34

BUNDLED_IDS = ("synthetic_linear", "lalonde_nsw", "lalonde_observational")

_LALONDE_COLUMNS: list[dict[str, Any]] = [
    {"name": "treat", "role": "treatment", "description": "1 if the person took part in the NSW job-training programme",
     "synonyms": ["training", "job training", "programme", "program", "participation", "treated", "nsw"]},
    {"name": "age", "role": "covariate", "description": "age in years", "synonyms": ["age", "years old"]},
    {"name": "educ", "role": "covariate", "description": "years of schooling",
     "synonyms": ["education", "schooling", "years of education"]},
    {"name": "black", "role": "covariate", "description": "1 if black", "synonyms": ["race", "black"]},
    {"name": "hisp", "role": "covariate", "description": "1 if hispanic", "synonyms": ["hispanic", "ethnicity"]},
    {"name": "marr", "role": "covariate", "description": "1 if married", "synonyms": ["married", "marriage"]},
    {"name": "nodegree", "role": "covariate", "description": "1 if no high-school degree",
     "synonyms": ["no degree", "dropout", "high school"]},
    {"name": "re74", "role": "covariate", "description": "real earnings in 1974 (US$)",
     "synonyms": ["earnings 1974", "income 1974", "prior earnings"]},
    {"name": "re75", "role": "covariate", "description": "real earnings in 1975 (US$)",
     "synonyms": ["earnings 1975", "income 1975", "prior earnings"]},
    {"name": "re78", "role": "outcome", "description": "real earnings in 1978 (US$), after the programme",
     "synonyms": ["earnings", "income", "wages", "salary", "pay", "earnings 1978"]},
]


# ---------------------------------------------------------------- type inference

def infer_column_type(series: Any) -> ColumnType:
    import pandas as pd

    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        values = series.dropna()
        if len(values) and (values == values.round()).all() and series.notna().all():
            return "integer"
        return "float"
    return "string"


def _words(name: str) -> list[str]:
    parts = [part for part in re.split(r"[_\s\-.]+", name.lower()) if part]
    return parts if len(parts) > 1 else []


def columns_of(frame: Any, described: dict[str, dict[str, Any]] | None = None) -> list[Column]:
    """Columns with inferred types; ``described`` adds roles, descriptions and synonyms by name."""
    described = described or {}
    columns: list[Column] = []
    for name in frame.columns:
        extra = dict(described.get(name, {}))
        extra.pop("name", None)
        dtype = infer_column_type(frame[name])
        if "role" not in extra:
            unique_strings = dtype == "string" and frame[name].nunique(dropna=True) == len(frame)
            extra["role"] = "identifier" if unique_strings else ("covariate" if dtype != "string" else "other")
        extra.setdefault("synonyms", _words(name))
        columns.append(Column(name=str(name), dtype=dtype, **extra))
    return columns


# ---------------------------------------------------------------- bundled datasets

def _synthetic_linear() -> tuple[Any, DatasetManifest]:
    import numpy as np
    from dowhy import datasets as dowhy_datasets

    np.random.seed(SYNTHETIC_SEED)
    with warnings.catch_warnings():
        # DoWhy's generator trips numpy's ndim>0 scalar deprecation once per row.
        warnings.simplefilter("ignore", DeprecationWarning)
        generated = dowhy_datasets.linear_dataset(
            beta=SYNTHETIC_BETA,
            num_common_causes=5,
            num_instruments=1,
            num_samples=SYNTHETIC_ROWS,
            treatment_is_binary=True,
        )
    frame = generated["df"].copy()
    frame["v0"] = frame["v0"].astype(int)
    for name in generated["instrument_names"]:
        frame[name] = frame[name].astype(int)
    described: dict[str, dict[str, Any]] = {
        "v0": {"role": "treatment", "description": "binary treatment",
               "synonyms": ["treatment", "treated", "intervention", "v0"]},
        "y": {"role": "outcome", "description": "outcome, linear in v0 and W0..W4",
              "synonyms": ["outcome", "result", "response", "y"]},
    }
    for name in generated["common_causes_names"]:
        described[name] = {"role": "covariate", "description": "common cause of v0 and y", "synonyms": ["confounder"]}
    for name in generated["instrument_names"]:
        described[name] = {"role": "instrument", "description": "instrument: moves v0, affects y only through v0",
                           "synonyms": ["instrument"]}
    manifest = DatasetManifest(
        id="synthetic_linear",
        title="Synthetic linear data with a known effect",
        description=(
            f"DoWhy linear_dataset: {SYNTHETIC_ROWS} rows, binary treatment v0, outcome y, common causes W0-W4, "
            f"instrument Z0. The true effect of v0 on y is beta = {SYNTHETIC_BETA:g} for every unit "
            f"(sample ATE {float(generated['ate']):.4f}); the naive difference is confounded."
        ),
        rows=len(frame),
        columns=columns_of(frame, described),
        ground_truth=GroundTruth(treatment="v0", outcome="y", estimand="ate", value=SYNTHETIC_BETA,
                                 source="dowhy.datasets.linear_dataset beta (constant effect)"),
        data_key=data_key("synthetic_linear"),
    )
    return frame, manifest


def _lalonde(frame: Any, dataset_id: str, title: str, description: str) -> tuple[Any, DatasetManifest]:
    frame = frame.drop(columns=["data_id"]).reset_index(drop=True)
    for name in frame.columns:
        if str(frame[name].dtype).startswith("int"):
            frame[name] = frame[name].astype("int64")
        else:
            frame[name] = frame[name].astype("float64").round(4)
    described = {column["name"]: column for column in _LALONDE_COLUMNS}
    manifest = DatasetManifest(
        id=dataset_id,
        title=title,
        description=description,
        rows=len(frame),
        columns=columns_of(frame, described),
        ground_truth=GroundTruth(treatment="treat", outcome="re78", estimand="att", value=NSW_EXPERIMENTAL_EFFECT,
                                 source="NSW randomised experiment: difference in mean 1978 earnings"),
        data_key=data_key(dataset_id),
    )
    return frame, manifest


def _lalonde_nsw() -> tuple[Any, DatasetManifest]:
    import causaldata

    return _lalonde(
        causaldata.nsw_mixtape.load_pandas().data,
        "lalonde_nsw",
        "Lalonde NSW job-training experiment",
        "National Supported Work Demonstration (Dehejia-Wahba sample, 445 people): treat = randomly assigned to "
        "job training, re78 = 1978 earnings. Randomised, so the difference in means ($1,794.34) is the effect.",
    )


def _lalonde_observational() -> tuple[Any, DatasetManifest]:
    import causaldata
    import pandas as pd

    nsw = causaldata.nsw_mixtape.load_pandas().data
    cps = causaldata.cps_mixtape.load_pandas().data
    frame = pd.concat([nsw[nsw["treat"] == 1], cps], ignore_index=True)
    return _lalonde(
        frame,
        "lalonde_observational",
        "Lalonde NSW trainees vs CPS comparison group (observational)",
        "The 185 NSW trainees against 15,992 CPS survey respondents as controls. The groups differ a lot before "
        "training, so the naive difference (about -$8,498) is badly biased; the experimental answer is $1,794.",
    )


_GENERATORS = {
    "synthetic_linear": _synthetic_linear,
    "lalonde_nsw": _lalonde_nsw,
    "lalonde_observational": _lalonde_observational,
}


def bundled_datasets(cache_dir: Path) -> list[tuple[DatasetManifest, bytes]]:
    """The bundled datasets as (manifest, CSV bytes), generated once and cached in ``cache_dir``."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    bundled: list[tuple[DatasetManifest, bytes]] = []
    for dataset_id in BUNDLED_IDS:
        csv_path = cache_dir / f"{dataset_id}-{CACHE_VERSION}.csv"
        manifest_path = cache_dir / f"{dataset_id}-{CACHE_VERSION}.manifest.json"
        if csv_path.is_file() and manifest_path.is_file():
            manifest = DatasetManifest.model_validate_json(manifest_path.read_text())
            bundled.append((manifest, csv_path.read_bytes()))
            continue
        logger.info("generating bundled dataset %s", dataset_id)
        frame, manifest = _GENERATORS[dataset_id]()
        csv_bytes = frame.to_csv(index=False).encode()
        # Write-then-rename so a crash never leaves a half-written cache entry.
        for path, payload in ((csv_path, csv_bytes), (manifest_path, manifest.model_dump_json(indent=1).encode())):
            partial = path.with_suffix(path.suffix + ".partial")
            partial.write_bytes(payload)
            partial.replace(path)
        bundled.append((manifest, csv_bytes))
    return bundled


# ---------------------------------------------------------------- uploads

def parse_csv(csv_bytes: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> Any:
    """A DataFrame from uploaded CSV bytes, or InvalidInputError saying what is wrong."""
    import pandas as pd

    if not csv_bytes:
        raise InvalidInputError("the file is empty; upload a CSV with a header row and at least one data row")
    if len(csv_bytes) > max_bytes:
        raise InvalidInputError(
            f"the file is {len(csv_bytes) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB"
        )
    try:
        text = csv_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"the file is not UTF-8 text (bad byte at position {exc.start}); save it as UTF-8 CSV") from exc
    if "\x00" in text:
        raise InvalidInputError("the file contains NUL bytes: it looks binary, not a CSV")
    try:
        frame = pd.read_csv(io.StringIO(text))
    except pd.errors.EmptyDataError as exc:
        raise InvalidInputError("the file has no header row; the first line must name the columns") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise InvalidInputError(f"the file is not valid CSV: {str(exc).strip()}") from exc
    if frame.shape[1] < 1 or len(frame) < 1:
        raise InvalidInputError("the file needs a header row and at least one data row")
    if frame.shape[1] > MAX_COLUMNS:
        raise InvalidInputError(f"the file has {frame.shape[1]} columns; at most {MAX_COLUMNS} are accepted")
    names = [str(name) for name in frame.columns]
    unnamed = [name for name in names if name.startswith("Unnamed:") or not name.strip()]
    if unnamed:
        raise InvalidInputError(f"every column needs a name in the header row; {len(unnamed)} column(s) have none")
    duplicated = sorted({re.sub(r"\.\d+$", "", name) for name in names if re.search(r"\.\d+$", name)} & set(names))
    if duplicated:
        raise InvalidInputError(f"duplicate column names: {', '.join(duplicated)}")
    return frame


def manifest_for_upload(frame: Any, dataset_id: str, *, title: str | None = None, description: str | None = None) -> DatasetManifest:
    return DatasetManifest(
        id=dataset_id,
        title=title or dataset_id,
        description=description or f"Uploaded CSV with {len(frame)} rows and {frame.shape[1]} columns.",
        rows=len(frame),
        columns=columns_of(frame),
        origin="uploaded",
        data_key=data_key(dataset_id),
    )


def publish(s3_client: Any, names: ResourceNames, manifest: DatasetManifest, csv_bytes: bytes) -> None:
    """Write ``<id>/data.csv`` then ``<id>/manifest.json`` (the manifest last: readers find complete datasets)."""
    s3_client.put_object(Bucket=names.datasets_bucket, Key=manifest.data_key, Body=csv_bytes, ContentType="text/csv")
    s3_client.put_object(
        Bucket=names.datasets_bucket,
        Key=manifest_key(manifest.id),
        Body=json.dumps(manifest.model_dump(mode="json"), indent=1).encode(),
        ContentType="application/json",
    )


def upload_csv(
    s3_client: Any,
    names: ResourceNames,
    csv_bytes: bytes,
    dataset_id: str,
    *,
    title: str | None = None,
    description: str | None = None,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> DatasetManifest:
    """Validate a user's CSV, infer its column types, publish it; return its manifest.

    Raises InvalidInputError (nothing written) for a bad id, a bundled id, an
    oversize, empty, non-UTF-8 or malformed file.
    """
    check_dataset_id(dataset_id)
    if dataset_id in BUNDLED_IDS:
        raise InvalidInputError(f"{dataset_id!r} is a bundled dataset; choose another id")
    frame = parse_csv(csv_bytes, max_bytes=max_bytes)
    manifest = manifest_for_upload(frame, dataset_id, title=title, description=description)
    publish(s3_client, names, manifest, frame.to_csv(index=False).encode())
    logger.info("published uploaded dataset %s (%s rows)", dataset_id, manifest.rows)
    return manifest
