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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from causal_common.datasets import check_dataset_id, load_manifest
from causal_common.errors import ForbiddenError, InvalidInputError, NotFoundError
from causal_common.models.datasets import Column, ColumnType, DatasetManifest, GroundTruth, data_key, manifest_key
from causal_common.names import ResourceNames

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_COLUMNS = 500
# Bump when a generator or a manifest changes, so stale caches are not reused.
CACHE_VERSION = "v3"

SYNTHETIC_BETA = 10.0
SYNTHETIC_SEED = 20240611
SYNTHETIC_ROWS = 10_000
NSW_EXPERIMENTAL_EFFECT = 1794.34

BUNDLED_IDS = ("synthetic_linear", "lalonde_nsw", "lalonde_observational")

_LALONDE_COLUMNS: list[dict[str, Any]] = [
    {
        "name": "treat",
        "role": "treatment",
        "description": "1 if the person took part in the NSW job-training programme",
        "synonyms": ["training", "job training", "programme", "program", "participation", "treated", "nsw"],
    },
    {"name": "age", "role": "covariate", "description": "age in years", "synonyms": ["age", "years old"]},
    {
        "name": "educ",
        "role": "covariate",
        "description": "years of schooling",
        "synonyms": ["education", "schooling", "years of education"],
    },
    {"name": "black", "role": "covariate", "description": "1 if black", "synonyms": ["race", "black"]},
    {"name": "hisp", "role": "covariate", "description": "1 if hispanic", "synonyms": ["hispanic", "ethnicity"]},
    {"name": "marr", "role": "covariate", "description": "1 if married", "synonyms": ["married", "marriage"]},
    {
        "name": "nodegree",
        "role": "covariate",
        "description": "1 if no high-school degree",
        "synonyms": ["no degree", "dropout", "high school"],
    },
    {
        "name": "re74",
        "role": "covariate",
        "description": "real earnings in 1974 (US$), before the programme",
        "synonyms": ["earnings 1974", "income 1974", "prior earnings"],
    },
    {
        "name": "re75",
        "role": "covariate",
        "description": "real earnings in 1975 (US$), before the programme",
        "synonyms": ["earnings 1975", "income 1975", "prior earnings"],
    },
    {
        "name": "re78",
        "role": "outcome",
        "description": "real earnings in 1978 (US$), after the programme",
        "synonyms": ["earnings", "income", "wages", "salary", "pay", "earnings 1978"],
    },
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


# Two-valued text as people write it: the value that means "yes" first.
BINARY_TEXT = (
    ("yes", "no"),
    ("y", "n"),
    ("true", "false"),
    ("t", "f"),
    ("treated", "control"),
    ("treatment", "control"),
    ("on", "off"),
    ("1", "0"),
    ("1.0", "0.0"),
)
MAX_LEVELS = 20
_ID_NAME = re.compile(
    r"(?:^|[_\s-])(?:id|uuid|guid|key|no|nr|num|number|seq|sequence|serial|idx|index|code|ref)$|^(?:id|seq|no)(?:[_\s-]|$)"
)
_CAMEL_ID = re.compile(r"(?<=[a-z])(?:Id|ID|No|Nr|Num|Seq|Code|Key)$")


def text_coding(values: list[str]) -> dict[str, float] | None:
    """{"yes": 1, "no": 0} for a two-valued text column written as a known pair (any case), else None."""
    lowered = {str(value).strip().lower() for value in values}
    for positive, negative in BINARY_TEXT:
        if lowered == {positive, negative}:
            return {positive: 1.0, negative: 0.0}
    return None


def _looks_like_dates(series: Any) -> bool:
    import pandas as pd

    sample = series.dropna().astype(str).head(200)
    if sample.empty or not sample.str.contains(r"\d").all() or not sample.str.contains(r"[-/:.]").all():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.9)


def infer_role(name: str, series: Any, dtype: ColumnType) -> tuple[str, list[str] | None, dict[str, float] | None]:
    """(role, levels, coding) for an uploaded column.

    Identifiers (unique ids, or id-named columns), dates and free text are never adjusted for; two-valued
    columns (0/1, true/false, yes/no, treated/control, any case) are coded 1/0 and can be treatments;
    text with few levels is a covariate (one-hot in the analysis); numbers are covariates.
    """
    values = series.dropna()
    distinct = values.unique()
    levels = sorted(str(v) for v in distinct) if len(distinct) <= MAX_LEVELS else None
    if dtype == "boolean":
        levels = ["false", "true"]
    folded = sorted({str(v).strip().lower() for v in distinct})
    coding = text_coding(folded) if dtype == "string" and len(folded) == 2 else None
    if coding is not None:
        levels = folded
    unique = len(values) > 0 and len(distinct) == len(values)
    if (_ID_NAME.search(str(name).lower()) or _CAMEL_ID.search(str(name))) and (unique or dtype == "string"):
        return "identifier", None, None
    if dtype == "string":
        if coding is not None:
            return "covariate", levels, coding
        if _looks_like_dates(series):
            return "date", None, None
        if unique and len(values) > MAX_LEVELS and not values.astype(str).str.contains(r"\s").any():
            return "identifier", None, None
        if levels is not None and len(distinct) < max(3, 0.5 * len(values)):
            return "covariate", levels, None
        return "text", None, None
    if dtype == "integer" and unique and len(values) > MAX_LEVELS and (_is_counter(values) or _in_row_order(values)):
        return "identifier", None, None
    return "covariate", levels, None


