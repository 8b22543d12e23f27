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

import numpy as np
import pandas as pd

from causal_common.models.tools import CausalAnalysisArgs
from causal_tasks.design import DatasetRoles
from causal_tasks.evaluation import real_data
from causal_tasks.evaluation.cases import Case, synthetic_cases

COVERAGE_TARGET = 0.90
RELATIVE_ERROR_TARGET = 0.10
IHDP_ERROR_TARGET = 0.3
LALONDE_ERROR_TARGET = 600.0
LALONDE_EXPERIMENTAL = 1794.34


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

    @property
    def covers(self) -> bool:
        return self.ci is not None and self.ci[0] <= self.case.truth <= self.ci[1]

    @property
    def absolute_error(self) -> float:
        return abs(self.estimate - self.case.truth)

    def relative(self, value: float) -> float | None:
        return abs(value - self.case.truth) / abs(self.case.truth) if self.case.truth else None


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
    )


def ihdp_cases(replications: int) -> list[Case]:
    """IHDP semi-synthetic replications (response surface B) from the data inside EconML's wheel; ATE asked for."""
    from econml.data.dgps import ihdp_surface_B

    cases = []
    for seed in range(1, replications + 1):
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
                )
    raise RuntimeError("the lalonde_observational dataset is not bundled")


def _number(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.3f}"


def _row(outcome: Outcome) -> str:
    ci = f"[{_number(outcome.ci[0])}, {_number(outcome.ci[1])}]" if outcome.ci else "none"
    rel = outcome.relative(outcome.estimate)
    rel_text = f"{rel:6.1%}" if rel is not None and np.isfinite(rel) else "     –"
    covers = "yes" if outcome.covers else "NO"
    failed = f"  failed: {', '.join(outcome.failed_checks)}" if outcome.failed_checks else ""
    error = f"  ERROR {outcome.error}" if outcome.error else ""
    return (
        f"{outcome.case.name[:44]:<44} {outcome.design:<10} {_number(outcome.estimate):>10} {ci:>24} "
        f"{_number(outcome.case.truth):>9} {_number(outcome.absolute_error):>9} {rel_text:>7} {covers:>6} "
        f"{outcome.seconds:>6.1f}s{failed}{error}"
    )


def _summary(label: str, outcomes: list[Outcome]) -> dict[str, float]:
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
    print(f"\n{label}: {len(outcomes)} cases ({len(nonzero)} with a non-zero effect)")
    print(f"  interval coverage of the truth: {coverage:.1%}")
    if nonzero:
        print(
            f"  mean relative error (non-zero effects): pipeline {figures['pipeline']:.1%}, naive difference "
            f"{figures['naive']:.1%}, plain linear regression {figures['linear']:.1%}"
        )
    print(
        f"  mean absolute error: pipeline {_number(figures['pipeline_abs'])}, naive difference "
        f"{_number(figures['naive_abs'])}, plain linear regression {_number(figures['linear_abs'])}"
    )
    return figures


def real_data_section() -> list[str]:
    """Run the real cases, print their table; the unexplained misses."""
    started = time.perf_counter()
    results = []
    for real in real_data.real_cases():
        outcome = run_case(real.case)
        results.append((real, outcome, real_data.judge(real, outcome.estimate, outcome.design, outcome.error)))
    real_data.print_section(results, time.perf_counter() - started)
    return [
        f"real data: {real.name} {verdict}" for real, _, verdict in results if real_data.is_unexplained_miss(verdict)
    ]


