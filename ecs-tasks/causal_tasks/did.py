"""Difference in differences: two-way fixed effects (linearmodels ``PanelOLS``) and a parallel-pre-trend check."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from causal_common.errors import InvalidInputError
from causal_common.models.tools import CausalAnalysisArgs, MethodEstimate, Refutation
from causal_tasks.design import DesignChoice
from causal_tasks.estimation import Estimation, Progress, interval

ASSUMPTIONS = [
    "without the treatment, the treated units' outcome would have moved in parallel with the untreated units' "
    "(parallel trends: the pre-period check can contradict it, never prove it)",
    "the treatment did not change outcomes before it started (no anticipation)",
    "the groups' composition did not change because of the treatment",
]


def period_codes(series: pd.Series) -> tuple[pd.Series, str]:
    """Periods as ordered numbers: numbers as they are, dates as days, other text in sorted order."""
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float), "numeric"
    parsed = pd.to_datetime(series, errors="coerce", format="mixed")
    if parsed.notna().all():
        return (parsed - parsed.min()).dt.days.astype(float), "dates"
    order = {value: index for index, value in enumerate(sorted(series.astype(str).unique()))}
    return series.astype(str).map(order).astype(float), "sorted text"


def _treated_in_period(
    data: pd.DataFrame, args: CausalAnalysisArgs, period: pd.Series, unit: str | None
) -> tuple[pd.Series, pd.Series]:
    """(treated in this period, ever-treated group) from a per-period indicator or a group column and a start."""
    treatment = data[args.treatment]
    if not set(np.unique(treatment)) <= {0.0, 1.0}:
        raise InvalidInputError(f"difference in differences needs a binary treatment; {args.treatment!r} is not")
    constant_within = unit is not None and bool((treatment.groupby(data[unit]).nunique() <= 1).all())
    if args.treatment_start is not None or (unit is None):
        if args.treatment_start is None:
            raise InvalidInputError(
                "difference in differences without a unit column needs `treatment_start` (the first treated "
                f"period), with {args.treatment!r} marking the treated group"
            )
        group = treatment.groupby(data[unit]).transform("max") if unit else treatment
        return group * (period >= args.treatment_start).astype(float), group
    if constant_within:
        raise InvalidInputError(
            f"{args.treatment!r} does not change within any {unit!r}, so it marks the treated group: give "
            "`treatment_start`, the first period in which that group is treated"
        )
    group = treatment.groupby(data[unit]).transform("max")
    return treatment, group


def estimate(
    data: pd.DataFrame, args: CausalAnalysisArgs, covariates: list[str], choice: DesignChoice, progress: Progress
) -> Estimation:
    from linearmodels.panel import PanelOLS

    time, unit = choice.time, choice.unit
    assert time is not None
    period, period_kind = period_codes(data[time])
    treated_now, group = _treated_in_period(data, args, period, unit)
    outcome = data[args.outcome].astype(float)
    if treated_now.sum() == 0 or (group == 0).sum() == 0:
        raise InvalidInputError("difference in differences needs treated periods and a never-treated comparison group")
    frame = pd.DataFrame({"y": outcome, "d": treated_now, "g": group, "t": period})
    for name in covariates:
        frame[f"x_{name}"] = data[name].astype(float)
    controls = [f"x_{name}" for name in covariates]
    entity = data[unit].astype(str) if unit else group.map({1.0: "treated group", 0.0: "comparison group"})
    if unit and entity.groupby([entity, period]).size().max() > 1:
        raise InvalidInputError(
            f"{unit!r} and {time!r} do not identify the rows: a unit has several rows in one period"
        )
    panel = frame.set_index([entity.rename("entity"), period.rename("period")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = PanelOLS(
                panel["y"],
                panel[["d", *controls]],
                entity_effects=True,
                time_effects=True,
                drop_absorbed=True,
                check_rank=False,
            ).fit(cov_type="clustered", cluster_entity=True)
        except ValueError as exc:
            # linearmodels refuses a model with no residual degrees of freedom.
            raise InvalidInputError(
                f"two-way fixed effects cannot be fitted on {len(panel)} complete rows with "
                f"{len(controls)} covariate(s), {entity.nunique()} units and {period.nunique()} periods: "
                "adjust for fewer covariates or use rows with fewer missing values"
            ) from exc
    value, standard_error = float(fit.params["d"]), float(fit.std_errors["d"])
    progress("estimate", f"two-way fixed effects: {value:,.4g}", 45)
    headline = MethodEstimate(method="did.two_way_fixed_effects", estimate=value, ci=interval(value, standard_error))
    starts = period[treated_now == 1].groupby(entity[treated_now == 1]).min()
    staggered = starts.nunique() > 1
    first_start = float(starts.min())
    notes: list[str] = []
    methods = [headline]
    if not staggered:
        means = frame.assign(post=(period >= first_start)).groupby(["g", "post"])["y"].mean()
        if len(means) == 4:
            simple = (means[(1.0, True)] - means[(1.0, False)]) - (means[(0.0, True)] - means[(0.0, False)])
            methods.append(MethodEstimate(method="difference of group means (2×2)", estimate=float(simple)))
    else:
        notes.append(
            f"staggered adoption: units start treatment in {starts.nunique()} different periods; two-way "
            "fixed effects then average comparisons that include already-treated units as controls, which "
            "is biased when the effect changes over time (Goodman-Bacon 2021)"
        )
    pre_trend = _pre_trend(frame, entity, period, first_start)
    clusters = entity.nunique()
    if clusters < 20:
        notes.append(
            f"only {clusters} clusters ({'units' if unit else 'groups'}): clustered standard errors are "
            "unreliable with so few, so the interval may be too narrow"
        )
    diagnostics = {
        "periods": float(period.nunique()),
        "pre_periods": float((np.unique(period) < first_start).sum()),
        "clusters": float(clusters),
        "staggered": float(staggered),
    }
    if pre_trend.new_effect is not None:
        diagnostics["pre_trend_p_value"] = float(pre_trend.p_value or 0.0)
    result = Estimation(
        design="did",
        design_reason=choice.reason + (f" (periods read as {period_kind})" if period_kind != "numeric" else ""),
        target="att",
        target_reason="ATT: difference in differences speaks for the treated units in their treated periods",
        headline=headline,
        standard_error=standard_error,
        methods=methods,
        assumptions=list(ASSUMPTIONS),
        why_trusted="unit and period fixed effects remove every difference that is constant over time and every "
        "shock common to all units",
        dof=int(fit.df_resid),
        warnings=notes,
        diagnostics=diagnostics,
    )
    result.refutations = [pre_trend]
    return result


def _pre_trend(frame: pd.DataFrame, entity: pd.Series, period: pd.Series, start: float) -> Refutation:
    """Joint test that the treated group's outcome moved like the comparison's in every pre period."""
    from linearmodels.panel import PanelOLS

    before = period < start
    pre_periods = np.sort(np.unique(period[before]))
    name = "parallel pre-trends"
    if len(pre_periods) < 2:
        return Refutation(
            name=name,
            passed=True,
            detail=f"cannot be checked: there is only {len(pre_periods)} period "
            "before the treatment starts, so parallel trends are assumed",
        )
    pre = frame[before].copy()
    leads = []
    for index, value in enumerate(pre_periods[:-1]):
        column = f"lead_{index}"
        pre[column] = ((pre["t"] == value) & (pre["g"] == 1)).astype(float)
        leads.append(column)
    panel = pre.set_index([entity[before].rename("entity"), period[before].rename("period")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = PanelOLS(
            panel["y"], panel[leads], entity_effects=True, time_effects=True, drop_absorbed=True, check_rank=False
        ).fit(cov_type="clustered", cluster_entity=True)
    kept = [lead for lead in leads if lead in fit.params.index]
    if not kept:
        return Refutation(name=name, passed=True, detail="cannot be checked: the pre-period differences are absorbed")
    coefficients = fit.params[kept].to_numpy()
    covariance = fit.cov.loc[kept, kept].to_numpy()
    statistic = float(coefficients @ np.linalg.pinv(covariance) @ coefficients)
    p_value = float(stats.chi2.sf(statistic, len(kept)))
    largest = float(coefficients[np.argmax(np.abs(coefficients))])
    passed = p_value >= 0.05
    detail = (
        f"over {len(pre_periods)} periods before the treatment the treated group's outcome moved like the "
        f"comparison group's (joint test p = {p_value:.3f}; largest gap {largest:,.4g})"
        if passed
        else f"before the treatment the treated group's outcome already moved differently from the comparison "
        f"group's (joint test p = {p_value:.3g}; largest gap {largest:,.4g}): parallel trends look violated, "
        "so the estimate mixes the effect with a different trend"
    )
    return Refutation(name=name, passed=passed, detail=detail, new_effect=largest, p_value=p_value)
