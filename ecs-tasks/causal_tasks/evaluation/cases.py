"""Seeded synthetic cases with known truth, one per kind of data the pipeline must get right.

Each case builds its data from its own seed, the question (treatment, outcome,
roles) the way a user or the dataset's manifest would give it, and the true
value of the estimand the pipeline should report. Heterogeneous effects carry
the sample average of the unit effects over the population the estimand names
(everyone for an ATE, the treated for an ATT).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from causal_common.models.tools import CausalAnalysisArgs
from causal_tasks.design import DatasetRoles


@dataclass
class Case:
    name: str
    kind: str
    frame: pd.DataFrame
    args: CausalAnalysisArgs
    truth: float
    roles: DatasetRoles = field(default_factory=DatasetRoles)
    # The design a careful analyst would choose for these data.
    expected_design: str = "backdoor"
    source: str = "synthetic"
    # The estimator that knows the true model, fitted by the generator (which sees hidden columns and true
    # functional forms): (estimate, standard error). Its interval is the narrowest honest one; the pipeline's
    # may be at most ``width_ratio`` times as wide.
    oracle: tuple[float, float] | None = None
    width_ratio: float = 3.0
    # How far the estimate may be from the truth; None = the larger of 15 % of the truth and the oracle's
    # interval half-width (two standard errors).
    tolerance: float | None = None
    # The data cannot settle the question (a hidden confounder, no instrument): the right answer says so
    # (its interval covers the truth, or its sensitivity analysis says an unmeasured confounder as strong as an
    # observed one would explain the estimate away) instead of giving a confident number.
    unsettled: bool = False
    # Columns measured after the treatment (mediators, colliders): leaving one out moving the estimate is the
    # answer flagging the decision that matters.
    post_treatment: tuple[str, ...] = ()


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-values))


def _frame(covariates: np.ndarray, **columns: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame(covariates, columns=[f"x{i}" for i in range(covariates.shape[1])])
    for name, values in columns.items():
        frame[name] = values
    return frame


def oracle_ols(y: np.ndarray, treatment: np.ndarray, terms: np.ndarray | None = None) -> tuple[float, float]:
    """OLS of ``y`` on the treatment and the true model's other terms: (coefficient on the treatment, HC1 s.e.)."""
    columns = [np.ones(len(y)), np.asarray(treatment, dtype=float)]
    if terms is not None:
        columns.append(np.asarray(terms, dtype=float).reshape(len(y), -1))
    design = np.column_stack(columns)
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ coefficients
    bread = np.linalg.pinv(design.T @ design)
    meat = (design * residuals[:, None] ** 2).T @ design
    n, k = design.shape
    covariance = bread @ meat @ bread * n / (n - k)
    return float(coefficients[1]), float(np.sqrt(covariance[1, 1]))


def _args(treatment: str = "t", outcome: str = "y", **extra: object) -> CausalAnalysisArgs:
    return CausalAnalysisArgs(treatment=treatment, outcome=outcome, refutation_simulations=3, **extra)


def linear_confounding(seed: int) -> Case:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2000, 4))
    t = (rng.uniform(size=2000) < _sigmoid(x @ [0.8, -0.5, 0.3, 0.0])).astype(int)
    y = 2.0 * t + x @ [1.5, 1.0, -1.0, 0.5] + rng.normal(size=2000)
    return Case(
        "linear confounding", "binary treatment, linear", _frame(x, t=t, y=y), _args(), 2.0, oracle=oracle_ols(y, t, x)
    )