def evaluate(
    fast: bool = False,
    ihdp_replications: int = 10,
    lalonde: bool = True,
    out=sys.stdout,
    real: bool = True,
    real_only: bool = False,
) -> int:
    """Run the benchmark, print the report; 0 when every target is met, 1 otherwise."""
    logging.getLogger("dowhy").setLevel(logging.ERROR)
    if real_only:
        started = time.perf_counter()
        real_misses = real_data_section()
        print(f"\ntotal time {time.perf_counter() - started:.0f} s")
        if real_misses:
            print("TARGETS MISSED: " + "; ".join(real_misses))
            return 1
        print("all targets met (real data: every estimate inside its published interval, or the difference explained)")
        return 0
    header = (
        f"{'case':<44} {'design':<10} {'estimate':>10} {'95% interval':>24} {'truth':>9} {'error':>9} "
        f"{'rel.':>7} {'covers':>6} {'time':>7}"
    )
    misses: list[str] = []
    started = time.perf_counter()
    print(header)
    synthetic = []
    for case in synthetic_cases(fast=fast):
        outcome = run_case(case)
        synthetic.append(outcome)
        print(_row(outcome), flush=True)
    wrong_design = [o.case.name for o in synthetic if o.design != o.case.expected_design]
    figures = _summary("synthetic", synthetic)
    if figures["coverage"] < COVERAGE_TARGET:
        misses.append(f"synthetic coverage {figures['coverage']:.1%} < {COVERAGE_TARGET:.0%}")
    if figures["pipeline"] > RELATIVE_ERROR_TARGET:
        misses.append(f"synthetic mean relative error {figures['pipeline']:.1%} > {RELATIVE_ERROR_TARGET:.0%}")
    if wrong_design:
        print(f"  design differs from the expected one: {', '.join(wrong_design)}")
        misses.append(f"design not the expected one for {len(wrong_design)} case(s)")
    if ihdp_replications:
        print()
        ihdp = [run_case(case) for case in ihdp_cases(ihdp_replications)]
        for outcome in ihdp:
            print(_row(outcome), flush=True)
        ihdp_figures = _summary(f"IHDP (surface B, {ihdp_replications} replications, ATE)", ihdp)
        if ihdp_figures["pipeline_abs"] > IHDP_ERROR_TARGET:
            misses.append(f"IHDP mean absolute ATE error {ihdp_figures['pipeline_abs']:.3f} > {IHDP_ERROR_TARGET}")
    if lalonde:
        print()
        outcome = run_case(lalonde_case())
        print(_row(outcome))
        print(
            "  method spread: "
            + "; ".join(f"{name} {_number(value)}" for name, value in outcome.spread.items())
            + f"; naive difference {_number(outcome.naive)}; plain linear regression {_number(outcome.linear)}"
        )
        if not outcome.absolute_error <= LALONDE_ERROR_TARGET:
            misses.append(f"Lalonde error ${outcome.absolute_error:,.0f} > ${LALONDE_ERROR_TARGET:,.0f}")
    if real:
        misses += real_data_section()
    print(f"\ntotal time {time.perf_counter() - started:.0f} s")
    if misses:
        print("TARGETS MISSED: " + "; ".join(misses))
        return 1
    print(
        f"all targets met (coverage ≥ {COVERAGE_TARGET:.0%}, relative error ≤ {RELATIVE_ERROR_TARGET:.0%}"
        + (f", IHDP error ≤ {IHDP_ERROR_TARGET}" if ihdp_replications else "")
        + (f", Lalonde within ${LALONDE_ERROR_TARGET:,.0f}" if lalonde else "")
        + (", real data inside the published intervals or explained" if real else "")
        + ")"
    )
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fast", action="store_true", help="a small varied subset (what CI runs)")
    parser.add_argument("--ihdp", type=int, default=10, metavar="N", help="IHDP replications (default 10; 0 skips)")
    parser.add_argument("--no-lalonde", action="store_true", help="skip the Lalonde case")
    parser.add_argument("--no-real", action="store_true", help="skip the real data sets with published answers")
    parser.add_argument(
        "--real-only", action="store_true", help="only the real data sets with published answers (real_data)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    options = parser.parse_args(argv)
    return evaluate(
        options.fast, options.ihdp, not options.no_lalonde, real=not options.no_real, real_only=options.real_only
    )


if __name__ == "__main__":
    sys.exit(main())
