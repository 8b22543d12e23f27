"""The accuracy benchmark: the causal pipeline against known truth, with the naive and linear baselines.

Runs :func:`causal_tasks.causal.run_causal_analysis` (the code the ECS task runs)
over the seeded synthetic cases, the IHDP replications shipped in EconML's
wheel (Hill 2011, response surface B) and Lalonde (NSW trainees vs CPS
controls, experimental benchmark $1,794). Per case it prints the estimate,
interval, truth, error, whether the interval covers the truth and the design
chosen; then coverage and mean relative error, and the same for the naive
difference and plain linear regression measured in the same run. Then the real
data sets with published answers (``real_data``: NHEFS, NSW, Card, job-training
grants, House and Senate elections), each judged against its published
interval. Targets are checked and a miss gives a non-zero exit code. Nothing is
downloaded.
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from causal_common.models.tools import CausalAnalysisArgs, CausalResult
from causal_tasks.design import DatasetRoles
from causal_tasks.evaluation import real_data
from causal_tasks.evaluation.cases import Case, synthetic_cases

COVERAGE_TARGET = 0.90
RELATIVE_ERROR_TARGET = 0.10
IHDP_ERROR_TARGET = 0.3
LALONDE_ERROR_TARGET = 600.0
LALONDE_EXPERIMENTAL = 1794.34
# Without an oracle, an estimate may be this share of the truth away from it (and at least this absolute
# amount, for IHDP whose truths are around 4).
DEFAULT_RELATIVE_TOLERANCE = 0.15
Z95 = 1.959963984540054

# Misses that are accepted, each with why. A case listed here that stops missing is reported, so the list
# only ever shrinks. Keys are case names; values say which check misses and why that is acceptable.
ALLOWED_MISSES: dict[str, str] = {
    "hidden confounder, continuous treatment": (
        "honest: the hidden cause is about 1.2 times as strong as the strongest measured covariate, so the "
        "benchmark (a confounder as strong as a measured one) cannot reach the truth; no method can see a "
        "confounder stronger than anything measured. The answer still reports the benchmark and its sentence."
    ),
    "zero-inflated spending": (
        "estimate: 70 % zeros and a lognormal tail; the error (3.97) is just past the tolerance (3.89, two oracle "
        "standard errors) and the interval covers the truth."
    ),
    "interaction confounding": (
        "estimate, covers: the outcome carries 3·x0·x1 and a threshold of two covariates; the cross-fitted "
        "boosting models leave about 0.28 of bias (linear regression: 3.8, truth 1.0). The answer's specification "
        "check fails and says so, so the user is warned; closing it needs better nuisance models, not a looser "
        "target."
    ),
}


@dataclass
class Outcome:
    case: Case
    estimate: float
    ci: tuple[float, float] | None
    design: str
    seconds: float
    naive: float
    linear: float
    failed_checks: list[str]
    spread: dict[str, float]
    error: str | None = None
    # The result says the data cannot settle the question (see :func:`flags_unsettled`).
    flagged: bool = False

    @property
    def covers(self) -> bool:
        return self.ci is not None and self.ci[0] <= self.case.truth <= self.ci[1]

    @property
    def absolute_error(self) -> float:
        return abs(self.estimate - self.case.truth)

    def relative(self, value: float) -> float | None:
        return abs(value - self.case.truth) / abs(self.case.truth) if self.case.truth else None


def flags_unsettled(result: CausalResult, post_treatment: tuple[str, ...] = ()) -> bool:
    """The answer says the data cannot settle the question, or shows the decision the estimate hangs on.

    Either an unmeasured confounder as strong as the strongest measured covariate would explain the estimate away
    (``confounder_benchmark``), or leaving out a column measured after the treatment (one the case declares, or
    one the result itself suspects) moves the estimate outside its interval: the answer then shows both estimates
    and asks when that column was measured. Leaving out a measured confounder moves any estimate, so other
    variants do not count.
    """
    benchmark = result.confounder_benchmark
    if benchmark is not None and benchmark.explains_away:
        return True
    suspects = {note.column for note in result.post_treatment_suspects} | set(post_treatment)
    return any(variant.moves and suspects & set(variant.left_out) for variant in result.adjustment_sensitivity)


def brackets_truth(result: CausalResult, truth: float) -> bool:
    """The truth lies between the estimate and where a confounder as strong as the strongest measured covariate
    would move it: the answer's own range of what the data allow contains it."""
    benchmark = result.confounder_benchmark
    if benchmark is None:
        return False
    low = min(benchmark.adjusted_ci[0], result.ci[0] if result.ci else result.estimate)
    high = max(benchmark.adjusted_ci[1], result.ci[1] if result.ci else result.estimate)
    return low <= truth <= high


