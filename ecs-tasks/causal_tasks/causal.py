"""The DoWhy pipeline: model, identify, estimate with several methods, refute.

``run_causal_analysis`` is a plain function over a DataFrame; the job wrapper
(``causal_tasks.job``) adds S3, DynamoDB and Step Functions around it.
"""

from __future__ import annotations

import copy
import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from causal_common.errors import InvalidInputError
from causal_common.models.tools import CausalAnalysisArgs, CausalResult, MethodEstimate, Refutation
from causal_tasks import frame as frames
from causal_tasks import overlap

logger = logging.getLogger(__name__)

Progress = Callable[[str, str, float], None]

# Below this share of treated units (with poor overlap) the treated are the population the data can speak for.
ATT_TREATED_SHARE = 1 / 3
BOOTSTRAP_SIMULATIONS = 20
RANDOM_SEED = 0


def _quiet_progress(stage: str, message: str, pct: float) -> None:
    logger.info("%s: %s (%s%%)", stage, message, pct)


@dataclass
class _Plan:
    target: str
    reason: str
    headline: str
    binary: bool


def _plan(args: CausalAnalysisArgs, binary: bool, treated_share: float, poor: bool) -> _Plan:
    if not binary:
        return _Plan("ate", "the treatment is continuous, so the effect is the average slope (ATE)",
                     "backdoor.linear_regression", False)
    if args.target == "ate":
        return _Plan("ate", "the average effect over everyone (ATE) was requested", "backdoor.linear_regression", True)
    if args.target == "att":
        return _Plan("att", "the effect on the treated (ATT) was requested", "backdoor.propensity_score_matching", True)
    if poor and treated_share < ATT_TREATED_SHARE:
        return _Plan(
            "att",
            f"ATT: the treated are {treated_share:.1%} of the rows and most controls have no treated counterpart "
            "(poor overlap), so the data support the effect on those who were treated, estimated by matching each "
            "treated unit to the control with the closest propensity score; an ATE would extrapolate to controls "
            "unlike anyone treated",
            "backdoor.propensity_score_matching",
            True,
        )
    reason = "ATE: treated and control overlap enough to speak for the whole population"
    if poor:
        reason = (
            f"ATE: the treated are {treated_share:.0%} of the rows, so the question is about the whole population; "
            "overlap is imperfect, so the headline is the regression adjustment, which relies on the outcome model "
            "rather than on matching treated and control units"
        )
    return _Plan("ate", reason, "backdoor.linear_regression", True)


def _value(estimate: Any) -> float:
    return float(np.asarray(estimate.value).reshape(-1)[0])


def _interval(estimate: Any) -> tuple[float, float] | None:
    try:
        interval = np.asarray(estimate.get_confidence_intervals(), dtype=float).reshape(-1)
    except (ValueError, TypeError, AttributeError, np.linalg.LinAlgError) as exc:
        logger.info("no confidence interval: %s", exc)
        return None
    if interval.size < 2 or not np.all(np.isfinite(interval[:2])):
        return None
    return float(interval[0]), float(interval[1])


def _method_params(method: str) -> dict[str, Any] | None:
    if "propensity_score" not in method:
        return None
    init: dict[str, Any] = {"propensity_score_model": overlap.propensity_model()}
    if method.endswith("weighting"):
        # Normalised weights, and no clipping of scores to [0.05, 0.95], which distorts ATT weights of controls.
        init.update(weighting_scheme="ips_normalized_weight", min_ps_score=1e-6, max_ps_score=1 - 1e-6)
    return {"init_params": init}


