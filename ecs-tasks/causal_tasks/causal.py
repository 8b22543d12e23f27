"""The causal-analysis pipeline: choose the design, estimate, check, and say how sure it is.

``run_causal_analysis`` is a plain function over a DataFrame; the job wrapper
(``causal_tasks.job``) adds S3, DynamoDB and Step Functions around it. The
procedure is written down in ``docs/causal-methods.md``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from causal_common.errors import InvalidInputError
from causal_common.models.tools import (
    CausalAnalysisArgs,
    CausalResult,
    ColumnNote,
    ConfounderBenchmark,
    GroupEffect,
    MethodEstimate,
    SubgroupCondition,
)
from causal_tasks import backdoor, checks, did, iv, rdd, sensitivity, shape
from causal_tasks import frame as frames
from causal_tasks.adjustment_sensitivity import adjustment_variants
from causal_tasks.design import DatasetRoles, DesignChoice, choose
from causal_tasks.estimation import Estimation, Progress

logger = logging.getLogger(__name__)


def _quiet_progress(stage: str, message: str, pct: float) -> None:
    logger.info("%s: %s (%s%%)", stage, message, pct)


def _adjustment_set(
    df: pd.DataFrame,
    args: CausalAnalysisArgs,
    choice: DesignChoice,
    roles: DatasetRoles,
    default_covariates: list[str] | None,
) -> tuple[list[str], list[ColumnNote]]:
    """The covariates to adjust for, and every other column with why it is not adjusted for.

    The agent decides the set (``causal_common.roles``) and passes it as ``common_causes``; this applies it. The
    fallbacks serve direct calls without one: the manifest's covariates, or every usable column of a bare frame.
    """
    design_columns = {
        name: f"the {label}"
        for label, names in (
            ("instrument", choice.instruments),
            ("period column", [choice.time]),
            ("unit column", [choice.unit]),
            ("running variable", [choice.running]),
        )
        for name in names
        if name
    }
    roles_used = {args.treatment: "the treatment", args.outcome: "the outcome", **design_columns}
    not_adjusted = {
        **roles.not_adjusted,
        **{
            name: "left out on request (measured after the treatment, a mediator, "
            "a collider, or not to be adjusted for)"
            for name in args.excluded or []
        },
    }
    frames.require_columns(df, list(args.excluded or []), "excluded")
    left_out: dict[str, str] = {}
    if args.common_causes is not None:
        frames.require_columns(df, args.common_causes, "common cause")
        chosen = [name for name in args.common_causes if name not in roles_used and name not in (args.excluded or [])]
        for name in df.columns:
            if name not in chosen and name not in roles_used:
                left_out[name] = not_adjusted.get(name, "not among the common causes asked for")
    else:
        candidates = default_covariates if default_covariates is not None else roles.covariates
        if candidates is None:
            candidates = frames.default_covariates(df, list(roles_used))
        chosen = [
            name for name in candidates if name in df.columns and name not in roles_used and name not in not_adjusted
        ]
        usable = set(frames.default_covariates(df, []))
        for name in df.columns:
            if name in chosen or name in roles_used:
                continue
            if name in not_adjusted:
                left_out[name] = not_adjusted[name]
            elif name not in usable:
                left_out[name] = "text with too many distinct values to be a category"
            else:
                left_out[name] = "not a covariate in the dataset's roles"
    return chosen, [ColumnNote(column=str(name), reason=reason) for name, reason in left_out.items()]


def run_causal_analysis(
    df: pd.DataFrame,
    args: CausalAnalysisArgs,
    progress: Progress | None = None,
    *,
    default_covariates: list[str] | None = None,
    roles: DatasetRoles | None = None,
) -> CausalResult:
    """Estimate the effect of ``args.treatment`` on ``args.outcome`` with the design the data and roles support."""
    progress = progress or _quiet_progress
    roles = roles or DatasetRoles()
    asked_design, asked_period = args.design, args.time or args.unit or roles.time or roles.unit
    asked_running = args.running or roles.running
    df, args, shape_notes, subgroup_text = _design_from_words_and_shape(df, args, roles)
    # The data's shape alone made it a panel design: nobody named the design, its periods, units or groups (the
    # call's arguments or the dataset's roles would have).
    panel_from_shape = asked_design == "auto" and args.design == "did" and not args.group_column and not asked_period
    # The data's shape alone showed a cutoff: nobody named a running variable.
    cutoff_from_shape = asked_design == "auto" and args.design == "rdd" and not asked_running
    frames.require_columns(df, [args.treatment, args.outcome], "treatment/outcome")
    if args.treatment == args.outcome:
        raise InvalidInputError("treatment and outcome must be different columns")
    choice = choose(args, roles)
    if cutoff_from_shape:
        seen = next(note for note in shape_notes if note.startswith(CUTOFF_NOTE))
        choice.reason = (
            f"regression discontinuity: {seen.removeprefix(CUTOFF_NOTE).split(', so the design')[0]}, so units "
            "just either side of the cutoff are compared"
        )
    design_columns = [name for name in (choice.time, choice.unit, choice.running) if name]
    frames.require_columns(df, choice.instruments, "instrument")
    frames.require_columns(df, design_columns, "design")
    covariates, left_out = _adjustment_set(df, args, choice, roles, default_covariates)
    prepared = frames.prepare(
        df,
        args.treatment,
        args.outcome,
        covariates,
        choice.instruments,
        codings=roles.codings,
        keep=design_columns,
        descriptions=roles.descriptions,
    )
    data, covariates = prepared.frame, prepared.covariates
    left_out += prepared.left_out
    preparation_notes = list(prepared.warnings)
    balance_data = None
    if choice.design == "rdd" and prepared.dropped_rows:
        # A discontinuity is estimated from the treatment, outcome and running variable alone; its covariates are
        # only checked for jumps, so a covariate's missing values must not take rows from the estimate.
        estimation_rows = frames.prepare(
            df, args.treatment, args.outcome, [], [], codings=roles.codings, keep=design_columns
        )
        if len(estimation_rows.frame) > len(data):
            balance_data, data = data, estimation_rows.frame
            preparation_notes = list(estimation_rows.warnings) + [
                f"the covariate balance check uses the {len(balance_data)} rows with every covariate; the estimate "
                f"uses all {len(data)} rows with the treatment, outcome and running variable"
            ]
    treatment_values = data[args.treatment].to_numpy()
    outcome_values = data[args.outcome].to_numpy()
    binary_treatment = frames.is_binary(data[args.treatment])
    binary_outcome = frames.is_binary(data[args.outcome])
    naive = frames.naive_difference(treatment_values, outcome_values)
    suspects = (
        checks.post_treatment_suspects(data, args.treatment, covariates, roles.descriptions, prepared.encoded_from)
        if choice.design in ("backdoor", "randomised")
        else []
    )
    if choice.design == "randomised" and suspects:
        # Under random assignment nothing measured before it depends on the treatment: a covariate the treatment
        # explains (or whose name says so) is a consequence of it, and adjusting for it would bias the comparison.
        consequences = {note.column: note.reason for note in suspects}
        kept = [name for name in covariates if prepared.encoded_from.get(name, name) not in consequences]
        if len(kept) < len(covariates):
            covariates = kept
            left_out += [
                ColumnNote(column=name, reason=f"the treatment was assigned at random and {reason}")
                for name, reason in consequences.items()
            ]
            suspects = []
    progress(
        "model", f"{len(data)} rows, {len(covariates)} covariates; {choice.design}; naive difference {naive:,.4g}", 5
    )

    estimation, refutable = _estimate(data, args, covariates, choice, roles, binary_outcome, progress, balance_data)
    if not np.isfinite(estimation.headline.estimate):
        raise InvalidInputError(f"{estimation.headline.method} could not produce a finite estimate on these data")
    backdoor.run_refuters(
        refutable,
        len(data),
        args.refutation_simulations,
        estimation,
        progress,
        "IV estimate" if estimation.design == "iv" else "linear-regression estimate",
    )
    _sensitivity(estimation, args, refutable, covariates)
    benchmark = _confounder_benchmark(estimation, args, data, covariates, prepared.encoded_from)
    headline = estimation.headline
    notes = shape_notes + preparation_notes + estimation.warnings
    if estimation.specification_check is not None:
        estimation.refutations.append(estimation.specification_check)
    failed = [r.name for r in estimation.refutations if not r.passed]
    if failed:
        notes.append(f"checks not passed: {', '.join(failed)}")
    disagreement = checks.disagreement(headline, estimation.methods, estimation.why_trusted)
    variants = (
        adjustment_variants(
            data,
            args.treatment,
            args.outcome,
            covariates,
            prepared.encoded_from,
            headline.ci,
            [note.column for note in suspects],
        )
        if estimation.design in ("backdoor", "randomised")
        else []
    )
    movers = [v for v in variants if v.moves]
    if movers:
        listed = "; ".join(f"without `{', '.join(v.left_out)}`: {v.estimate:,.4g}" for v in movers)
        notes.append(
            f"the estimate depends on what is adjusted for ({listed}, against {headline.estimate:,.4g} with "
            "everything): the data cannot say whether those columns were measured before or after the treatment"
        )
    progress("done", f"{estimation.target.upper()} {headline.estimate:,.4g} by {headline.method}", 100)
    clean_methods = [m if m.error is None else m.model_copy(update={"estimate": 0.0}) for m in estimation.methods]
    result = CausalResult(
        treatment=args.treatment,
        outcome=args.outcome,
        common_causes=list(dict.fromkeys(prepared.encoded_from.get(name, name) for name in covariates)),
        target=estimation.target,
        target_reason=estimation.target_reason,
        estimate=headline.estimate,
        ci=headline.ci,
        method=headline.method,
        naive_estimate=naive,
        methods=clean_methods,
        refutations=estimation.refutations,
        warnings=notes,
        rows=len(data),
        design=estimation.design,
        design_reason=estimation.design_reason,
        assumptions=estimation.assumptions,
        treatment_kind="binary" if binary_treatment else "continuous",
        outcome_kind="binary" if binary_outcome else "continuous",
        standard_error=estimation.standard_error,
        sensitivity=estimation.sensitivity,
        confounder_benchmark=benchmark,
        specification_check=estimation.specification_check,
        disagreement=disagreement,
        diagnostics=estimation.diagnostics,
        post_treatment_suspects=suspects,
        left_out=left_out,
        coded=prepared.coded,
        adjustment_sensitivity=variants,
        subgroup=subgroup_text,
        confidence_set=headline.confidence_set,
        event_study=estimation.event_study,
        treatment_mean=None if binary_treatment else float(data[args.treatment].mean()),
        design_from_data=(
            (panel_from_shape and estimation.design == "did")
            or (cutoff_from_shape and estimation.design == "rdd")
            or (asked_design == "auto" and roles.design is None and estimation.design == "randomised")
        ),
    )
    if args.by_group:
        result.by_group = _effects_by_group(df, args, roles, default_covariates)
        result.by_group_column = args.by_group
    return result


def _design_from_words_and_shape(
    df: pd.DataFrame, args: CausalAnalysisArgs, roles: DatasetRoles
) -> tuple[pd.DataFrame, CausalAnalysisArgs, list[str], str | None]:
    """The rows (a subgroup), the treatment (a named group from a start) and the panel the data form."""
    notes: list[str] = []
    subgroup_text = None
    if args.subgroup:
        args = _rule_said_as_a_subgroup(df, args, roles, notes)
    if args.subgroup:
        whole = df
        df, subgroup_text = shape.subgroup_rows(df, args.subgroup)
        _treatment_varies_within(whole, df.index, args, subgroup_text, roles)
    update: dict[str, Any] = {}
    if args.group_column and args.treated_groups:
        df, args = shape.named_group_treatment(df, args)
        update["design"] = "did"
        if args.unit or roles.unit:
            update["unit"] = args.unit or roles.unit
    time = args.time or roles.time
    _refuse_the_assigning_column_as_outcome(df, args, roles)
    # The data's shape is read only when no running variable or instrument makes the design another one.
    shape_may_decide = (
        args.design in ("auto", "did")
        and not (args.running or args.instruments or roles.running or roles.instruments)
        and args.treatment in df.columns
        and args.outcome in df.columns
    )
    panel = shape.detect_panel(df, args.treatment, args.outcome) if shape_may_decide else None
    layout = (
        shape.group_post(df, args.treatment, args.outcome, panel)
        if shape_may_decide and args.design == "auto" and args.treatment_start is None and not time
        else None
    )
    if layout is not None:
        args = args.model_copy(update={"treatment_start": layout.start})
        update["design"] = "did"
        time = layout.period
        notes.append(
            f"the rows form a group × post layout ({args.treatment!r} marks the treated group, {layout.post!r} the "
            f"periods from {layout.start} on), so the design is difference in differences"
            + ("" if panel is not None else f" over the rows before and after ({layout.post!r} as the period)")
        )
    if panel is not None and (
        panel.layout in ("switch_on", "staggered") or args.treatment_start is not None or args.design == "did"
    ):
        time = time or panel.period
        if "unit" not in update and not (args.unit or roles.unit):
            update["unit"] = panel.unit
        if args.design == "auto":
            update["design"] = "did"
        adoption = ", ".join(f"{count} from {period}" for period, count in panel.adoption.items())
        notes.append(
            f"the data form a panel ({panel.unit!r} observed over {panel.period!r}"
            + (f"; the treatment switches on: {adoption}" if adoption else "")
            + "), so the design is difference in differences"
        )
    if panel is None and layout is None and shape_may_decide and args.design == "auto" and not time:
        cut = _cutoff_among_covariates(df, args, roles)
        if cut is not None:
            update.update(design="rdd", running=cut.column, cutoff=cut.cutoff, cutoff_side=cut.side)
            notes.append(f"{CUTOFF_NOTE}{cut.words(args.treatment)}, so the design is a regression discontinuity")
    if update.get("design") == "did" and time is None:
        found = shape.period_columns(df, {args.treatment, args.outcome})
        time = found[0] if found else None
        if time is None:
            raise InvalidInputError("difference in differences needs a period column; none looks like one")
    # Named groups: the group is the unit when it is observed once per period; otherwise the rows are a
    # repeated cross-section (group × period cells hold many rows) and the groups enter as the treated indicator.
    named_groups = bool(args.group_column and args.treated_groups and time and not (args.unit or roles.unit))
    if named_groups and "unit" not in update and not df[[args.group_column, time]].dropna().duplicated().any():
        update["unit"] = args.group_column
    if time and (update.get("design") == "did" or args.design == "did" or args.time):
        update["time"] = time
    if isinstance(args.treatment_start, str) and time:
        update["treatment_start"] = shape.start_code(df[time], args.treatment_start)
    if update:
        args = args.model_copy(update=update)
    return df, args, notes, subgroup_text


CUTOFF_NOTE = "the data show a cutoff: "


def _rule_said_as_a_subgroup(
    df: pd.DataFrame, args: CausalAnalysisArgs, roles: DatasetRoles, notes: list[str]
) -> CausalAnalysisArgs:
    """ "We waive the fee for anyone with a score of 650 or higher": a condition on a numeric column that is
    exactly the rule the treatment follows in the data is how the treatment was assigned, not the rows asked
    about (within it nobody would be untreated). It becomes the running variable of a regression discontinuity
    when no other design was asked for."""
    if args.design not in ("auto", "rdd") or args.running or args.instruments or not args.subgroup:
        return args
    for condition in args.subgroup:
        if (
            condition.op not in (">", ">=", "<", "<=")
            or isinstance(condition.value, str)
            or condition.column == args.outcome
        ):
            continue
        cut = shape.detect_cutoff(df, args.treatment, [condition.column], roles.codings.get(args.treatment))
        if cut is None:
            continue
        treated = shape.treatment_zero_one(df[args.treatment], roles.codings.get(args.treatment))
        inside = _rows_meeting(df, condition)
        if treated is None or inside is None or treated.loc[inside].nunique() > 1:
            continue
        rest = [c for c in args.subgroup if c is not condition]
        notes.append(
            f"{CUTOFF_NOTE}{cut.words(args.treatment)}; '{condition.column} {condition.op} {condition.value:g}' is "
            f"the rule that assigned {args.treatment!r}, not a subgroup (within it nobody is untreated), so the "
            "design is a regression discontinuity"
        )
        return args.model_copy(
            update={
                "subgroup": rest or None,
                "design": "rdd",
                "running": cut.column,
                "cutoff": cut.cutoff,
                "cutoff_side": cut.side,
            }
        )
    return args


def _rows_meeting(df: pd.DataFrame, condition: SubgroupCondition) -> pd.Index | None:
    try:
        return shape.subgroup_rows(df, [condition])[0].index
    except InvalidInputError:
        return None


def _treatment_varies_within(
    whole: pd.DataFrame, rows: pd.Index, args: CausalAnalysisArgs, subgroup: str, roles: DatasetRoles
) -> None:
    """A subgroup in which everyone (or nobody) was treated has nobody to compare with: say so plainly."""
    if args.treatment not in whole or args.design in ("did", "iv") or args.group_column:
        return
    treated = shape.treatment_zero_one(whole[args.treatment], roles.codings.get(args.treatment))
    if treated is None or treated.loc[rows].nunique() > 1:
        return
    state = "got" if treated.loc[rows].iloc[0] == 1 else "did not get"
    raise InvalidInputError(
        f"every row with {subgroup} {state} {args.treatment!r}, so there is nobody to compare them with; "
        "if that condition is how the treatment was given, ask about the cutoff rather than a subgroup"
    )


def _cutoff_among_covariates(df: pd.DataFrame, args: CausalAnalysisArgs, roles: DatasetRoles) -> shape.Threshold | None:
    """A numeric column at which the treatment switches exactly (a sharp discontinuity nobody named)."""
    taken = {args.treatment, args.outcome, *(args.excluded or [])}
    allowed = set(args.common_causes or roles.covariates or [str(name) for name in df.columns])
    columns = [
        str(name)
        for name in df.columns
        if str(name) not in taken and str(name) in allowed and str(name) not in roles.not_adjusted
    ]
    return shape.detect_cutoff(df, args.treatment, columns, roles.codings.get(args.treatment))


def _refuse_the_assigning_column_as_outcome(df: pd.DataFrame, args: CausalAnalysisArgs, roles: DatasetRoles) -> None:
    """An "outcome" at which the treatment switches exactly is the rule that assigned it, not its result."""
    if args.treatment not in df or args.outcome not in df:
        return
    cut = shape.detect_cutoff(df, args.treatment, [args.outcome], roles.codings.get(args.treatment))
    if cut is None:
        return
    others = [
        str(name)
        for name in df.columns
        if str(name) not in (args.treatment, args.outcome)
        and str(name) not in roles.not_adjusted
        and pd.api.types.is_numeric_dtype(df[name])
    ][:4]
    raise InvalidInputError(
        f"{cut.words(args.treatment)}: {args.outcome!r} decided who was treated, so the treatment cannot have "
        f"changed it and it cannot be the outcome. Ask about the outcome you mean"
        + (f" (for example {', '.join(repr(name) for name in others)})" if others else "")
        + f"; {args.outcome!r} is then the running variable of a regression discontinuity at {cut.cutoff:g}"
    )


def _effects_by_group(
    df: pd.DataFrame, args: CausalAnalysisArgs, roles: DatasetRoles, default_covariates: list[str] | None
) -> list[GroupEffect]:
    """The same analysis within each value of ``args.by_group`` (at most 12 groups, each with enough rows)."""
    assert args.by_group
    frames.require_columns(df, [args.by_group], "by-group")
    effects: list[GroupEffect] = []
    values = df[args.by_group].dropna()
    for value in list(values.astype(str).value_counts().index)[:12]:
        rows = df.loc[df[args.by_group].astype(str) == value]
        inner = args.model_copy(update={"by_group": None, "subgroup": None, "refutation_simulations": 1})
        try:
            found = run_causal_analysis(rows, inner, roles=roles, default_covariates=default_covariates)
        except (InvalidInputError, ValueError, np.linalg.LinAlgError) as exc:
            effects.append(GroupEffect(group=value, rows=len(rows), estimate=None, ci=None, error=str(exc)[:200]))
            continue
        effects.append(GroupEffect(group=value, rows=found.rows, estimate=found.estimate, ci=found.ci))
    return effects


def _estimate(
    data: pd.DataFrame,
    args: CausalAnalysisArgs,
    covariates: list[str],
    choice: DesignChoice,
    roles: DatasetRoles,
    binary_outcome: bool,
    progress: Progress,
    balance_data: pd.DataFrame | None = None,
) -> tuple[Estimation, Any]:
    if choice.design == "rdd":
        return rdd.estimate(data, args, covariates, choice, progress, balance_data), None
    if choice.design == "did":
        return did.estimate(data, args, covariates, choice, progress), None
    if choice.design == "iv":
        # The instrument stays the design however weak (the user or the roles named it); a weak one gets an
        # interval valid under weakness (iv.estimate), and adjustment is reported beside it, never instead.
        estimation, refutable = iv.estimate(data, args, covariates, choice, progress)
        if covariates:
            estimation.methods += _backdoor_beside(data, args, covariates, choice, roles, binary_outcome, progress)
        return estimation, refutable
    return backdoor.estimate(data, args, covariates, choice, roles, binary_outcome, progress)


def _backdoor_beside(
    data: pd.DataFrame,
    args: CausalAnalysisArgs,
    covariates: list[str],
    choice: DesignChoice,
    roles: DatasetRoles,
    binary_outcome: bool,
    progress: Progress,
) -> list[MethodEstimate]:
    """The adjustment estimate next to an IV headline: if they agree, confounding by the unmeasured is small."""
    side = DesignChoice("backdoor", choice.reason)
    adjusted, _ = backdoor.estimate(
        data, args.model_copy(update={"target": "ate"}), covariates, side, roles, binary_outcome, progress
    )
    return [adjusted.headline]


def _confounder_benchmark(
    estimation: Estimation,
    args: CausalAnalysisArgs,
    data: pd.DataFrame,
    covariates: list[str],
    encoded_from: dict[str, str],
) -> ConfounderBenchmark | None:
    """Adjustment for measured confounders only: would one as strong as a measured covariate explain it away?"""
    if estimation.design != "backdoor" or not covariates or not estimation.standard_error:
        return None
    try:
        strengths = sensitivity.benchmark_strengths(data, args.treatment, args.outcome, covariates, encoded_from)
    except (ValueError, np.linalg.LinAlgError) as exc:
        logger.info("benchmark bounds could not be computed: %s", exc)
        return None
    headline = estimation.headline
    found = sensitivity.confounder_benchmark(
        strengths,
        headline.estimate,
        estimation.standard_error,
        estimation.dof,
        headline.ci,
        args.treatment,
        args.outcome,
    )
    if found is not None:
        estimation.diagnostics["benchmark_adjusted_estimate"] = round(found.adjusted_estimate, 6)
    return found


def _sensitivity(estimation: Estimation, args: CausalAnalysisArgs, refutable: Any, covariates: list[str]) -> None:
    headline = estimation.headline
    if estimation.standard_error and estimation.standard_error > 0:
        t_statistic = headline.estimate / estimation.standard_error
        value = sensitivity.robustness_value(t_statistic, estimation.dof)
        of_what = estimation.of_what
        if estimation.design == "did":
            of_what = "estimate (here a confounder means a trend that differs between the groups)"
        estimation.sensitivity.append(sensitivity.robustness_sentence(value, args.treatment, args.outcome, of_what))
        estimation.diagnostics["robustness_value"] = round(value, 6)
    if estimation.design in ("backdoor", "randomised") and refutable is not None and refutable[1] is not None:
        linear_value = sensitivity.dowhy_robustness_value(
            refutable[0], refutable[1], covariates[0] if covariates else None
        )
        if linear_value is not None:
            estimation.diagnostics["robustness_value_linear_regression"] = round(linear_value, 6)
    if estimation.baseline_risk is not None and estimation.design in ("backdoor", "randomised"):
        e_value = sensitivity.e_value_sentence(estimation.baseline_risk, headline.estimate, headline.ci)
        if e_value is not None:
            estimation.sensitivity.append(e_value)
            estimation.diagnostics["e_value"] = e_value.value
    if estimation.design == "randomised":
        estimation.sensitivity = [
            s.model_copy(
                update={
                    "sentence": s.sentence + " With random assignment, "
                    "unmeasured confounding is ruled out by design; this says "
                    "how fragile the estimate would be otherwise."
                }
            )
            for s in estimation.sensitivity
        ]
