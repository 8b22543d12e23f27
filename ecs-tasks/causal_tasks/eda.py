"""Exploratory analysis: summaries, missingness, correlations, balance and overlap."""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_common.models.tools import ColumnSummary, EdaArgs, EdaResult
from causal_tasks import checks, overlap
from causal_tasks import frame as frames
from causal_tasks.design import DatasetRoles


def _summary(name: str, series: pd.Series) -> ColumnSummary:
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    values = series.astype(float) if numeric else None

    def stat(value: float) -> float | None:
        return float(value) if value is not None and np.isfinite(value) else None

    return ColumnSummary(
        name=str(name),
        dtype=str(series.dtype),
        missing=int(series.isna().sum()),
        mean=stat(values.mean()) if values is not None else None,
        std=stat(values.std()) if values is not None else None,
        min=stat(values.min()) if values is not None else None,
        max=stat(values.max()) if values is not None else None,
        distinct=int(series.nunique(dropna=True)),
    )


def run_eda(
    df: pd.DataFrame, args: EdaArgs, *, default_covariates: list[str] | None = None, roles: DatasetRoles | None = None
) -> EdaResult:
    """Summaries of every column; with a binary treatment also balance, propensity overlap and post-treatment suspects."""
    return _analyse(df, args, default_covariates, roles or DatasetRoles())[0]


def run_eda_with_plots(
    df: pd.DataFrame,
    args: EdaArgs,
    *,
    default_covariates: list[str] | None = None,
    roles: DatasetRoles | None = None,
) -> tuple[EdaResult, dict[str, bytes]]:
    """:func:`run_eda` plus its plots as PNG bytes by name."""
    from causal_tasks import plots

    result, scores, treated = _analyse(df, args, default_covariates, roles or DatasetRoles())
    images: dict[str, bytes] = {}
    if result.correlations_with_outcome and args.outcome:
        images["correlations"] = plots.correlations(result, args.outcome)
    if result.treated and args.treatment and args.outcome:
        images["outcome_by_treatment"] = plots.outcome_by_treatment(df, args.treatment, args.outcome)
    if result.balance:
        images["balance"] = plots.balance(result)
    if scores is not None and treated is not None:
        images["propensity_overlap"] = plots.propensity_overlap(scores, treated)
    return result, images


def _analyse(
    df: pd.DataFrame, args: EdaArgs, default_covariates: list[str] | None, roles: DatasetRoles
) -> tuple[EdaResult, np.ndarray | None, np.ndarray | None]:
    named = [name for name in (args.treatment, args.outcome) if name]
    frames.require_columns(df, named, "treatment/outcome")
    frames.require_columns(df, list(args.covariates or []), "covariate")
    result = EdaResult(rows=len(df), columns=[_summary(name, df[name]) for name in df.columns])
    missing = [column for column in result.columns if column.missing]
    if missing:
        listed = ", ".join(f"{c.name} ({c.missing / max(len(df), 1):.0%})" for c in missing[:8])
        result.warnings.append(f"missing values in {len(missing)} column(s): {listed}")

    if args.outcome and pd.api.types.is_numeric_dtype(df[args.outcome]):
        numeric = df.select_dtypes(include=["number", "bool"]).astype(float)
        correlations = numeric.corr()[args.outcome].drop(labels=[args.outcome]).dropna()
        result.correlations_with_outcome = {str(k): round(float(v), 4) for k, v in correlations.items()}

    if not args.treatment:
        return result, None, None
    exclude = [name for name in (args.treatment, args.outcome) if name]
    if args.covariates is not None:
        covariates = list(args.covariates)
    else:
        candidates = default_covariates if default_covariates is not None else roles.covariates
        if candidates is None:
            candidates = frames.default_covariates(df, exclude)
        covariates = [
            name for name in candidates if name in df.columns and name not in exclude and name not in roles.not_adjusted
        ]
    prepared = frames.prepare(
        df,
        args.treatment,
        args.outcome or args.treatment,
        covariates,
        [],
        codings=roles.codings,
        descriptions=roles.descriptions,
    )
    data = prepared.frame
    result.post_treatment_suspects = checks.post_treatment_suspects(
        data, args.treatment, prepared.covariates, roles.descriptions, prepared.encoded_from
    )
    if result.post_treatment_suspects:
        result.warnings.append(
            "possibly measured after the treatment: "
            + ", ".join(suspect.column for suspect in result.post_treatment_suspects)
        )
    if not frames.is_binary(data[args.treatment]):
        return result, None, None
    treated = data[args.treatment].to_numpy() == 1
    result.treated, result.control = int(treated.sum()), int((~treated).sum())
    if not prepared.covariates or result.treated < 2 or result.control < 2:
        return result, None, None
    result.balance = overlap.balance(data, args.treatment, prepared.covariates)
    result.warnings += overlap.balance_warnings(result.balance)
    scores, model = overlap.flexible_propensity_scores(data, args.treatment, prepared.covariates)
    result.propensity_overlap = {k: round(v, 6) for k, v in overlap.overlap_summary(scores, treated).items()}
    result.warnings += overlap.overlap_warnings(result.propensity_overlap, model=model)
    return result, scores, treated