def run_causal_analysis(
    df: pd.DataFrame,
    args: CausalAnalysisArgs,
    progress: Progress | None = None,
    *,
    default_covariates: list[str] | None = None,
) -> CausalResult:
    """Estimate the effect of ``args.treatment`` on ``args.outcome`` and refute it."""
    progress = progress or _quiet_progress
    instruments = list(args.instruments or [])
    frames.require_columns(df, [args.treatment, args.outcome], "treatment/outcome")
    frames.require_columns(df, instruments, "instrument")
    if args.treatment == args.outcome:
        raise InvalidInputError("treatment and outcome must be different columns")
    exclude = [args.treatment, args.outcome, *instruments]
    if args.common_causes is not None:
        frames.require_columns(df, args.common_causes, "common cause")
        covariates = [name for name in args.common_causes if name not in exclude]
    elif default_covariates is not None:
        covariates = [name for name in default_covariates if name in df.columns and name not in exclude]
    else:
        covariates = frames.default_covariates(df, exclude)
    prepared = frames.prepare(df, args.treatment, args.outcome, covariates, instruments)
    data, covariates = prepared.frame, prepared.covariates
    result_warnings = list(prepared.warnings)
    treatment_values = data[args.treatment].to_numpy()
    outcome_values = data[args.outcome].to_numpy()
    binary = frames.is_binary(data[args.treatment])
    naive = frames.naive_difference(treatment_values, outcome_values)
    progress("model", f"{len(data)} rows, {len(covariates)} common causes; naive difference {naive:,.4g}", 5)

    poor = False
    treated_share = float(treatment_values.mean()) if binary else 1.0
    if binary:
        data[args.treatment] = data[args.treatment].astype(int)
        if treatment_values.sum() < 2 or (1 - treatment_values).sum() < 2:
            raise InvalidInputError(f"{args.treatment!r} needs at least two treated and two control rows")
        if covariates:
            summary = overlap.overlap_summary(
                overlap.propensity_scores(data, args.treatment, covariates), treatment_values == 1
            )
            result_warnings += overlap.overlap_warnings(summary)
            result_warnings += overlap.balance_warnings(overlap.balance(data, args.treatment, covariates))
            poor = overlap.poor_overlap(summary)
    plan = _plan(args, binary, treated_share, poor)

    from dowhy import CausalModel  # heavy: imported here so the module loads fast

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = CausalModel(
            data=data,
            treatment=args.treatment,
            outcome=args.outcome,
            common_causes=covariates or None,
            instruments=instruments or None,
        )
        estimand = model.identify_effect(proceed_when_unidentifiable=True)
    progress("identify", "backdoor adjustment identified" + (", instrument available" if instruments else ""), 15)

    candidates = ["backdoor.linear_regression"]
    if binary and covariates:
        candidates += [
            "backdoor.propensity_score_matching",
            "backdoor.propensity_score_weighting",
            "backdoor.propensity_score_stratification",
        ]
    if instruments:
        candidates.append("iv.instrumental_variable")
    if plan.headline not in candidates:
        plan.headline = "backdoor.linear_regression"

    methods: list[MethodEstimate] = []
    headline_estimate: Any = None
    for index, method in enumerate(candidates):
        started = time.perf_counter()
        want_interval = method == "backdoor.linear_regression" or method == plan.headline
        params = _method_params(method) or {}
        if want_interval and method != "backdoor.linear_regression":
            params.setdefault("init_params", {})["num_simulations"] = BOOTSTRAP_SIMULATIONS
        try:
            np.random.seed(RANDOM_SEED)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # estimate_effect mutates the estimand: every estimator gets its own copy.
                estimate = model.estimate_effect(
                    copy.deepcopy(estimand),
                    method_name=method,
                    target_units=plan.target,
                    confidence_intervals=want_interval,
                    method_params=params or None,
                )
                interval = _interval(estimate) if want_interval else None
            value = _value(estimate)
            if not np.isfinite(value):
                raise ValueError("the estimate is not a finite number")
        except (ValueError, TypeError, KeyError, IndexError, ArithmeticError, np.linalg.LinAlgError) as exc:
            logger.warning("estimator %s failed: %s", method, exc)
            methods.append(MethodEstimate(method=method, estimate=float("nan"), error=str(exc)[:300]))
            continue
        elapsed = (time.perf_counter() - started) * 1000
        methods.append(MethodEstimate(method=method, estimate=value, ci=interval, elapsed_ms=round(elapsed, 1)))
        if method == plan.headline:
            headline_estimate = estimate
        progress("estimate", f"{method}: {value:,.4g}", 15 + 45 * (index + 1) / len(candidates))

    if headline_estimate is None:
        fallback = next((m for m in methods if m.error is None), None)
        if fallback is None:
            raise InvalidInputError("no estimator could produce an estimate: " + "; ".join(m.error or "" for m in methods))
        result_warnings.append(f"{plan.headline} failed; the headline is {fallback.method}")
        plan.headline = fallback.method
        headline_estimate = None
    headline = next(m for m in methods if m.method == plan.headline)
    if headline_estimate is None:
        headline_estimate = model.estimate_effect(
            copy.deepcopy(estimand), method_name=plan.headline, target_units=plan.target,
            method_params=_method_params(plan.headline),
        )

    refutations = _refute(model, estimand, headline_estimate, headline.estimate, args.refutation_simulations, progress)
    failed = [r.name for r in refutations if not r.passed]
    if failed:
        result_warnings.append(f"refutations not passed: {', '.join(failed)}")
    progress("done", f"{plan.target.upper()} {headline.estimate:,.4g} by {plan.headline}", 100)
    clean_methods = [m if m.error is None else m.model_copy(update={"estimate": 0.0}) for m in methods]
    return CausalResult(
        treatment=args.treatment,
        outcome=args.outcome,
        common_causes=covariates,
        target=plan.target,  # type: ignore[arg-type]
        target_reason=plan.reason,
        estimate=headline.estimate,
        ci=headline.ci,
        method=plan.headline,
        naive_estimate=naive,
        methods=clean_methods,
        refutations=refutations,
        warnings=result_warnings,
        rows=len(data),
    )