def nonlinear_selection(seed: int) -> Case:
    """Selection on a squared confounder: a linear propensity model sees nothing, linear regression is far off."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3000, 4))
    t = (rng.uniform(size=3000) < _sigmoid(0.8 * (x[:, 0] ** 2 - 1) + 0.5 * np.sin(2 * x[:, 1]))).astype(int)
    y = 2.0 * t + 3 * x[:, 0] ** 2 + 2 * np.sin(2 * x[:, 1]) + x[:, 2] + rng.normal(size=3000)
    terms = np.column_stack([x[:, 0] ** 2, np.sin(2 * x[:, 1]), x[:, 2]])
    return Case(
        "non-linear selection",
        "binary treatment, non-linear confounding",
        _frame(x, t=t, y=y),
        _args(),
        2.0,
        oracle=oracle_ols(y, t, terms),
    )


def interaction_confounding(seed: int) -> Case:
    """Confounding through a product and a threshold of two covariates: not additive, so trees are needed."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4000, 3))
    signal = 1.5 * x[:, 0] * x[:, 1] + 1.5 * ((x[:, 0] > 0) & (x[:, 2] > 0))
    t = (rng.uniform(size=4000) < _sigmoid(signal - 0.7)).astype(int)
    y = 1.0 * t + 2 * signal + x[:, 2] + rng.normal(size=4000)
    return Case(
        "interaction confounding",
        "binary treatment, confounding by x0·x1 and a threshold",
        _frame(x, t=t, y=y),
        _args(),
        1.0,
        oracle=oracle_ols(y, t, np.column_stack([signal, x[:, 2]])),
    )


def nonlinear_outcome(seed: int) -> Case:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=(3000, 3))
    t = (rng.uniform(size=3000) < _sigmoid(x[:, 0] + 0.5 * x[:, 1])).astype(int)
    y = 1.0 * t + 2 * np.exp(0.8 * x[:, 0]) + np.abs(x[:, 1]) * 2 + rng.normal(size=3000)
    terms = np.column_stack([np.exp(0.8 * x[:, 0]), np.abs(x[:, 1])])
    return Case(
        "non-linear outcome",
        "binary treatment, exponential outcome",
        _frame(x, t=t, y=y),
        _args(),
        1.0,
        oracle=oracle_ols(y, t, terms),
    )


def heterogeneous(seed: int, target: str) -> Case:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3000, 3))
    t = (rng.uniform(size=3000) < _sigmoid(0.9 * x[:, 0])).astype(int)
    effect = 1.0 + 1.5 * x[:, 0] + 0.5 * x[:, 1] ** 2
    y = effect * t + x @ [1.0, 0.5, -0.5] + rng.normal(size=3000)
    truth = float(effect[t == 1].mean() if target == "att" else effect.mean())
    # The true model: the effect's modifiers interacted with the treatment, centred on the estimand's rows so the
    # treatment's coefficient is the average effect there.
    population = t == 1 if target == "att" else np.ones(len(t), dtype=bool)
    modifiers = np.column_stack([x[:, 0], x[:, 1] ** 2])
    centred = modifiers - modifiers[population].mean(axis=0)
    oracle = oracle_ols(y, t, np.column_stack([x, t[:, None] * centred]))
    return Case(
        f"heterogeneous effect ({target.upper()})",
        "effect varies with a confounder",
        _frame(x, t=t, y=y),
        _args(target=target),
        truth,
        oracle=oracle,
    )


def null_binary(seed: int) -> Case:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2000, 3))
    t = (rng.uniform(size=2000) < _sigmoid(x[:, 0] - 0.5 * x[:, 1])).astype(int)
    y = 2 * x[:, 0] + x[:, 1] ** 2 + rng.normal(size=2000)
    oracle = oracle_ols(y, t, np.column_stack([x[:, 0], x[:, 1] ** 2]))
    return Case("null effect", "no effect, confounded", _frame(x, t=t, y=y), _args(), 0.0, oracle=oracle)


def continuous_linear(seed: int) -> Case:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2000, 3))
    t = x @ [0.7, 0.4, 0.0] + rng.normal(size=2000)
    y = 1.5 * t + x @ [1.0, -1.0, 0.5] + rng.normal(size=2000)
    return Case("continuous treatment", "dose, linear", _frame(x, t=t, y=y), _args(), 1.5, oracle=oracle_ols(y, t, x))