@dataclass
class Judgement:
    """One case judged on its own: each check is True (met), False (missed) or None (does not apply)."""

    checks: dict[str, bool | None]
    tolerance: float

    @property
    def missed(self) -> list[str]:
        return [name for name, met in self.checks.items() if met is False]


def tolerance_of(case: Case) -> float:
    if case.tolerance is not None:
        return case.tolerance
    relative = DEFAULT_RELATIVE_TOLERANCE * abs(case.truth)
    oracle_half_width = Z95 * case.oracle[1] if case.oracle else 0.0
    return max(relative, oracle_half_width)


def judge(outcome: Outcome) -> Judgement:
    """Estimate within tolerance, interval covering the truth, no wider than k× the oracle's, the right design.

    A case the data cannot settle passes when its interval covers the truth or the answer says it cannot tell.
    """
    case = outcome.case
    tolerance = tolerance_of(case)
    if outcome.error:
        return Judgement({"runs": False}, tolerance)
    width: bool | None = None
    if case.oracle is not None and outcome.ci is not None:
        width = (outcome.ci[1] - outcome.ci[0]) <= case.width_ratio * 2 * Z95 * case.oracle[1]
    elif case.oracle is not None:
        width = False
    checks: dict[str, bool | None] = {
        "estimate": outcome.absolute_error <= tolerance,
        "covers": outcome.covers,
        "width": width,
        "design": outcome.design == case.expected_design,
    }
    if case.unsettled:
        honest = outcome.covers or outcome.flagged
        checks = {"honest": honest, "design": checks["design"]}
    return Judgement(checks, tolerance)


def plain_linear_regression(case: Case) -> float:
    """OLS of the outcome on the treatment and every other column (text one-hot), complete rows: the baseline."""
    from causal_tasks import frame as frames

    roles = case.roles
    skip = {case.args.treatment, case.args.outcome, case.args.time, case.args.unit, roles.time, roles.unit}
    covariates = [name for name in frames.default_covariates(case.frame, [n for n in skip if n])]
    covariates = [name for name in covariates if name not in (case.args.instruments or [])]
    prepared = frames.prepare(case.frame, case.args.treatment, case.args.outcome, covariates, [], codings=roles.codings)
    data = prepared.frame
    design = np.column_stack([np.ones(len(data)), data[case.args.treatment], data[prepared.covariates]])
    return float(np.linalg.lstsq(design, data[case.args.outcome].to_numpy(), rcond=None)[0][1])


def run_case(case: Case) -> Outcome:
    from causal_tasks.causal import run_causal_analysis

    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = run_causal_analysis(case.frame, case.args, lambda *_: None, roles=case.roles)
    except Exception as exc:  # noqa: BLE001 - a crash is a miss the report must show, not a stop
        return Outcome(
            case,
            float("nan"),
            None,
            "error",
            time.perf_counter() - started,
            float("nan"),
            float("nan"),
            [],
            {},
            error=f"{type(exc).__name__}: {exc}"[:200],
        )
    seconds = time.perf_counter() - started
    return Outcome(
        case,
        result.estimate,
        result.ci,
        result.design,
        seconds,
        result.naive_estimate,
        plain_linear_regression(case),
        [r.name for r in result.refutations if not r.passed],
        {m.method: m.estimate for m in result.methods if m.error is None},
        flagged=flags_unsettled(result, case.post_treatment) or brackets_truth(result, case.truth),
    )