def _refute(model: Any, estimand: Any, estimate: Any, value: float, simulations: int, progress: Progress) -> list[Refutation]:
    scale = max(abs(value), 1e-9)
    specs = [
        ("placebo_treatment_refuter", {"placebo_type": "permute"}, "placebo treatment"),
        ("random_common_cause", {}, "random common cause"),
        ("data_subset_refuter", {"subset_fraction": 0.8}, "data subset"),
    ]
    refutations: list[Refutation] = []
    for index, (method, extra, label) in enumerate(specs):
        try:
            np.random.seed(RANDOM_SEED)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # The estimate's own estimand names the identification it used (backdoor or iv).
                refuted = model.refute_estimate(
                    copy.deepcopy(estimate.target_estimand), estimate, method_name=method, num_simulations=simulations,
                    random_seed=RANDOM_SEED, **extra,
                )
        except (ValueError, TypeError, KeyError, IndexError, ArithmeticError, np.linalg.LinAlgError) as exc:
            logger.warning("refuter %s failed: %s", method, exc)
            refutations.append(Refutation(name=label, passed=False, detail=f"could not run: {str(exc)[:200]}"))
            continue
        new_effect = float(np.asarray(refuted.new_effect, dtype=float).reshape(-1)[0])
        p_value = (refuted.refutation_result or {}).get("p_value") if isinstance(refuted.refutation_result, dict) else None
        p_value = float(p_value) if p_value is not None and np.isfinite(float(p_value)) else None
        change = abs(new_effect - value) / scale
        if method == "placebo_treatment_refuter":
            passed = abs(new_effect) <= 0.25 * scale
            detail = (f"with a randomly permuted treatment the effect becomes {new_effect:,.4g} "
                      f"({abs(new_effect) / scale:.0%} of the estimate; passes at ≤ 25%)")
        elif method == "random_common_cause":
            passed = change <= 0.10
            detail = (f"adding a random common cause moves the estimate to {new_effect:,.4g} "
                      f"({change:.1%} change; passes at ≤ 10%)")
        else:
            passed = change <= 0.20
            detail = (f"re-estimating on random 80% subsets gives {new_effect:,.4g} "
                      f"({change:.1%} change; passes at ≤ 20%)")
        refutations.append(Refutation(name=label, passed=passed, detail=detail, new_effect=new_effect, p_value=p_value))
        progress("refute", f"{label}: {'passed' if passed else 'not passed'}", 60 + 35 * (index + 1) / len(specs))
    return refutations
