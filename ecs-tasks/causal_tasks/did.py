"""Difference in differences: two-way fixed effects (linearmodels ``PanelOLS``), the heterogeneity-robust estimate
when adoption is staggered (``causal_tasks.staggered``), and an event study whose leads test parallel pre-trends."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm

from causal_common.errors import InvalidInputError
from causal_common.models.tools import CausalAnalysisArgs, EventStudyPoint, MethodEstimate, Refutation
from causal_tasks import staggered as staggered_did
from causal_tasks.checks import MATERIAL_SHARE, z_difference
from causal_tasks.design import DesignChoice
from causal_tasks.estimation import Z_95, Estimation, Progress, interval

TWO_WAY = "did.two_way_fixed_effects"
ROBUST = "did.callaway_sant_anna"

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
    time, unit = choice.time, choice.unit
    assert time is not None
    period, period_kind = period_codes(data[time])
    treated_now, group = _treated_in_period(data, args, period, unit)
    outcome = data[args.outcome].astype(float)
    if treated_now.sum() == 0:
        raise InvalidInputError(f"difference in differences needs treated periods: {args.treatment!r} is never 1")
    frame = pd.DataFrame({"y": outcome, "d": treated_now, "g": group, "t": period})
    for name in covariates:
        frame[f"x_{name}"] = data[name].astype(float)
    controls = [f"x_{name}" for name in covariates]
    entity = data[unit].astype(str) if unit else group.map({1.0: "treated group", 0.0: "comparison group"})
    if unit and entity.groupby([entity, period]).size().max() > 1:
        raise InvalidInputError(
            f"{unit!r} and {time!r} do not identify the rows: a unit has several rows in one period"
        )
    value, two_way_error, dof = _two_way_fixed_effects(frame, entity, period, controls)
    progress("estimate", f"two-way fixed effects: {value:,.4g}", 40)
    two_way = MethodEstimate(method=TWO_WAY, estimate=value, ci=interval(value, two_way_error))
    standard_error = two_way_error
    starts = period[treated_now == 1].groupby(entity[treated_now == 1]).min()
    staggered = starts.nunique() > 1
    first_start = float(starts.min())
    if (group == 0).sum() == 0 and not staggered:
        # With several adoption dates the later adopters compare with the earlier ones until they start.
        raise InvalidInputError(
            "difference in differences needs a comparison group: every unit is treated from the same period"
        )
    notes: list[str] = []
    ordered = np.sort(np.unique(period))
    period_index = pd.Series(np.searchsorted(ordered, period), index=frame.index)
    if unit:
        cohort_effects = _panel_effects(frame, entity, period_index, controls, notes)
    else:
        in_group = frame["g"].to_numpy() == 1
        cohort_effects = staggered_did.cross_section_effects(
            frame["y"].to_numpy(), period_index.to_numpy(), in_group, int(np.searchsorted(ordered, first_start))
        )
    headline, methods = two_way, [two_way]
    why_trusted = (
        "unit and period fixed effects remove every difference that is constant over time and every shock common "
        "to all units"
    )
    if staggered and cohort_effects is not None and cohort_effects.effects:
        overall = cohort_effects.overall()
        headline = MethodEstimate(method=ROBUST, estimate=overall.estimate, ci=overall.interval())
        methods = [headline, two_way]
        standard_error, dof = overall.standard_error, max(cohort_effects.units - 1, 1)
        why_trusted = (
            "each adoption cohort is compared only with units not yet treated at the time (here the "
            f"{cohort_effects.control} units), so effects that change with time since adoption do not bias it"
        )
        progress("estimate", f"group-time ATT (Callaway–Sant'Anna): {overall.estimate:,.4g}", 50)
        notes.append(
            f"staggered adoption: units start treatment in {starts.nunique()} different periods, so the headline "
            "averages comparisons of each adoption cohort with units not yet treated (Callaway & Sant'Anna 2021); "
            "two-way fixed effects is shown beside it"
        )
        gap = abs(overall.estimate - value)
        z = z_difference(overall.estimate, overall.standard_error, value, two_way_error) or 0.0
        if z > Z_95 and gap > MATERIAL_SHARE * max(abs(overall.estimate), abs(value)):
            notes.append(
                f"two-way fixed effects gives {value:,.4g} against {overall.estimate:,.4g}: it also compares "
                "late adopters with units already treated, which is biased when the effect grows or fades with "
                "time since adoption, so it is not the headline"
            )
    elif staggered:
        notes.append(
            f"staggered adoption: units start treatment in {starts.nunique()} different periods, and no cohort "
            "could be compared with units not yet treated, so the headline is two-way fixed effects, which is "
            "biased when the effect changes with time since adoption (Goodman-Bacon 2021)"
        )
    else:
        means = frame.assign(post=(period >= first_start)).groupby(["g", "post"])["y"].mean()
        if len(means) == 4:
            simple = (means[(1.0, True)] - means[(1.0, False)]) - (means[(0.0, True)] - means[(0.0, False)])
            methods.append(MethodEstimate(method="difference of group means (2×2)", estimate=float(simple)))
    events = cohort_effects.event_study() if cohort_effects is not None else {}
    pre_trend = _pre_trend(cohort_effects, events)
    assumptions = list(ASSUMPTIONS)
    if not pre_trend.passed:
        notes.append(
            "before adoption the treated units' outcome already moved differently from their comparison units' "
            "(see the event study's pre-period effects): parallel trends look violated, so the estimate may "
            "mix the effect with a difference in trends"
        )
        assumptions[0] = (
            "parallel trends, which look violated here: the treated units' outcome already moved differently from "
            f"their comparison units' before adoption (pre-trend test p = {pre_trend.p_value:.3g})"
        )
    clusters = entity.nunique()
    if clusters < 20:
        notes.append(
            f"only {clusters} clusters ({'units' if unit else 'groups'}): clustered standard errors are "
            "unreliable with so few, so the interval may be too narrow"
        )
    diagnostics = {
        "periods": float(period.nunique()),
        "pre_periods": float((ordered < first_start).sum()),
        "clusters": float(clusters),
        "staggered": float(staggered),
    }
    if pre_trend.p_value is not None:
        diagnostics["pre_trend_p_value"] = float(pre_trend.p_value)
    result = Estimation(
        design="did",
        design_reason=choice.reason + (f" (periods read as {period_kind})" if period_kind != "numeric" else ""),
        target="att",
        target_reason="ATT: difference in differences speaks for the treated units in their treated periods",
        headline=headline,
        standard_error=standard_error,
        methods=methods,
        assumptions=assumptions,
        why_trusted=why_trusted,
        dof=dof,
        warnings=notes,
        diagnostics=diagnostics,
        event_study=_event_study_points(events),
    )
    result.refutations = [pre_trend]
    return result


def _two_way_fixed_effects(
    frame: pd.DataFrame, entity: pd.Series, period: pd.Series, controls: list[str]
) -> tuple[float, float, int]:
    """The treatment coefficient with unit and period fixed effects, its unit-clustered error, residual dof.

    Rows that are not a panel (many rows per group and period) get group and period dummies and robust errors.
    """
    from linearmodels.panel import PanelOLS

    if entity.groupby([entity, period]).size().max() > 1:
        dummies = pd.get_dummies(pd.DataFrame({"entity": entity, "period": period.astype(str)}), drop_first=True)
        design = sm.add_constant(pd.concat([frame[["d", *controls]], dummies.astype(float)], axis=1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ols = sm.OLS(frame["y"], design).fit(cov_type="HC1")
        return float(ols.params["d"]), float(ols.bse["d"]), int(ols.df_resid)
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
    return float(fit.params["d"]), float(fit.std_errors["d"]), int(fit.df_resid)


def _panel_effects(
    frame: pd.DataFrame, entity: pd.Series, period_index: pd.Series, controls: list[str], notes: list[str]
) -> staggered_did.GroupTimeEstimates | None:
    """Group-time effects; each comparison uses the units observed in both of its periods."""
    cells = frame.assign(entity=entity.to_numpy(), index=period_index.to_numpy())
    columns = ["y", "d", *controls]
    wide = {name: cells.pivot(index="entity", columns="index", values=name) for name in columns}
    observed = wide["y"].notna().to_numpy()
    gaps = int((~observed.all(axis=1)).sum())
    if gaps:
        notes.append(
            f"{gaps} of {len(observed)} units are not observed in every period: each cohort comparison and "
            "event-study period uses the units observed in both of the periods it compares"
        )
    if len(observed) < 4:
        return None
    # A unit's treatment carries over a missing period, so a gap does not look like switching off.
    status = wide["d"].ffill(axis=1)
    first_seen = status.bfill(axis=1).iloc[:, 0].to_numpy()
    treated = status.fillna(0.0).to_numpy()
    switched_off = (np.diff(treated, axis=1) < 0).any(axis=1)
    if switched_off.any():
        notes.append(
            f"the treatment switches off again for {int(switched_off.sum())} units: the event study counts time "
            "from each unit's first treated period"
        )
    treated_from_start = int((first_seen == 1).sum())
    if treated_from_start:
        notes.append(
            f"{treated_from_start} units are treated from their first observed period: with no untreated period "
            "to compare with, they are left out of the event study and the cohort comparisons"
        )
    covariate_cube = np.stack([wide[name].to_numpy() for name in controls], axis=2) if controls else None
    return staggered_did.group_time_effects(wide["y"].to_numpy(), treated, covariate_cube)


def _event_study_points(events: dict[int, staggered_did.Aggregate]) -> list[EventStudyPoint]:
    points = [
        EventStudyPoint(
            relative_period=relative,
            estimate=aggregate.estimate,
            ci=aggregate.interval(),
        )
        for relative, aggregate in events.items()
    ]
    if points:
        points.append(EventStudyPoint(relative_period=-1, estimate=0.0))
    return sorted(points, key=lambda point: point.relative_period)


def _pre_trend(
    estimates: staggered_did.GroupTimeEstimates | None, events: dict[int, staggered_did.Aggregate]
) -> Refutation:
    """Joint test that the pre-period effects of the event study are zero (treated and comparison moved alike)."""
    name = "parallel pre-trends"
    test = staggered_did.lead_test(estimates, events) if estimates is not None else None
    if test is None:
        return Refutation(
            name=name,
            passed=True,
            detail="cannot be checked: there is only one period before the treatment starts (or too few units "
            "to test the earlier ones), so parallel trends are assumed",
        )
    passed = test.p_value >= 0.05
    periods = f"{test.leads} periods" if test.leads > 1 else "period"
    detail = (
        f"in the {periods} before adoption that are tested, the treated units' outcome moved like their "
        f"comparison units' (joint test of the pre-period effects p = {test.p_value:.3f}; largest {test.largest:,.4g})"
        if passed
        else "before adoption the treated units' outcome already moved differently from their comparison units' "
        f"(joint test of the pre-period effects in the {periods} tested, p = {test.p_value:.3g}; "
        f"largest {test.largest:,.4g}): "
        "parallel trends look violated, so the estimate mixes the effect with a different trend"
    )
    return Refutation(name=name, passed=passed, detail=detail, new_effect=test.largest, p_value=test.p_value)
