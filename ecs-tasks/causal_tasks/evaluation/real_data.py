"""Real data sets with published answers, asked the way a user would ask and judged against the literature.

Each case loads a data set shipped inside an installed package (causaldata, linearmodels, rdrobust; nothing
is downloaded), gives the pipeline the question a user would give (treatment, outcome, and the roles a user
or the data set's documentation would declare: instrument, running variable and cutoff, unit and period,
random assignment; the covariates the published analysis adjusts for where a user would name them, otherwise
the pipeline's defaults) and compares the estimate with the published one. Where only a standard error is
published the interval is the estimate ± 1.96 standard errors.

The judge: PASS when the estimate lies inside the published interval and the design is the expected one;
an estimate outside the interval is a MISS unless the case says why its specification differs from the
published one (then "differs: <reason>"); a crash or another design is always a MISS. Figures are never
tuned: a case states the question and the published answer, nothing about how the pipeline should reach it.
The loaders are in ``real_loaders``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

import numpy as np

from causal_common.models.tools import CausalAnalysisArgs
from causal_common.roles import NEVER_ADJUSTED
from causal_tasks.design import DatasetRoles
from causal_tasks.evaluation.cases import Case
from causal_tasks.evaluation.real_loaders import (
    card,
    close_college,
    close_elections,
    jobtraining,
    nhefs,
    nsw_cps,
    nsw_experimental,
    senate,
)

if TYPE_CHECKING:
    from causal_tasks.evaluation.run import Outcome

Z_95 = 1.96
PASS = "PASS"
MISS = "MISS"
LATER_RESULT = "the dataset marks it as an outcome"


@dataclass(frozen=True)
class Published:
    """A published estimate, its 95% interval and where it is printed."""

    estimate: float
    interval: tuple[float, float]
    source: str

    @classmethod
    def from_standard_error(cls, estimate: float, standard_error: float, source: str) -> Published:
        return cls(estimate, (estimate - Z_95 * standard_error, estimate + Z_95 * standard_error), source)


@dataclass
class RealCase:
    case: Case
    loader: str
    question: str
    published: Published
    # Why the pipeline's specification differs from the published one (covariates, bandwidth, estimand), when
    # it does in a way that can move the estimate beyond the published interval.
    differs: str | None = None

    @property
    def name(self) -> str:
        return self.case.name


def judge(real: RealCase, estimate: float, design: str, error: str | None = None) -> str:
    """PASS, MISS (with what missed) or ``differs: <reason>`` for one pipeline run on a real case.

    A case's explanation covers an estimate outside the published interval only; a crash, a missing number or
    a design other than the expected one is a miss whatever the case says.
    """
    if error is not None:
        return f"{MISS}: error"
    if not np.isfinite(estimate):
        return f"{MISS}: no estimate"
    if design != real.case.expected_design:
        return f"{MISS}: design {design}, expected {real.case.expected_design}"
    low, high = real.published.interval
    if low <= estimate <= high:
        return PASS
    if real.differs:
        return f"differs: {real.differs}"
    return f"{MISS}: outside the published interval"


def is_unexplained_miss(verdict: str) -> bool:
    return verdict.startswith(MISS)


def _args(treatment: str, outcome: str, **extra: object) -> CausalAnalysisArgs:
    return CausalAnalysisArgs(treatment=treatment, outcome=outcome, refutation_simulations=3, **extra)


NHEFS_CONFOUNDERS = [
    "sex",
    "race",
    "age",
    "education",
    "smokeintensity",
    "smokeyrs",
    "exercise",
    "active",
    "wt71",
]
NHEFS_QUESTION = (
    "effect of quitting smoking (qsmk) on weight gain 1971–82 in kg (wt82_71), adjusting for sex, race, age, "
    "education, cigarettes per day, years of smoking, exercise, activity and 1971 weight"
)
NSW_EXPERIMENTAL = Published.from_standard_error(
    1794.34,
    632.85,
    "Dehejia & Wahba (1999, JASA) Table 3, NSW row; Cunningham, Mixtape ch. 5 (nsw_experimental.do)",
)


def nhefs_weighting() -> RealCase:
    return RealCase(
        Case(
            "NHEFS quitting smoking → weight (IPW)",
            "observational, measured confounders",
            nhefs(complete=True),
            _args("qsmk", "wt82_71", common_causes=NHEFS_CONFOUNDERS),
            3.4,
            source="real",
        ),
        "causaldata.nhefs_complete (1,566 rows)",
        NHEFS_QUESTION,
        Published(3.4, (2.4, 4.5), "Hernán & Robins, Causal Inference: What If, §12.2 (Program 12.2)"),
    )


def nhefs_standardisation() -> RealCase:
    return RealCase(
        Case(
            "NHEFS quitting smoking → weight (g-formula)",
            "observational, measured confounders, censored outcomes",
            nhefs(complete=False),
            _args("qsmk", "wt82_71", common_causes=NHEFS_CONFOUNDERS),
            3.5,
            source="real",
        ),
        "causaldata.nhefs (1,629 rows, 63 without wt82_71)",
        NHEFS_QUESTION,
        Published(3.5, (2.6, 4.5), "Hernán & Robins, Causal Inference: What If, §13.3 (Programs 13.2–13.4)"),
    )


def nsw_randomised() -> RealCase:
    return RealCase(
        Case(
            "NSW job training → 1978 earnings (RCT)",
            "randomised experiment",
            nsw_experimental(),
            _args("treat", "re78"),
            NSW_EXPERIMENTAL.estimate,
            roles=DatasetRoles(design="randomised"),
            expected_design="randomised",
            source="real",
        ),
        "causaldata.nsw_mixtape (445 rows)",
        "effect of the job-training programme (treat) on 1978 earnings (re78); assignment was random",
        NSW_EXPERIMENTAL,
        differs="the pipeline adjusts for the pre-treatment covariates (Lin's regression) where the published "
        "figure is the plain difference in means; both estimate the same average effect",
    )


def nsw_against_cps() -> RealCase:
    return RealCase(
        Case(
            "NSW trainees vs CPS-1 controls (naive −8,498)",
            "observational, famously wrong naive answer",
            nsw_cps(),
            _args("treat", "re78"),
            NSW_EXPERIMENTAL.estimate,
            source="real",
        ),
        "causaldata.nsw_mixtape (treated) + causaldata.cps_mixtape (16,177 rows)",
        "effect of the job-training programme (treat) on 1978 earnings (re78); the comparison group is CPS "
        "respondents (naive difference −$8,498, Dehejia & Wahba 1999 Table 3, CPS-1 row)",
        NSW_EXPERIMENTAL,
    )


def card_close_college() -> RealCase:
    return RealCase(
        Case(
            "Card: schooling → log wage (IV, Mixtape)",
            "instrumental variable",
            close_college(),
            _args(
                "educ",
                "lwage",
                instruments=["nearc4"],
                common_causes=["exper", "black", "south", "married", "smsa"],
            ),
            0.124,
            expected_design="iv",
            source="real",
        ),
        "causaldata.close_college (3,010 rows, 7 without married)",
        "effect of years of schooling (educ) on log wage (lwage), with growing up near a four-year college "
        "(nearc4) as the instrument, adjusting for experience, black, south, married and smsa",
        Published.from_standard_error(0.124, 0.050, "Cunningham, Mixtape ch. 7 (card.do; Card 1995)"),
    )


def card_wooldridge() -> RealCase:
    regions = [f"reg66{index}" for index in range(2, 10)]
    return RealCase(
        Case(
            "Card: schooling → log wage (IV, Wooldridge)",
            "instrumental variable",
            card(),
            _args(
                "educ",
                "lwage",
                instruments=["nearc4"],
                common_causes=["exper", "expersq", "black", "smsa", "south", "smsa66", *regions],
            ),
            0.132,
            expected_design="iv",
            source="real",
        ),
        "linearmodels.datasets.card (3,010 rows)",
        "effect of years of schooling (educ) on log wage (lwage), with nearc4 as the instrument, adjusting for "
        "experience and its square, black, smsa, south, smsa66 and the 1966 region dummies reg662–reg669",
        Published.from_standard_error(0.132, 0.055, "Wooldridge, Introductory Econometrics, Example 15.4"),
    )


def job_training_grants() -> RealCase:
    return RealCase(
        Case(
            "Job-training grants → log scrap rate (panel)",
            "panel, staggered grants, unit and period fixed effects",
            jobtraining(),
            _args("grant", "lscrap", unit="fcode", time="year", common_causes=["grant_1"]),
            -0.252,
            expected_design="did",
            source="real",
        ),
        "linearmodels.datasets.jobtraining (471 rows; lscrap for 54 firms × 3 years)",
        "effect of a job-training grant in the year received (grant) on the log scrap rate (lscrap); firms "
        "fcode over year; adjusting for a grant received the year before (grant_1)",
        Published.from_standard_error(-0.252, 0.151, "Wooldridge, Introductory Econometrics, Example 14.1"),
    )


def house_elections() -> RealCase:
    return RealCase(
        Case(
            "House elections: Democrat won → ADA score (RDD)",
            "sharp regression discontinuity",
            close_elections(),
            _args("lagdemocrat", "score"),
            21.28,
            roles=DatasetRoles(
                running="lagdemvoteshare",
                cutoff=0.5,
                not_adjusted={
                    "id": NEVER_ADJUSTED["identifier"],
                    "district": NEVER_ADJUSTED["identifier"],
                    "democrat": LATER_RESULT,
                    "demvoteshare": LATER_RESULT,
                },
            ),
            expected_design="rdd",
            source="real",
        ),
        "causaldata.close_elections_lmb (13,588 rows)",
        "effect of a Democrat winning the earlier election (lagdemocrat) on the representative's ADA score "
        "(score); running variable lagdemvoteshare, cutoff 0.5 (the data's documentation: id and district "
        "identify the seat, democrat and demvoteshare are the later election's result)",
        Published.from_standard_error(
            21.28,
            1.95,
            "Lee, Moretti & Butler (2004, QJE) Table I; Cunningham, Mixtape ch. 6 (lmb_1.do)",
        ),
        differs="the published figure is a difference in means within 0.48–0.52; the pipeline fits local linear "
        "regressions within rdrobust's MSE-optimal bandwidth",
    )


def senate_elections() -> RealCase:
    return RealCase(
        Case(
            "Senate elections: Democrat won → vote share (RDD)",
            "sharp regression discontinuity",
            senate(),
            _args("democrat_won", "vote"),
            7.414,
            roles=DatasetRoles(running="margin", cutoff=0.0),
            expected_design="rdd",
            source="real",
        ),
        "rdrobust.datasets.rdrobust_RDsenate (1,390 rows)",
        "effect of a Democratic win (democrat_won: margin ≥ 0) on the Democratic vote share in the seat's next "
        "election (vote); running variable margin, cutoff 0",
        Published(
            7.414,
            (4.094, 10.919),
            "Calonico, Cattaneo, Farrell & Titiunik (2017, Stata Journal 17(2)), rdrobust illustration; robust CI",
        ),
    )


REAL_CASE_BUILDERS: list[Callable[[], RealCase]] = [
    nhefs_weighting,
    nhefs_standardisation,
    nsw_randomised,
    nsw_against_cps,
    card_close_college,
    card_wooldridge,
    job_training_grants,
    house_elections,
    senate_elections,
]


def real_cases() -> list[RealCase]:
    return [build() for build in REAL_CASE_BUILDERS]


def _with_interval(estimate: float, interval: tuple[float, float] | None) -> str:
    """``estimate [low, high]``, all three at the scale of the largest (dollars whole, coefficients to 3 places)."""
    values = [estimate, *(interval or ())]
    whole = any(np.isfinite(value) and abs(value) >= 100 for value in values)

    def number(value: float) -> str:
        if not np.isfinite(value):
            return "n/a"
        return f"{value:,.0f}" if whole else f"{value:.3f}"

    bounds = f"[{number(interval[0])}, {number(interval[1])}]" if interval else "[none]"
    return f"{number(estimate)} {bounds}"


def print_section(results: list[tuple[RealCase, Outcome, str]], seconds: float, out: TextIO | None = None) -> None:
    """The table (case, design, ours, published, source, verdict, seconds), then each case's question."""
    print(
        f"\n{'real data: case':<50} {'design':<10} {'ours (estimate [95% interval])':>30} "
        f"{'published (estimate [95% interval])':>36}  {'verdict':<8} {'time':>6}  source",
        file=out,
    )
    for real, outcome, verdict in results:
        shown = verdict if not verdict.startswith("differs") else "differs"
        print(
            f"{real.name[:50]:<50} {outcome.design:<10} {_with_interval(outcome.estimate, outcome.ci):>30} "
            f"{_with_interval(real.published.estimate, real.published.interval):>36}  {shown.split(':')[0]:<8} "
            f"{outcome.seconds:>5.1f}s  {real.published.source}",
            file=out,
        )
    print(file=out)
    for real, outcome, verdict in results:
        print(f"- {real.name}: {real.loader}; asked: {real.question}", file=out)
        if real.differs:
            print(f"    specification differs: {real.differs}", file=out)
        if verdict != PASS:
            print(f"    verdict: {verdict}", file=out)
        if outcome.error:
            print(f"    ERROR {outcome.error}", file=out)
    passed = sum(verdict == PASS for _, _, verdict in results)
    unexplained = sum(is_unexplained_miss(verdict) for _, _, verdict in results)
    print(
        f"real data: {passed} of {len(results)} inside the published interval, {unexplained} unexplained "
        f"miss(es), {seconds:.0f} s",
        file=out,
    )