def continuous_nonlinear(seed: int) -> Case:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3000, 3))
    t = np.sin(2 * x[:, 0]) + 0.5 * x[:, 1] ** 2 + rng.normal(size=3000)
    y = 0.8 * t + 2 * np.sin(2 * x[:, 0]) + x[:, 1] ** 2 + rng.normal(size=3000)
    oracle = oracle_ols(y, t, np.column_stack([np.sin(2 * x[:, 0]), x[:, 1] ** 2]))
    return Case(
        "continuous treatment, non-linear confounding",
        "dose, non-linear",
        _frame(x, t=t, y=y),
        _args(),
        0.8,
        oracle=oracle,
    )


def continuous_null(seed: int) -> Case:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2000, 3))
    t = x[:, 0] + rng.normal(size=2000)
    y = 2 * x[:, 0] + rng.normal(size=2000)
    oracle = oracle_ols(y, t, x[:, :1])
    return Case("continuous treatment, null", "dose, no effect", _frame(x, t=t, y=y), _args(), 0.0, oracle=oracle)


def binary_outcome(seed: int, effect: float) -> Case:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4000, 3))
    t = (rng.uniform(size=4000) < _sigmoid(0.7 * x[:, 0] - 0.4 * x[:, 1])).astype(int)
    base = -0.5 + 0.8 * x[:, 0] + 0.5 * x[:, 1]
    p1, p0 = _sigmoid(base + effect), _sigmoid(base)
    y = (rng.uniform(size=4000) < np.where(t == 1, p1, p0)).astype(int)
    name = "binary outcome" if effect else "binary outcome, null"
    # The risk difference's oracle: a linear probability model on the true index's covariates (close to the
    # logistic model's standardised contrast, and the same width to within a few per cent).
    oracle = oracle_ols(y.astype(float), t, x[:, :2])
    return Case(name, "risk difference", _frame(x, t=t, y=y), _args(), float(np.mean(p1 - p0)), oracle=oracle)


def categorical_confounder(seed: int) -> Case:
    rng = np.random.default_rng(seed)
    departments = np.array(["sales", "research", "support", "finance", "legal"])
    level = rng.integers(0, 5, size=2500)
    shift = np.array([0.0, 2.0, -1.0, 1.0, -2.0])[level]
    x = rng.normal(size=(2500, 2))
    t = (rng.uniform(size=2500) < _sigmoid(shift * 0.8 + 0.3 * x[:, 0])).astype(int)
    y = 1.5 * t + 2 * shift + x[:, 0] + rng.normal(size=2500)
    frame = _frame(x, t=t, y=y)
    frame["department"] = departments[level]
    dummies = np.eye(5)[level][:, 1:]
    oracle = oracle_ols(y, t, np.column_stack([dummies, x[:, 0]]))
    return Case("text confounder", "categorical confounder as text", frame, _args(), 1.5, oracle=oracle)


def missing_values(seed: int) -> Case:
    case = linear_confounding(seed)
    rng = np.random.default_rng(seed + 1)
    frame = case.frame.copy()
    for column in ("x1", "x2"):
        frame.loc[rng.uniform(size=len(frame)) < 0.08, column] = np.nan
    complete = frame.dropna()
    oracle = oracle_ols(
        complete["y"].to_numpy(), complete["t"].to_numpy(), complete[["x0", "x1", "x2", "x3"]].to_numpy()
    )
    return Case("missing values", "8% missing at random in two covariates", frame, case.args, case.truth, oracle=oracle)


def yes_no_treatment(seed: int) -> Case:
    case = linear_confounding(seed)
    frame = case.frame.copy()
    frame["t"] = np.where(frame["t"] == 1, "Yes", "no")
    return Case("yes/no treatment", "treatment coded as text", frame, case.args, case.truth, oracle=case.oracle)


def randomised(seed: int, declared: bool) -> Case:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1500, 3))
    t = rng.integers(0, 2, size=1500)
    y = 3.0 * t + x @ [2.0, 1.0, 0.0] + rng.normal(size=1500)
    roles = DatasetRoles(design="randomised") if declared else DatasetRoles()
    name = "randomised (declared)" if declared else "randomised (recognised from balance)"
    return Case(
        name,
        "random assignment",
        _frame(x, t=t, y=y),
        _args(),
        3.0,
        roles=roles,
        expected_design="randomised",
        oracle=oracle_ols(y, t, x),
    )