# IHDP replications 1–10 are the tuning split: settings were chosen looking at them (docs/causal-methods.md
# lists each). The eval judges the replications after them, which no setting was chosen on.
IHDP_TUNING = range(1, 11)
IHDP_FIRST_JUDGED = 11


def ihdp_cases(replications: int, first: int = IHDP_FIRST_JUDGED) -> list[Case]:
    """IHDP semi-synthetic replications (response surface B) from the data inside EconML's wheel; ATE asked for."""
    from econml.data.dgps import ihdp_surface_B

    cases = []
    for seed in range(first, first + replications):
        outcome, treatment, features, effects = ihdp_surface_B(random_state=seed)
        frame = pd.DataFrame(features[:, 1:], columns=[f"x{i}" for i in range(features.shape[1] - 1)])
        frame["treated"], frame["outcome"] = treatment, outcome
        cases.append(
            Case(
                f"IHDP replication {seed}",
                "semi-synthetic (Hill 2011, surface B)",
                frame,
                CausalAnalysisArgs(treatment="treated", outcome="outcome", target="ate", refutation_simulations=3),
                float(np.mean(effects)),
                source="ihdp",
            )
        )
    return cases


def lalonde_case() -> Case:
    """NSW trainees vs CPS controls with the dataset's own roles; the truth is the experimental estimate."""
    from causal_datasets.bundled import bundled_datasets

    with tempfile.TemporaryDirectory() as cache:
        for manifest, data in bundled_datasets(Path(cache)):
            if manifest.id == "lalonde_observational":
                frame = pd.read_csv(io.BytesIO(data))
                return Case(
                    "Lalonde NSW vs CPS (observational)",
                    "real data, experimental benchmark",
                    frame,
                    CausalAnalysisArgs(treatment="treat", outcome="re78", refutation_simulations=3),
                    LALONDE_EXPERIMENTAL,
                    roles=DatasetRoles.from_manifest(manifest),
                    source="lalonde",
                    tolerance=LALONDE_ERROR_TARGET,
                )
    raise RuntimeError("the lalonde_observational dataset is not bundled")


def _number(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.3f}"


def _row(outcome: Outcome, judgement: Judgement) -> str:
    ci = f"[{_number(outcome.ci[0])}, {_number(outcome.ci[1])}]" if outcome.ci else "none"
    rel = outcome.relative(outcome.estimate)
    rel_text = f"{rel:6.1%}" if rel is not None and np.isfinite(rel) else "     –"
    oracle = outcome.case.oracle
    if oracle and outcome.ci:
        ratio = f"{(outcome.ci[1] - outcome.ci[0]) / (2 * Z95 * oracle[1]):5.1f}x"
    else:
        ratio = "     –"
    verdict = "ok" if not judgement.missed else "MISS " + ",".join(judgement.missed)
    if judgement.missed and outcome.case.name in ALLOWED_MISSES:
        verdict = "allowed " + ",".join(judgement.missed)
    failed = f"  failed refutations: {', '.join(outcome.failed_checks)}" if outcome.failed_checks else ""
    flagged = "  (says it cannot tell)" if outcome.flagged and outcome.case.unsettled else ""
    error = f"  ERROR {outcome.error}" if outcome.error else ""
    return (
        f"{outcome.case.name[:44]:<44} {outcome.design:<10} {_number(outcome.estimate):>10} {ci:>24} "
        f"{_number(outcome.case.truth):>9} {_number(outcome.absolute_error):>9} {_number(judgement.tolerance):>9} "
        f"{rel_text:>7} {ratio:>7} {outcome.seconds:>6.1f}s  {verdict}{flagged}{failed}{error}"
    )


HEADER = (
    f"{'case':<44} {'design':<10} {'estimate':>10} {'95% interval':>24} {'truth':>9} {'error':>9} {'tolerance':>9} "
    f"{'rel.':>7} {'width':>7} {'time':>7}  verdict"
)