def _in_row_order(values: Any) -> bool:
    """Unique integers that rise (or fall) with the row order: a sequence number with gaps, not a measurement."""
    steps = values.to_numpy()[1:] - values.to_numpy()[:-1]
    return bool(len(steps) > 0 and ((steps > 0).all() or (steps < 0).all()))


def _is_counter(values: Any) -> bool:
    """1, 2, 3, … (a row number) rather than a measurement."""
    ordered = values.sort_values().to_numpy()
    return bool(len(ordered) > 1 and (ordered[1:] - ordered[:-1] == 1).all())


def columns_of(frame: Any, described: dict[str, dict[str, Any]] | None = None) -> list[Column]:
    """Columns with inferred types, roles, levels and codings; ``described`` overrides by name."""
    described = described or {}
    columns: list[Column] = []
    for name in frame.columns:
        extra = dict(described.get(name, {}))
        extra.pop("name", None)
        dtype = infer_column_type(frame[name])
        role, levels, coding = infer_role(str(name), frame[name], dtype)
        extra.setdefault("role", role)
        extra.setdefault("levels", levels)
        extra.setdefault("coding", coding)
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
        "v0": {
            "role": "treatment",
            "description": "binary treatment",
            "synonyms": ["treatment", "treated", "intervention", "v0"],
        },
        "y": {
            "role": "outcome",
            "description": "outcome, linear in v0 and W0..W4",
            "synonyms": ["outcome", "result", "response", "y"],
        },
    }
    for name in generated["common_causes_names"]:
        described[name] = {"role": "covariate", "description": "common cause of v0 and y", "synonyms": ["confounder"]}
    for name in generated["instrument_names"]:
        described[name] = {
            "role": "instrument",
            "description": "instrument: moves v0, affects y only through v0",
            "synonyms": ["instrument"],
        }
    manifest = DatasetManifest(
        id="synthetic_linear",
        title="Synthetic linear data with a known effect",
        # What the data are and how they were made; the effect itself lives only in ground_truth.
        description=(
            f"Simulated with DoWhy's linear_dataset: {SYNTHETIC_ROWS} rows, binary treatment v0, outcome y, "
            "common causes W0-W4 that drive both v0 and y, and an instrument Z0 that moves v0 only."
        ),
        design="observational",
        rows=len(frame),
        columns=columns_of(frame, described),
        ground_truth=GroundTruth(
            treatment="v0",
            outcome="y",
            estimand="ate",
            value=SYNTHETIC_BETA,
            source="dowhy.datasets.linear_dataset beta (constant effect)",
        ),
        data_key=data_key("synthetic_linear"),
    )
    return frame, manifest


def _lalonde(frame: Any, dataset_id: str, title: str, description: str, design: str) -> tuple[Any, DatasetManifest]:
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
        design=design,
        rows=len(frame),
        columns=columns_of(frame, described),
        ground_truth=GroundTruth(
            treatment="treat",
            outcome="re78",
            estimand="att",
            value=NSW_EXPERIMENTAL_EFFECT,
            source="NSW randomised experiment: difference in mean 1978 earnings",
        ),
        data_key=data_key(dataset_id),
    )
    return frame, manifest