def small_sample(seed: int) -> Case:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(200, 2))
    t = (rng.uniform(size=200) < _sigmoid(0.8 * x[:, 0])).astype(int)
    y = 2.0 * t + 1.5 * x[:, 0] - x[:, 1] + rng.normal(size=200)
    return Case("small sample", "200 rows", _frame(x, t=t, y=y), _args(), 2.0, oracle=oracle_ols(y, t, x))


def many_covariates(seed: int) -> Case:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2500, 20))
    t = (rng.uniform(size=2500) < _sigmoid(x[:, :3] @ [0.6, -0.6, 0.4])).astype(int)
    y = 1.0 * t + x[:, :3] @ [1.0, 1.0, 1.0] + rng.normal(size=2500)
    oracle = oracle_ols(y, t, x[:, :3])
    return Case("many covariates", "20 covariates, 3 confounders", _frame(x, t=t, y=y), _args(), 1.0, oracle=oracle)


def negative_effect(seed: int) -> Case:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3000, 3))
    t = (rng.uniform(size=3000) < _sigmoid(np.abs(x[:, 0]) * 1.2 - 1)).astype(int)
    y = -1.5 * t + 2 * np.abs(x[:, 0]) + x[:, 1] + rng.normal(size=3000)
    oracle = oracle_ols(y, t, np.column_stack([np.abs(x[:, 0]), x[:, 1]]))
    return Case(
        "negative effect", "harmful treatment, |x| selection", _frame(x, t=t, y=y), _args(), -1.5, oracle=oracle
    )


def large_scale(seed: int) -> Case:
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(40, 10, 3000), rng.normal(30000, 8000, 3000)])
    t = (rng.uniform(size=3000) < _sigmoid((x[:, 1] - 30000) / 8000 - 0.5)).astype(int)
    y = 500 * t + 0.6 * x[:, 1] + 50 * x[:, 0] + rng.normal(0, 2000, 3000)
    return Case("earnings scale", "outcome in dollars", _frame(x, t=t, y=y), _args(), 500.0, oracle=oracle_ols(y, t, x))


def instrument(seed: int, binary_treatment: bool) -> Case:
    rng = np.random.default_rng(seed)
    n = 3000
    hidden = rng.normal(size=n)
    x = rng.normal(size=(n, 2))
    z: np.ndarray  # integer 0/1 draws or normal draws
    if binary_treatment:
        z = rng.integers(0, 2, size=n)
        t = (rng.uniform(size=n) < _sigmoid(-1 + 2.2 * z + hidden + 0.3 * x[:, 0])).astype(int)
    else:
        z = rng.normal(size=n)
        t = 0.8 * z + hidden + 0.3 * x[:, 0] + rng.normal(size=n)
    y = 2.0 * t + 2 * hidden + x[:, 0] - x[:, 1] + rng.normal(size=n)
    frame = _frame(x, t=t, y=y, z=z)
    name = "instrument, binary treatment" if binary_treatment else "instrument, continuous treatment"
    # The oracle sees the hidden confounder, so it needs no instrument; an IV interval is necessarily wider
    # (by about 1 / the first stage's partial correlation), hence the larger width limit.
    return Case(
        name,
        "unmeasured confounder, valid instrument",
        frame,
        _args(instruments=["z"]),
        2.0,
        expected_design="iv",
        oracle=oracle_ols(y, t, np.column_stack([hidden, x])),
        width_ratio=8.0,
    )


