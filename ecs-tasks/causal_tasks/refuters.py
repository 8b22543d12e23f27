"""DoWhy's refuters (placebo treatment, random common cause, data subset), cost-aware.

They re-fit the estimate they are given many times, so they run on the
cheap-to-refit DoWhy estimate of the design (linear regression, or the IV
estimator), not on the cross-fitted doubly robust one; they test the data and
the adjustment set, not the outcome model — the specification check does that.
On large data they use fewer simulations, and say so.
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from causal_common.models.tools import Refutation

logger = logging.getLogger(__name__)

RANDOM_SEED = 0
# Above this many rows each refuter runs at most LARGE_DATA_SIMULATIONS simulations.
LARGE_DATA_ROWS = 50_000
LARGE_DATA_SIMULATIONS = 3


def simulations_for(rows: int, requested: int) -> tuple[int, str]:
    if rows > LARGE_DATA_ROWS and requested > LARGE_DATA_SIMULATIONS:
        return LARGE_DATA_SIMULATIONS, (
            f"{LARGE_DATA_SIMULATIONS} simulations each instead of {requested}, as the data have {rows:,} rows"
        )
    return requested, ""


def refute(
    model: Any,
    estimate: Any,
    value: float,
    standard_error: float | None,
    simulations: int,
    progress: Callable[[str, str, float], None],
    of_what: str,
) -> list[Refutation]:
    """Run the three refuters on ``estimate``; pass thresholds scale with the estimate and its standard error."""
    scale = max(abs(value), 1e-9)
    noise = standard_error if standard_error and np.isfinite(standard_error) else 0.0
    specs: list[tuple[str, dict[str, Any], str]] = [
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
                    copy.deepcopy(estimate.target_estimand),
                    estimate,
                    method_name=method,
                    num_simulations=simulations,
                    random_seed=RANDOM_SEED,
                    **extra,
                )
        except (ValueError, TypeError, KeyError, IndexError, ArithmeticError, np.linalg.LinAlgError) as exc:
            logger.warning("refuter %s failed: %s", method, exc)
            refutations.append(Refutation(name=label, passed=False, detail=f"could not run: {str(exc)[:200]}"))
            continue
        new_effect = float(np.asarray(refuted.new_effect, dtype=float).reshape(-1)[0])
        p_value = (
            (refuted.refutation_result or {}).get("p_value") if isinstance(refuted.refutation_result, dict) else None
        )
        p_value = float(p_value) if p_value is not None and np.isfinite(float(p_value)) else None
        change = abs(new_effect - value)
        if method == "placebo_treatment_refuter":
            allowed = max(0.25 * scale, 2 * noise)
            passed = abs(new_effect) <= allowed
            detail = (
                f"with a randomly permuted treatment the {of_what} becomes {new_effect:,.4g} "
                f"(passes when within {allowed:,.3g} of zero: 25% of the estimate or two standard errors)"
            )
        elif method == "random_common_cause":
            allowed = max(0.10 * scale, 0.5 * noise)
            passed = change <= allowed
            detail = (
                f"adding a random common cause moves the {of_what} to {new_effect:,.4g} "
                f"(a change of {change:,.3g}; passes at ≤ {allowed:,.3g})"
            )
        else:
            allowed = max(0.20 * scale, noise)
            passed = change <= allowed
            detail = (
                f"re-estimating on random 80% subsets gives {new_effect:,.4g} "
                f"(a change of {change:,.3g}; passes at ≤ {allowed:,.3g})"
            )
        refutations.append(Refutation(name=label, passed=passed, detail=detail, new_effect=new_effect, p_value=p_value))
        progress("refute", f"{label}: {'passed' if passed else 'not passed'}", 70 + 25 * (index + 1) / len(specs))
    return refutations