def _summary(label: str, outcomes: list[Outcome], out) -> dict[str, float]:
    nonzero = [o for o in outcomes if o.case.truth]
    coverage = float(np.mean([o.covers for o in outcomes])) if outcomes else float("nan")

    def mean_relative(pick) -> float:
        relative = [o.relative(pick(o)) for o in nonzero]
        values = [v if v is not None and np.isfinite(v) else float("inf") for v in relative]
        return float(np.mean(values)) if values else float("nan")

    figures = {
        "coverage": coverage,
        "pipeline": mean_relative(lambda o: o.estimate),
        "naive": mean_relative(lambda o: o.naive),
        "linear": mean_relative(lambda o: o.linear),
        "pipeline_abs": float(np.mean([o.absolute_error for o in outcomes])),
        "naive_abs": float(np.mean([abs(o.naive - o.case.truth) for o in outcomes])),
        "linear_abs": float(np.mean([abs(o.linear - o.case.truth) for o in outcomes])),
    }
    print(f"pooled, {label}: {len(outcomes)} cases ({len(nonzero)} with a non-zero effect)", file=out)
    print(f"  interval coverage of the truth: {coverage:.1%}", file=out)
    if nonzero:
        print(
            f"  mean relative error (non-zero effects): pipeline {figures['pipeline']:.1%}, naive difference "
            f"{figures['naive']:.1%}, plain linear regression {figures['linear']:.1%}",
            file=out,
        )
    print(
        f"  mean absolute error: pipeline {_number(figures['pipeline_abs'])}, naive difference "
        f"{_number(figures['naive_abs'])}, plain linear regression {_number(figures['linear_abs'])}",
        file=out,
    )
    return figures


def real_data_section(out: TextIO) -> list[str]:
    """Run the real cases, print their table; the unexplained misses."""
    started = time.perf_counter()
    results = []
    for real in real_data.real_cases():
        outcome = run_case(real.case)
        results.append((real, outcome, real_data.judge(real, outcome.estimate, outcome.design, outcome.error)))
    real_data.print_section(results, time.perf_counter() - started, out)
    return [
        f"real data: {real.name} {verdict}" for real, _, verdict in results if real_data.is_unexplained_miss(verdict)
    ]


@dataclass
class Section:
    label: str
    outcomes: list[Outcome]
    judgements: list[Judgement]


def _run_section(label: str, cases: list[Case], out) -> Section:
    print(f"\n{label}", file=out)
    print(HEADER, file=out)
    outcomes, judgements = [], []
    for case in cases:
        outcome = run_case(case)
        judgement = judge(outcome)
        outcomes.append(outcome)
        judgements.append(judgement)
        print(_row(outcome, judgement), file=out, flush=True)
    return Section(label, outcomes, judgements)


def case_misses(sections: list[Section]) -> tuple[list[str], list[str], list[str]]:
    """(misses that fail the run, accepted misses with why, allow-listed cases that no longer miss)."""
    failing, accepted, stale = [], [], []
    for section in sections:
        for outcome, judgement in zip(section.outcomes, section.judgements, strict=True):
            name = outcome.case.name
            if judgement.missed and name in ALLOWED_MISSES:
                accepted.append(f"{name} ({', '.join(judgement.missed)}): {ALLOWED_MISSES[name]}")
            elif judgement.missed:
                failing.append(f"{name} ({', '.join(judgement.missed)})")
            elif name in ALLOWED_MISSES:
                stale.append(name)
    return failing, accepted, stale


