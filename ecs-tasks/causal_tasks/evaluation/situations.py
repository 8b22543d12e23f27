"""Seeded cases for the situations users bring that the basic cases leave out, each with its oracle's fit.

Every situation has at least two cases of different size and shape:

a. a column caused by the treatment (a collider caused by treatment and outcome; a mediator), with a neutral
   name: the truth is the total effect, and whether the column was measured after the treatment cannot be
   read from the data, so the case is unsettled (the answer must show that the decision changes it);
b. the effect within a subgroup that differs from the overall effect;
c. staggered adoption in a panel, the effect growing with time since adoption (two-way fixed effects is
   biased); the truth is the ATT over the treated unit-periods;
d. rare binary outcomes (base rate 1-3 %);
e. small samples and few treated units;
f. heavy-tailed and zero-inflated outcomes;
g. weak overlap (propensities near 0 or 1 in part of the covariate space);
h. a hidden common cause and no instrument: unsettled.

The oracle is the estimator that knows the true model (its functional form and any hidden column). The judge
asks whether a result says that the data cannot settle the question with ``run.flags_unsettled``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import statsmodels.api as sm

from causal_common.models.tools import SubgroupCondition
from causal_tasks.evaluation.cases import Case, _args, _sigmoid, oracle_ols


def _dummies(values: np.ndarray) -> np.ndarray:
    """One-hot columns of ``values`` without the first level (the oracle's fixed effects or categories)."""
    return pd.get_dummies(pd.Series(values).astype(str), drop_first=True).to_numpy(dtype=float)


def _oracle_logit_difference(y: np.ndarray, treatment: np.ndarray, terms: np.ndarray) -> tuple[float, float]:
    """Logistic regression on the true terms, then the average risk difference and its delta-method s.e."""
    design = np.column_stack([np.ones(len(y)), treatment, terms])
    fit = sm.Logit(y, design).fit(disp=0)
    treated, control = design.copy(), design.copy()
    treated[:, 1], control[:, 1] = 1.0, 0.0
    risk_treated, risk_control = _sigmoid(treated @ fit.params), _sigmoid(control @ fit.params)
    gradient = (
        (risk_treated * (1 - risk_treated))[:, None] * treated - (risk_control * (1 - risk_control))[:, None] * control
    ).mean(axis=0)
    return float(np.mean(risk_treated - risk_control)), float(np.sqrt(gradient @ fit.cov_params() @ gradient))


# a. Post-treatment columns with neutral names.


def collider(seed: int) -> Case:
    """A score caused by both the treatment and the outcome: adjusting for it biases the estimate."""
    rng = np.random.default_rng(seed)
    n = 2000
    age = rng.normal(45, 12, n)
    tenure = rng.gamma(2.0, 3.0, n)
    t = (rng.uniform(size=n) < _sigmoid(0.05 * (age - 45) + 0.1 * (tenure - 6))).astype(int)
    y = 1.5 * t + 0.08 * (age - 45) + 0.2 * tenure + rng.normal(size=n)
    account_score = 0.8 * t + 0.8 * y + rng.normal(0, 0.7, n)
    frame = pd.DataFrame(
        {"age": age, "tenure_yrs": tenure, "account_score": account_score, "enrolled": t, "satisfaction": y}
    )
    return Case(
        "post-treatment collider",
        "a column caused by both treatment and outcome, neutral name",
        frame,
        _args("enrolled", "satisfaction"),
        1.5,
        oracle=oracle_ols(y, t, np.column_stack([age, tenure])),
        unsettled=True,
        post_treatment=("account_score",),
    )


def mediator(seed: int) -> Case:
    """A continuous treatment acting partly through a column measured after it; a text confounder."""
    rng = np.random.default_rng(seed)
    n = 600
    regions = np.array(["north", "south", "east", "west"])
    region = rng.integers(0, 4, n)
    shift = np.array([0.0, 1.0, -0.5, 0.5])[region]
    income = rng.normal(0, 1, n)
    hours = 5 + 1.2 * shift + 0.8 * income + rng.normal(0, 1.5, n)
    engagement = 0.7 * hours + rng.normal(0, 1, n)
    # Total effect per hour: 0.5 directly plus 0.7 × 1.0 through engagement.
    y = 0.5 * hours + 1.0 * engagement + 2.0 * shift + 1.0 * income + rng.normal(0, 1.5, n)
    frame = pd.DataFrame(
        {"region": regions[region], "income_z": income, "weekly_hours": hours, "engagement": engagement, "score": y}
    )
    return Case(
        "post-treatment mediator, continuous treatment",
        "a column on the path from a dose to the outcome, neutral name",
        frame,
        _args("weekly_hours", "score"),
        1.2,
        oracle=oracle_ols(y, hours, np.column_stack([_dummies(region), income])),
        unsettled=True,
        post_treatment=("engagement",),
    )


# b. Subgroups.


def subgroup_numeric(seed: int) -> Case:
    """The effect grows with age; the question is about customers aged 60 or more."""
    rng = np.random.default_rng(seed)
    n = 3000
    age = rng.uniform(20, 80, n)
    spend = rng.normal(0, 1, n)
    t = (rng.uniform(size=n) < _sigmoid(0.03 * (age - 50) + 0.5 * spend)).astype(int)
    effect = 0.5 + 0.05 * (age - 40)
    y = effect * t + 0.04 * age + 1.0 * spend + rng.normal(size=n)
    frame = pd.DataFrame({"age": age, "spend_z": spend, "promo": t, "orders": y})
    inside = age >= 60
    centred = age[inside] - age[inside].mean()
    return Case(
        "subgroup (age ≥ 60)",
        f"effect rises with age; overall {effect.mean():.2f}, within the subgroup {effect[inside].mean():.2f}",
        frame,
        _args("promo", "orders", subgroup=[SubgroupCondition(column="age", op=">=", value=60.0)]),
        float(effect[inside].mean()),
        oracle=oracle_ols(y[inside], t[inside], np.column_stack([t[inside] * centred, age[inside], spend[inside]])),
    )


def subgroup_text(seed: int) -> Case:
    """A text subgroup with a larger effect than elsewhere, in a smaller sample."""
    rng = np.random.default_rng(seed)
    n = 900
    regions = np.array(["North", "South", "Central"])
    region = rng.integers(0, 3, n)
    prior = rng.normal(0, 1, n)
    t = (rng.uniform(size=n) < _sigmoid(0.9 * prior)).astype(int)
    effect = np.where(region == 0, 3.0, 1.0)
    y = effect * t + 2.0 * prior + 0.5 * region + rng.normal(size=n)
    frame = pd.DataFrame({"Region": regions[region], "prior_visits": prior, "coupon": t, "basket_value": y})
    inside = region == 0
    return Case(
        "subgroup (text value)",
        f"effect 3 in the North, 1 elsewhere (overall {effect.mean():.2f})",
        frame,
        _args("coupon", "basket_value", subgroup=[SubgroupCondition(column="Region", op="==", value="north")]),
        3.0,
        oracle=oracle_ols(y[inside], t[inside], prior[inside]),
    )


# c. Staggered adoption.


def _staggered_panel(
    rng: np.random.Generator, units: int, periods: int, starts: list[int | None], slope: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(unit, period, treated now, effect, outcome): cohorts switch on at ``starts`` (None = never), and the
    effect is ``slope`` × (1 + periods since adoption)."""
    unit = np.repeat(np.arange(units), periods)
    period = np.tile(np.arange(1, periods + 1), units)
    cohort = rng.choice(np.array([s if s is not None else 0 for s in starts]), size=units)
    start = cohort[unit]
    treated = ((start > 0) & (period >= start)).astype(int)
    effect = np.where(treated == 1, slope * (1 + period - start), 0.0)
    # Units that adopt early start higher, and every period shifts everyone alike.
    level = rng.normal(size=units) + 0.15 * np.where(cohort > 0, periods - cohort, 0)
    shock = np.cumsum(rng.normal(0.3, 0.5, periods))
    y = level[unit] + shock[period - 1] + effect + rng.normal(size=units * periods)
    return unit, period, treated, effect, y


def _staggered_oracle(
    unit: np.ndarray, period: np.ndarray, treated: np.ndarray, effect: np.ndarray, y: np.ndarray, slope: float
) -> tuple[float, float]:
    """Two-way fixed effects with the true effect shape (slope × (1 + time since adoption)): the ATT is the
    fitted slope times that shape's mean over the treated unit-periods."""
    shape = effect / slope
    coefficient, standard_error = oracle_ols(y, shape, np.column_stack([_dummies(unit), _dummies(period)]))
    scale = float(shape[treated == 1].mean())
    return coefficient * scale, standard_error * scale


def staggered_declared(seed: int) -> Case:
    """150 units over 10 periods, three adoption cohorts and never-treated units; unit and period named."""
    rng = np.random.default_rng(seed)
    unit, period, treated, effect, y = _staggered_panel(rng, 150, 10, [4, 6, 8, None], 0.5)
    frame = pd.DataFrame({"unit": unit, "period": period, "treated": treated, "y": y})
    return Case(
        "staggered adoption (unit and period named)",
        "three cohorts, effect grows with time since adoption",
        frame,
        _args("treated", "y", time="period", unit="unit"),
        float(effect[treated == 1].mean()),
        expected_design="did",
        oracle=_staggered_oracle(unit, period, treated, effect, y, 0.5),
    )


def staggered_detected(seed: int) -> Case:
    """60 stores over 8 years, two cohorts; the panel is recognised from the data's shape."""
    rng = np.random.default_rng(seed)
    unit, period, treated, effect, y = _staggered_panel(rng, 60, 8, [3, 6, None], 1.0)
    frame = pd.DataFrame(
        {"store_id": unit + 1001, "year": period + 2014, "loyalty_app": treated, "monthly_sales_k": 50 + 5 * y}
    )
    oracle = _staggered_oracle(unit, period, treated, effect, y, 1.0)
    return Case(
        "staggered adoption (panel recognised)",
        "two cohorts, effect grows with time since adoption, sales in thousands",
        frame,
        _args("loyalty_app", "monthly_sales_k"),
        5 * float(effect[treated == 1].mean()),
        expected_design="did",
        oracle=(5 * oracle[0], 5 * oracle[1]),
    )


# d. Rare binary outcomes.


def _rare_outcome(seed: int, n: int, intercept: float, effect: float, name: str, kind: str) -> Case:
    rng = np.random.default_rng(seed)
    age = rng.normal(50, 10, n)
    risk_score = rng.normal(0, 1, n)
    plans = np.array(["basic", "plus", "premium"])
    plan = rng.integers(0, 3, n)
    t = (rng.uniform(size=n) < _sigmoid(-0.5 + 0.6 * risk_score + 0.03 * (age - 50) + 0.4 * plan)).astype(int)
    base = intercept + 0.7 * risk_score + 0.04 * (age - 50) - 0.3 * plan
    risk_treated, risk_control = _sigmoid(base + effect), _sigmoid(base)
    y = (rng.uniform(size=n) < np.where(t == 1, risk_treated, risk_control)).astype(int)
    frame = pd.DataFrame({"age": age, "risk_score": risk_score, "plan": plans[plan], "outreach": t, "readmitted": y})
    terms = np.column_stack([risk_score, age, _dummies(plan)])
    return Case(
        name,
        f"{kind}; outcome rate {y.mean():.1%}",
        frame,
        _args("outreach", "readmitted"),
        float(np.mean(risk_treated - risk_control)),
        oracle=_oracle_logit_difference(y, t, terms),
    )


def rare_outcome(seed: int) -> Case:
    return _rare_outcome(seed, 5000, -4.3, 0.8, "rare binary outcome", "about 2 % base rate, text category")


def rare_outcome_null(seed: int) -> Case:
    return _rare_outcome(seed, 8000, -4.8, 0.0, "rare binary outcome, null", "about 1 % base rate, no effect")


# e. Small samples and few treated units.


def tiny_sample(seed: int) -> Case:
    """120 rows."""
    rng = np.random.default_rng(seed)
    n = 120
    x = rng.normal(size=(n, 2))
    t = (rng.uniform(size=n) < _sigmoid(0.7 * x[:, 0])).astype(int)
    y = 1.5 * t + 1.0 * x[:, 0] - 0.5 * x[:, 1] + rng.normal(size=n)
    frame = pd.DataFrame({"baseline": x[:, 0], "motivation": x[:, 1], "coached": t, "gain": y})
    return Case("120 rows", "small sample", frame, _args("coached", "gain"), 1.5, oracle=oracle_ols(y, t, x))


def few_treated(seed: int) -> Case:
    """2,000 rows of which 25 treated, chosen on the covariates."""
    rng = np.random.default_rng(seed)
    n, treated_count = 2000, 25
    x = rng.normal(size=(n, 3))
    score = 1.2 * x[:, 0] - 0.6 * x[:, 1] + rng.logistic(size=n)
    t = np.zeros(n, dtype=int)
    t[np.argsort(-score)[:treated_count]] = 1
    y = 2.0 * t + 1.5 * x[:, 0] + 1.0 * x[:, 1] + 0.5 * x[:, 2] + rng.normal(size=n)
    frame = pd.DataFrame({"x_income": x[:, 0], "x_debt": x[:, 1], "x_age": x[:, 2], "pilot": t, "savings": y})
    return Case(
        "few treated (25 of 2,000)",
        "treated chosen on the covariates",
        frame,
        _args("pilot", "savings"),
        2.0,
        oracle=oracle_ols(y, t, x),
    )


# f. Heavy tails and zero inflation.


def heavy_tailed(seed: int) -> Case:
    """A continuous treatment and Student-t (3 degrees of freedom) outcome errors."""
    rng = np.random.default_rng(seed)
    n = 1500
    x = rng.normal(size=(n, 3))
    dose = 2 + 0.8 * x[:, 0] - 0.4 * x[:, 1] + rng.normal(size=n)
    y = 0.7 * dose + 1.5 * x[:, 0] + x[:, 1] - 0.5 * x[:, 2] + 2.0 * rng.standard_t(3, n)
    frame = pd.DataFrame({"tenure": x[:, 0], "load": x[:, 1], "skill": x[:, 2], "training_hours": dose, "output": y})
    return Case(
        "heavy-tailed errors, continuous treatment",
        "Student-t (3 df) errors",
        frame,
        _args("training_hours", "output"),
        0.7,
        oracle=oracle_ols(y, dose, x),
    )


def zero_inflated(seed: int) -> Case:
    """Spending: most customers spend nothing; spenders' amounts are lognormal. The truth is the mean change."""
    rng = np.random.default_rng(seed)
    n = 4000
    x = rng.normal(size=(n, 2))
    channels = np.array(["web", "store", "phone"])
    channel = rng.integers(0, 3, n)
    t = (rng.uniform(size=n) < _sigmoid(0.6 * x[:, 0] + 0.3 * channel - 0.3)).astype(int)
    logit_spend = -1.5 + 0.5 * t + 0.8 * x[:, 0] + 0.2 * channel
    log_amount = 3.5 + 0.3 * t + 0.5 * x[:, 0] - 0.3 * x[:, 1]
    sigma = 1.0
    spends = rng.uniform(size=n) < _sigmoid(logit_spend)
    y = np.where(spends, np.exp(log_amount + rng.normal(0, sigma, n)), 0.0)

    def mean_spend(treated: int) -> np.ndarray:
        shift = treated - t
        return _sigmoid(logit_spend + 0.5 * shift) * np.exp(log_amount + 0.3 * shift + sigma**2 / 2)

    frame = pd.DataFrame(
        {"visits_z": x[:, 0], "distance_z": x[:, 1], "channel": channels[channel], "newsletter": t, "spend_usd": y}
    )
    terms = np.column_stack([x, _dummies(channel)])
    return Case(
        "zero-inflated spending",
        f"{np.mean(y == 0):.0%} zeros, lognormal amounts",
        frame,
        _args("newsletter", "spend_usd"),
        float(np.mean(mean_spend(1) - mean_spend(0))),
        oracle=_two_part_oracle(y, t, terms, np.random.default_rng(seed + 1)),
    )


def _two_part_oracle(
    y: np.ndarray, t: np.ndarray, terms: np.ndarray, rng: np.random.Generator, resamples: int = 200
) -> tuple[float, float]:
    """The true two-part model (logit for any spending, lognormal amounts): average difference, bootstrap s.e."""

    def fit(rows: np.ndarray) -> float:
        design = np.column_stack([np.ones(len(rows)), t[rows], terms[rows]])
        positive = y[rows] > 0
        spends = sm.Logit(positive.astype(float), design).fit(disp=0).params
        amounts = sm.OLS(np.log(y[rows][positive]), design[positive]).fit()
        variance = float(amounts.scale)
        treated, control = design.copy(), design.copy()
        treated[:, 1], control[:, 1] = 1.0, 0.0

        def mean(matrix: np.ndarray) -> np.ndarray:
            return _sigmoid(matrix @ spends) * np.exp(matrix @ amounts.params + variance / 2)

        return float(np.mean(mean(treated) - mean(control)))

    everyone = np.arange(len(y))
    draws = [fit(rng.integers(0, len(y), len(y))) for _ in range(resamples)]
    return fit(everyone), float(np.std(draws, ddof=1))


# g. Weak overlap.


def weak_overlap(seed: int) -> Case:
    """Propensities near 0 and 1 for |x| beyond about 1.5; a constant effect and a curved outcome."""
    rng = np.random.default_rng(seed)
    n = 3000
    x = rng.normal(size=(n, 2))
    propensity = _sigmoid(3.5 * x[:, 0])
    t = (rng.uniform(size=n) < propensity).astype(int)
    y = 1.0 * t + 2 * np.sin(x[:, 0]) + 0.5 * x[:, 0] ** 2 + x[:, 1] + rng.normal(size=n)
    frame = pd.DataFrame({"credit_z": x[:, 0], "region_index": x[:, 1], "offer": t, "balance_change": y})
    return Case(
        "weak overlap",
        f"{np.mean((propensity < 0.02) | (propensity > 0.98)):.0%} of rows with propensity beyond [0.02, 0.98]",
        frame,
        _args("offer", "balance_change"),
        1.0,
        oracle=oracle_ols(y, t, np.column_stack([np.sin(x[:, 0]), x[:, 0] ** 2, x[:, 1]])),
    )


def weak_overlap_att(seed: int) -> Case:
    """Few treated with propensities near 1 for high scores; the effect grows with the score; ATT asked for."""
    rng = np.random.default_rng(seed)
    n = 1000
    score = rng.normal(size=n)
    other = rng.normal(size=n)
    propensity = _sigmoid(-2.0 + 3.0 * score)
    t = (rng.uniform(size=n) < propensity).astype(int)
    effect = 1.0 + 0.8 * score
    y = effect * t + 1.5 * score + 0.5 * other + rng.normal(size=n)
    frame = pd.DataFrame({"risk_score": score, "other_z": other, "flagged": t, "review_minutes": y})
    centred = score - score[t == 1].mean()
    return Case(
        "weak overlap, ATT",
        f"{t.mean():.0%} treated; {np.mean(propensity < 0.02):.0%} of rows with propensity under 0.02",
        frame,
        _args("flagged", "review_minutes", target="att"),
        float(effect[t == 1].mean()),
        oracle=oracle_ols(y, t, np.column_stack([t * centred, score, other])),
    )


# h. A hidden common cause and no instrument.


def hidden_confounder(seed: int) -> Case:
    """A common cause as strong as the strongest measured one is missing from the frame."""
    rng = np.random.default_rng(seed)
    n = 2000
    x = rng.normal(size=(n, 2))
    hidden = rng.normal(size=n)
    t = (rng.uniform(size=n) < _sigmoid(0.8 * x[:, 0] + 0.3 * x[:, 1] + 0.8 * hidden)).astype(int)
    y = 0.5 * t + 1.0 * x[:, 0] + 0.5 * x[:, 1] + 1.0 * hidden + rng.normal(size=n)
    frame = pd.DataFrame({"age_z": x[:, 0], "income_z": x[:, 1], "gym_member": t, "fitness": y})
    return Case(
        "hidden confounder",
        "an unmeasured common cause as strong as a measured one",
        frame,
        _args("gym_member", "fitness"),
        0.5,
        oracle=oracle_ols(y, t, np.column_stack([x, hidden])),
        unsettled=True,
    )


def hidden_confounder_null(seed: int) -> Case:
    """No effect at all: the association comes from a hidden common cause as strong as the measured one."""
    rng = np.random.default_rng(seed)
    n = 1200
    x = rng.normal(size=n)
    hidden = rng.normal(size=n)
    plans = np.array(["bronze", "silver", "gold"])
    plan = rng.integers(0, 3, n)
    t = (rng.uniform(size=n) < _sigmoid(0.8 * x + 0.8 * hidden + 0.2 * (plan - 1))).astype(int)
    y = 1.0 * x + 1.0 * hidden + 0.3 * plan + rng.normal(size=n)
    frame = pd.DataFrame({"plan": plans[plan], "prior_claims_z": x, "wellness_app": t, "claims_next_year": y})
    return Case(
        "hidden confounder, no effect",
        "the whole association comes from an unmeasured common cause",
        frame,
        _args("wellness_app", "claims_next_year"),
        0.0,
        oracle=oracle_ols(y, t, np.column_stack([x, hidden, _dummies(plan)])),
        unsettled=True,
    )


def hidden_confounder_continuous(seed: int) -> Case:
    """A dose and a text covariate; a hidden common cause drives both dose and outcome."""
    rng = np.random.default_rng(seed)
    n = 5000
    segments = np.array(["retail", "wholesale", "online"])
    segment = rng.integers(0, 3, n)
    shift = np.array([0.0, 0.8, -0.4])[segment]
    size = rng.normal(size=n)
    hidden = rng.normal(size=n)
    dose = 0.6 * shift + 0.5 * size + 0.6 * hidden + rng.normal(size=n)
    y = 0.3 * dose + 1.0 * shift + 0.8 * size + 0.9 * hidden + rng.normal(size=n)
    frame = pd.DataFrame({"segment": segments[segment], "firm_size_z": size, "ad_spend": dose, "revenue_growth": y})
    return Case(
        "hidden confounder, continuous treatment",
        "an unmeasured common cause of a dose and the outcome; a text covariate",
        frame,
        _args("ad_spend", "revenue_growth"),
        0.3,
        oracle=oracle_ols(y, dose, np.column_stack([_dummies(segment), size, hidden])),
        unsettled=True,
    )


SITUATION_BUILDERS: list[Callable[[int], Case]] = [
    collider,
    mediator,
    subgroup_numeric,
    subgroup_text,
    staggered_declared,
    staggered_detected,
    rare_outcome,
    rare_outcome_null,
    tiny_sample,
    few_treated,
    heavy_tailed,
    zero_inflated,
    weak_overlap,
    weak_overlap_att,
    hidden_confounder,
    hidden_confounder_null,
    hidden_confounder_continuous,
]