def panel(seed: int, group_column: bool) -> Case:
    rng = np.random.default_rng(seed)
    units, periods, start = 200, 6, 4
    unit = np.repeat(np.arange(units), periods)
    period = np.tile(np.arange(1, periods + 1), units)
    treated_group = (rng.uniform(size=units) < 0.4).astype(int)
    # Treated units start higher (selection on levels), and every period shifts both groups alike.
    level = rng.normal(size=units) + 2 * treated_group
    shock = rng.normal(size=periods) * 2
    group = treated_group[unit]
    post = (period >= start).astype(int)
    y = level[unit] + shock[period - 1] + 3.0 * group * post + rng.normal(size=units * periods)
    frame = pd.DataFrame({"unit": unit, "period": period, "y": y})
    if group_column:
        frame["t"] = group
        args = _args(time="period", unit="unit", treatment_start=float(start))
        name = "difference in differences (group and start)"
    else:
        frame["t"] = group * post
        args = _args(time="period", unit="unit")
        name = "difference in differences (panel)"
    # The oracle knows each unit's level and each period's shock.
    oracle = oracle_ols(y, group * post, np.column_stack([level[unit], shock[period - 1]]))
    return Case(name, "panel, parallel trends", frame, args, 3.0, expected_design="did", oracle=oracle)


def discontinuity(seed: int, effect: float) -> Case:
    rng = np.random.default_rng(seed)
    n = 4000
    score = rng.uniform(0, 100, n)
    t = (score >= 60).astype(int)
    age = rng.normal(40, 8, n)
    y = effect * t + 0.05 * score + 0.0004 * (score - 60) ** 2 + 0.02 * age + rng.normal(0, 1, n)
    frame = pd.DataFrame({"score": score, "t": t, "age": age, "y": y})
    roles = DatasetRoles(running="score", cutoff=60.0)
    name = "regression discontinuity" if effect else "regression discontinuity, null"
    # The oracle knows the global curve, so it uses every row; an honest RDD uses only rows near the cutoff and
    # cannot assume the curve's shape far from it, hence the larger width limit.
    terms = np.column_stack([score, (score - 60) ** 2, age])
    return Case(
        name,
        "sharp cutoff",
        frame,
        _args(),
        effect,
        roles=roles,
        expected_design="rdd",
        oracle=oracle_ols(y, t, terms),
        width_ratio=6.0,
    )


CASE_BUILDERS: list[Callable[[int], Case]] = [
    linear_confounding,
    nonlinear_selection,
    interaction_confounding,
    nonlinear_outcome,
    lambda seed: heterogeneous(seed, "ate"),
    lambda seed: heterogeneous(seed, "att"),
    null_binary,
    continuous_linear,
    continuous_nonlinear,
    continuous_null,
    lambda seed: binary_outcome(seed, 0.8),
    lambda seed: binary_outcome(seed, 0.0),
    categorical_confounder,
    missing_values,
    yes_no_treatment,
    lambda seed: randomised(seed, True),
    lambda seed: randomised(seed, False),
    small_sample,
    many_covariates,
    negative_effect,
    large_scale,
    lambda seed: instrument(seed, False),
    lambda seed: instrument(seed, True),
    lambda seed: panel(seed, False),
    lambda seed: panel(seed, True),
    lambda seed: discontinuity(seed, 2.0),
    lambda seed: discontinuity(seed, 0.0),
]
# A quick, varied subset for CI: one case of each design and the hardest backdoor ones.
FAST_CASES = (
    "linear confounding",
    "non-linear selection",
    "null effect",
    "binary outcome",
    "yes/no treatment",
    "randomised (declared)",
    "instrument, continuous treatment",
    "difference in differences (panel)",
    "regression discontinuity",
)


def synthetic_cases(seed: int = 20261129, fast: bool = False) -> list[Case]:
    """The basic cases, then the situations users bring (``situations.py``: post-treatment columns, subgroups,
    staggered adoption, rare outcomes, few treated, heavy tails, weak overlap, hidden confounding)."""
    from causal_tasks.evaluation.situations import SITUATION_BUILDERS

    builders = [*CASE_BUILDERS, *SITUATION_BUILDERS]
    cases = [build(seed + index) for index, build in enumerate(builders)]
    return [case for case in cases if case.name in FAST_CASES] if fast else cases