def evaluate(
    fast: bool = False,
    ihdp_replications: int = 10,
    lalonde: bool = True,
    out: TextIO | None = None,
    ihdp_first: int = IHDP_FIRST_JUDGED,
    real: bool = True,
    real_only: bool = False,
) -> int:
    """Run the benchmark, judge every case on its own, print the report; 0 when nothing misses, 1 otherwise."""
    out = out or sys.stdout
    logging.getLogger("dowhy").setLevel(logging.ERROR)
    if real_only:
        started = time.perf_counter()
        real_misses = real_data_section(out)
        print(f"\ntotal time {time.perf_counter() - started:.0f} s", file=out)
        if real_misses:
            print("TARGETS MISSED: " + "; ".join(real_misses), file=out)
            return 1
        print(
            "all targets met (real data: every estimate inside its published interval, or the difference explained)",
            file=out,
        )
        return 0
    started = time.perf_counter()
    sections = [_run_section("synthetic cases (seeded, known truth)", synthetic_cases(fast=fast), out)]
    misses: list[str] = []
    # Pooled over the cases the data can settle; the others are judged on whether the answer says it cannot tell.
    settled = [o for o in sections[0].outcomes if not o.case.unsettled]
    figures = _summary("synthetic (cases the data can settle)", settled, out)
    if figures["coverage"] < COVERAGE_TARGET:
        misses.append(f"synthetic coverage {figures['coverage']:.1%} < {COVERAGE_TARGET:.0%}")
    if figures["pipeline"] > RELATIVE_ERROR_TARGET:
        misses.append(f"synthetic mean relative error {figures['pipeline']:.1%} > {RELATIVE_ERROR_TARGET:.0%}")
    if ihdp_replications:
        last = ihdp_first + ihdp_replications - 1
        split = "tuning split" if last < IHDP_FIRST_JUDGED else "judged split"
        label = f"IHDP (surface B, replications {ihdp_first}–{last}, {split}, ATE)"
        ihdp = _run_section(label, ihdp_cases(ihdp_replications, ihdp_first), out)
        sections.append(ihdp)
        ihdp_figures = _summary(label, ihdp.outcomes, out)
        if ihdp_figures["pipeline_abs"] > IHDP_ERROR_TARGET:
            misses.append(f"IHDP mean absolute ATE error {ihdp_figures['pipeline_abs']:.3f} > {IHDP_ERROR_TARGET}")
    if lalonde:
        section = _run_section("Lalonde (NSW trainees vs CPS controls; truth: the experiment)", [lalonde_case()], out)
        sections.append(section)
        outcome = section.outcomes[0]
        print(
            "  method spread: "
            + "; ".join(f"{name} {_number(value)}" for name, value in outcome.spread.items())
            + f"; naive difference {_number(outcome.naive)}; plain linear regression {_number(outcome.linear)}",
            file=out,
        )
    if real:
        misses += real_data_section(out)
    failing, accepted, stale = case_misses(sections)
    judged = sum(len(section.outcomes) for section in sections)
    print(f"\ncases judged one by one: {judged}, missed: {len(failing) + len(accepted)}", file=out)
    for line in accepted:
        print(f"  accepted miss: {line}", file=out)
    for name in stale:
        print(f"  no longer misses, take it off ALLOWED_MISSES: {name}", file=out)
    misses = [f"case {line}" for line in failing] + misses
    print(f"total time {time.perf_counter() - started:.0f} s", file=out)
    if misses:
        print("TARGETS MISSED: " + "; ".join(misses), file=out)
        return 1
    print(
        f"all targets met: every case within its tolerance, its interval covering the truth and no wider than "
        f"its limit, the expected design (accepted misses: {len(accepted)}); pooled coverage ≥ "
        f"{COVERAGE_TARGET:.0%}, relative error ≤ {RELATIVE_ERROR_TARGET:.0%}"
        + (f", IHDP error ≤ {IHDP_ERROR_TARGET}" if ihdp_replications else "")
        + ("; real data inside the published intervals or the difference explained" if real else ""),
        file=out,
    )
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fast", action="store_true", help="a small varied subset (what CI runs)")
    parser.add_argument("--ihdp", type=int, default=10, metavar="N", help="IHDP replications (default 10; 0 skips)")
    parser.add_argument(
        "--ihdp-tuning",
        action="store_true",
        help="run IHDP's tuning split (replications 1–10) instead of the judged one (11 on)",
    )
    parser.add_argument("--no-lalonde", action="store_true", help="skip the Lalonde case")
    parser.add_argument("--no-real", action="store_true", help="skip the real data sets with published answers")
    parser.add_argument(
        "--real-only", action="store_true", help="only the real data sets with published answers (real_data)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    options = parser.parse_args(argv)
    first = IHDP_TUNING.start if options.ihdp_tuning else IHDP_FIRST_JUDGED
    return evaluate(
        options.fast,
        options.ihdp,
        not options.no_lalonde,
        ihdp_first=first,
        real=not options.no_real,
        real_only=options.real_only,
    )


if __name__ == "__main__":
    sys.exit(main())
