"""A user's CSV made a dataset: parsed, typed, roles set by hand checked, published as theirs (no pandas)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from causal_common.datasets import check_may_replace, check_upload_id, publish
from causal_common.errors import InvalidInputError
from causal_common.models.datasets import Column, ColumnRole, DatasetManifest, data_key
from causal_common.names import ResourceNames
from causal_datasets.inference import WritesCsv, as_table, columns_of
from causal_datasets.table import MAX_UPLOAD_BYTES, Table, parse_csv

logger = logging.getLogger(__name__)


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
    assigned: dict[str, ColumnRole] = {}
    chosen_by_role: list[tuple[ColumnRole, list[str | None]]] = [
        ("treatment", [roles.treatment]),
        ("outcome", [roles.outcome]),
        ("covariate", list(roles.covariates)),
        ("excluded", list(roles.exclude)),
        ("instrument", list(roles.instruments)),
        ("time", [roles.time]),
        ("unit", [roles.unit]),
        ("running", [roles.running]),
    ]
    for role, chosen in chosen_by_role:
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


def _declared_design(roles: RoleOptions | None) -> Literal["randomised", "observational"] | None:
    if roles is None:
        return None
    if roles.design == "randomised":
        return "randomised"
    if roles.design == "observational":
        return "observational"
    return None


def manifest_for_upload(
    data: Table | WritesCsv,
    dataset_id: str,
    *,
    title: str | None = None,
    description: str | None = None,
    roles: RoleOptions | None = None,
    owner: str | None = None,
) -> DatasetManifest:
    table = as_table(data)
    columns = columns_of(table)
    if roles is not None:
        columns = _apply_roles(columns, roles)
    return DatasetManifest(
        id=dataset_id,
        title=title or dataset_id,
        description=description or f"Uploaded CSV with {table.rows} rows and {len(table.columns)} columns.",
        rows=table.rows,
        columns=columns,
        origin="uploaded",
        design=_declared_design(roles),
        owner=owner,
        data_key=data_key(dataset_id),
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
    check_upload_id(dataset_id)
    check_may_replace(s3_client, names, dataset_id, owner)
    table = parse_csv(csv_bytes, max_bytes=max_bytes)
    manifest = manifest_for_upload(table, dataset_id, title=title, description=description, roles=roles, owner=owner)
    publish(s3_client, names, manifest, table.to_csv_text().encode())
    logger.info("published uploaded dataset %s (%s rows)", dataset_id, manifest.rows)
    return manifest