def _lalonde_nsw() -> tuple[Any, DatasetManifest]:
    import causaldata

    return _lalonde(
        causaldata.nsw_mixtape.load_pandas().data,
        "lalonde_nsw",
        "Lalonde NSW job-training experiment",
        "National Supported Work Demonstration, 1975-77 (Dehejia-Wahba sample, 445 people): applicants were "
        "randomly assigned to job training (treat = 1) or not; re78 = earnings in 1978, after the programme; "
        "age, schooling, race, marriage, degree and 1974-75 earnings were recorded before assignment.",
        "randomised",
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
        "The 185 NSW job-training participants (treat = 1) against 15,992 respondents of the Current Population "
        "Survey (treat = 0), who were not in the programme and were not chosen at random; re78 = earnings in "
        "1978; age, schooling, race, marriage, degree and 1974-75 earnings describe both groups before training.",
        "observational",
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


def _check_field_counts(text: str) -> None:
    """Every row has as many fields as the header (pandas would otherwise shift columns or pad with blanks)."""
    import csv

    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return
    for row in reader:
        if not row:
            continue
        if len(row) != len(header):
            raise InvalidInputError(
                f"line {reader.line_num} has {len(row)} fields but the header has {len(header)}; quote values "
                'that contain commas ("1,000") and check for missing or extra separators'
            )


def parse_csv(csv_bytes: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> Any:
    """A DataFrame from uploaded CSV bytes, or InvalidInputError saying what is wrong."""
    import pandas as pd

    if not csv_bytes:
        raise InvalidInputError("the file is empty; upload a CSV with a header row and at least one data row")
    if len(csv_bytes) > max_bytes:
        raise InvalidInputError(f"the file is {len(csv_bytes) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB")
    try:
        text = csv_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"the file is not UTF-8 text (bad byte at position {exc.start}); save it as UTF-8 CSV"
        ) from exc
    if "\x00" in text:
        raise InvalidInputError("the file contains NUL bytes: it looks binary, not a CSV")
    try:
        _check_field_counts(text)
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


@dataclass
class RoleOptions:
    """Roles an uploader sets by hand (``causal-stack upload --treatment … --outcome …``)."""

    treatment: str | None = None
    outcome: str | None = None
    covariates: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    instruments: list[str] = field(default_factory=list)
    time: str | None = None
    unit: str | None = None
    running: str | None = None
    cutoff: float | None = None
    design: str | None = None

    def named(self) -> list[str]:
        single = [self.treatment, self.outcome, self.time, self.unit, self.running]
        return [name for name in [*single, *self.covariates, *self.exclude, *self.instruments] if name]


def _apply_roles(columns: list[Column], roles: RoleOptions) -> list[Column]:
    names = [column.name for column in columns]
    unknown = [name for name in roles.named() if name not in names]
    if unknown:
        raise InvalidInputError(f"unknown column(s) {', '.join(map(repr, unknown))}; the file has: {', '.join(names)}")
    assigned: dict[str, str] = {}
    for role, chosen in (
        ("treatment", [roles.treatment]),
        ("outcome", [roles.outcome]),
        ("covariate", roles.covariates),
        ("excluded", roles.exclude),
        ("instrument", roles.instruments),
        ("time", [roles.time]),
        ("unit", [roles.unit]),
        ("running", [roles.running]),
    ):
        for name in chosen:
            if not name:
                continue
            if name in assigned and assigned[name] != role:
                raise InvalidInputError(f"column {name!r} cannot be both {assigned[name]} and {role}")
            assigned[name] = role
    if roles.cutoff is not None and not roles.running:
        raise InvalidInputError("a cutoff needs the running variable it applies to (--running)")
    updated: list[Column] = []
    for column in columns:
        given = assigned.get(column.name)
        changes: dict[str, Any] = {}
        if given:
            changes["role"] = given
            if given in ("treatment", "outcome", "running") and column.dtype == "string" and column.coding is None:
                raise InvalidInputError(
                    f"column {column.name!r} holds text ({', '.join((column.levels or [])[:5]) or 'many values'}); a "
                    f"{given} must be numeric or two-valued (yes/no, true/false, treated/control)"
                )
        elif roles.covariates and column.role == "covariate":
            changes["role"] = "other"  # the uploader named the covariates: the others are not adjusted for
        if given == "running" and roles.cutoff is not None:
            changes["cutoff"] = roles.cutoff
        updated.append(column.model_copy(update=changes) if changes else column)
    return updated


def manifest_for_upload(
    frame: Any,
    dataset_id: str,
    *,
    title: str | None = None,
    description: str | None = None,
    roles: RoleOptions | None = None,
    owner: str | None = None,
) -> DatasetManifest:
    columns = columns_of(frame)
    if roles is not None:
        columns = _apply_roles(columns, roles)
    design = roles.design if roles is not None and roles.design in ("randomised", "observational") else None
    return DatasetManifest(
        id=dataset_id,
        title=title or dataset_id,
        description=description or f"Uploaded CSV with {len(frame)} rows and {frame.shape[1]} columns.",
        rows=len(frame),
        columns=columns,
        origin="uploaded",
        design=design,
        owner=owner,
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


def _refuse_someone_elses(s3_client: Any, names: ResourceNames, dataset_id: str, owner: str | None) -> None:
    """Only the uploader replaces an upload."""
    try:
        existing = load_manifest(s3_client, names, dataset_id)
    except NotFoundError:
        return
    if existing.owner != owner:
        raise ForbiddenError(
            f"dataset {dataset_id!r} was uploaded by {existing.owner or 'someone else'}; only they can replace it. "
            "Choose another id."
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
    roles: RoleOptions | None = None,
    owner: str | None = None,
) -> DatasetManifest:
    """Validate a user's CSV, infer its column types, publish it as ``owner``'s; return its manifest.

    Raises InvalidInputError (nothing written) for a bad id, a bundled id, an
    oversize, empty, non-UTF-8 or malformed file, and ForbiddenError for an id
    someone else uploaded.
    """
    check_dataset_id(dataset_id)
    if dataset_id in BUNDLED_IDS:
        raise InvalidInputError(f"{dataset_id!r} is a bundled dataset; choose another id")
    _refuse_someone_elses(s3_client, names, dataset_id, owner)
    frame = parse_csv(csv_bytes, max_bytes=max_bytes)
    manifest = manifest_for_upload(frame, dataset_id, title=title, description=description, roles=roles)
    manifest = manifest.model_copy(update={"owner": owner})
    publish(s3_client, names, manifest, frame.to_csv(index=False).encode())
    logger.info("published uploaded dataset %s (%s rows)", dataset_id, manifest.rows)
    return manifest
