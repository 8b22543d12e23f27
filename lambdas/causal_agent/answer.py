"""Writing the answer from tool results: the figures come from the tools, never from templates alone."""

from __future__ import annotations

import math
from typing import Any

from causal_agent.conversation import ToolExchange
from causal_common.models.confidence import ConfidenceSet
from causal_common.models.frames import AnswerArtifact, AnswerRefutation, AnswerResult
from causal_common.models.tools import CausalSummary, EventStudyPoint


def number(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    value = float(value)
    if abs(value) >= 100:
        return f"{value:,.2f}"
    return f"{value:.4g}"


def latest(found: list[ToolExchange], name: str, ok_only: bool = True) -> ToolExchange | None:
    for exchange in reversed(found):
        if exchange.name == name and exchange.outcome is not None and (exchange.ok or not ok_only):
            return exchange
    return None


def answer_result(found: list[ToolExchange]) -> AnswerResult | None:
    """The answer frame's ``result``, from the latest successful causal analysis."""
    causal = latest(found, "causal_analysis")
    if causal is None:
        return None
    result = causal.causal
    if result.estimate is None:
        return None
    eda = latest(found, "eda")
    artifacts = result.artifacts + (eda.artifacts if eda is not None else [])
    return AnswerResult(
        treatment=result.treatment or causal.arguments.get("treatment", ""),
        outcome=result.outcome or causal.arguments.get("outcome", ""),
        estimate=result.estimate,
        ci=result.ci,
        method=result.method,
        naive_estimate=result.naive_estimate or 0.0,
        refutations=[AnswerRefutation(name=r.name, passed=r.passed, detail=r.detail) for r in result.refutations],
        artifacts=[AnswerArtifact(name=a.name or "artifact", url=a.url) for a in artifacts if a.url],
        design=result.design,
        target=result.target,
        confidence_set=result.confidence_set,
    )


def _naive_from_query(query: ToolExchange | None) -> tuple[str, float | None]:
    """A sentence and the difference of group means from the data_query group table."""
    if query is None:
        return "", None
    result = query.result
    columns = result.get("columns") or []
    rows = result.get("rows") or []
    if "naive_slope" in columns and rows:
        row = dict(zip(columns, rows[0], strict=False))
        return (
            f"Naive regression slope of the outcome on the treatment: {number(row.get('naive_slope'))} "
            f"(correlation {number(row.get('correlation'))}, {row.get('n')} rows)."
        ), row.get("naive_slope")
    if "mean_outcome" in columns and len(rows) == 2:
        groups = [dict(zip(columns, row, strict=False)) for row in rows]
        control, treated = groups[0], groups[1]
        difference = float(treated["mean_outcome"]) - float(control["mean_outcome"])
        return (
            f"Raw group means: {number(treated['mean_outcome'])} (treated, n={treated.get('n')}) vs "
            f"{number(control['mean_outcome'])} (control, n={control.get('n')}), a difference of {number(difference)}."
        ), difference
    return "", None


TARGET_NAMES = {
    "ate": "average effect (ATE)",
    "att": "average effect on the treated (ATT)",
    "late": "effect on those whose treatment the instrument changes (LATE)",
    "at_cutoff": "effect at the cutoff",
}


def _amount(value: float, binary_outcome: bool) -> str:
    """A size in the outcome's units; a binary outcome's risk difference in percentage points."""
    if binary_outcome:
        return f"{value * 100:.1f} percentage points"
    return number(value)


WEAK_INSTRUMENT_F = 10.0


def _weak_instrument_sentence(r: CausalSummary, found: ConfidenceSet) -> str:
    """The first sentence when the weak-instrument-robust set is not one finite interval: what it rules out."""
    treatment, outcome = r.treatment, r.outcome
    binary_outcome = r.outcome_kind == "binary"
    what = f"the risk of `{outcome}`" if binary_outcome else f"`{outcome}`"
    first_stage = r.diagnostics.get("first_stage_f")
    strength = f" (first-stage F {number(first_stage)})" if first_stage is not None else ""
    named = f"95% {found.test_name} set, which stays valid however weak the instrument"
    if found.shape == "empty":
        return (
            f"**No single effect of `{treatment}` on {what} fits all the instruments**: the {named}, is empty, so "
            f"the instruments disagree with each other and at least one probably reaches `{outcome}` other than "
            f"through `{treatment}`."
        )
    if found.shape == "everything":
        return (
            f"**The data cannot say whether `{treatment}` changes {what}**: the instrument is too weak{strength}, "
            f"and the data are consistent with any effect at all ({named})."
        )
    consistent = found.describe(lambda value: _amount(value, binary_outcome))
    if found.contains(0.0):
        settled = "an effect of zero is among them."
    else:
        negative = any(low is None or low < 0 for low, _ in found.pieces)
        positive = any(high is None or high > 0 for _, high in found.pieces)
        settled = "an effect of zero is ruled out, but not " + (
            "its size or its sign." if negative and positive else "how large the effect is."
        )
    return (
        f"**The data cannot pin down the effect of `{treatment}` on {what}**: the instrument is weak{strength}, "
        f"and the data are consistent with {consistent} ({named}); {settled}"
    )


def headline_sentence(r: CausalSummary) -> str:
    """The first sentence: what the data say, never surer than the interval allows."""
    treatment, outcome = r.treatment, r.outcome
    robust = r.confidence_set
    if robust is not None and robust.interval is None:
        return _weak_instrument_sentence(r, robust)
    estimate = float(r.estimate or 0.0)
    ci = r.ci
    target = TARGET_NAMES.get(r.target or "ate", str(r.target).upper())
    binary_outcome = r.outcome_kind == "binary"
    per_unit = r.treatment_kind == "continuous"
    subject = f"each one-unit increase in `{treatment}`" if per_unit else f"`{treatment}`"
    what = f"the risk of `{outcome}`" if binary_outcome else f"`{outcome}`"
    kind_of_interval = f"95% {robust.test_name} interval" if robust is not None else "95% CI"
    ci_text = (
        f"{kind_of_interval} {_amount(ci[0], binary_outcome)} to {_amount(ci[1], binary_outcome)}"
        if ci
        else "no interval could be computed, so treat it as rough"
    )
    signed = _amount(estimate, binary_outcome)
    if ci and ci[0] <= 0 <= ci[1]:
        per = " per unit" if per_unit else ""
        return (
            f"**No clear evidence that `{treatment}` changes {what}**: the estimated {target} is {signed}{per} "
            f"({ci_text}), an interval that includes no effect at all."
        )
    direction = "raises" if estimate > 0 else "lowers" if estimate < 0 else "does not change"
    size = _amount(abs(estimate), binary_outcome)
    kind = "risk difference, " if binary_outcome else ""
    benchmark = r.confounder_benchmark
    if benchmark is not None and benchmark.explains_away:
        may = {"raises": "may raise", "lowers": "may lower"}.get(direction, direction)
        return (
            f"**{subject[0].upper() + subject[1:]} {may} {what} by about {size}, but these data cannot settle it** "
            f"({kind}{target}: {signed}; {ci_text}): an unmeasured confounder as strong as the measured "
            f"`{benchmark.benchmark}` would explain the effect away."
        )
    return (
        f"**{subject[0].upper() + subject[1:]} {direction} {what} by about {size}** ({kind}{target}: {signed}; "
        f"{ci_text})."
    )


def group_table(r: CausalSummary) -> list[str]:
    """The effect within each group, when the question asked whether it differs."""
    groups = r.by_group
    if not groups:
        return []
    rows = [f"| `{r.by_group_column}` | rows | estimate | 95% CI |", "|---|---|---|---|"]
    for group in groups:
        ci = group.ci
        estimate = number(group.estimate) if group.estimate is not None else f"– ({group.error})"
        interval = f"{number(ci[0])} to {number(ci[1])}" if ci else "–"
        rows.append(f"| {group.group} | {group.rows} | {estimate} | {interval} |")
    intervals = [g.ci for g in groups if g.ci]
    apart = any(a[1] < b[0] or b[1] < a[0] for a in intervals for b in intervals)
    verdict = (
        "Some groups' intervals do not overlap: the effect differs between them."
        if apart
        else "The groups' intervals overlap: these data do not show that the effect differs between them."
    )
    return [f"By `{r.by_group_column}`:\n\n" + "\n".join(rows), verdict]


def adjustment_table(r: CausalSummary) -> list[str]:
    """Which adjustment decision matters: the linear-adjustment estimate with each covariate left out in turn."""
    variants = r.adjustment_sensitivity
    if len(variants) < 2:
        return []
    rows = ["| adjustment | estimate | 95% CI |", "|---|---|---|"]
    for variant in variants:
        left_out = variant.left_out
        label = "everything listed above" if not left_out else "without " + ", ".join(f"`{c}`" for c in left_out)
        ci = variant.ci
        interval = f"{number(ci[0])} to {number(ci[1])}" if ci else "–"
        mark = " ⚠ outside the headline interval" if variant.moves else ""
        rows.append(f"| {label} | {number(variant.estimate)}{mark} | {interval} |")
    movers = [v for v in variants if v.moves]
    summary = (
        "Leaving out "
        + " or ".join(", ".join(f"`{c}`" for c in v.left_out) for v in movers)
        + " changes the answer: whether to adjust for it depends on when it was measured, which the data cannot say."
        if movers
        else "No single covariate moves the estimate outside the headline interval."
    )
    return [
        "How the estimate moves with the adjustment set (linear adjustment, each covariate left out in turn):\n\n"
        + "\n".join(rows),
        summary,
    ]


def instrument_lines(r: CausalSummary) -> list[str]:
    """How strong the instrument is, and the other intervals an IV answer owes the reader."""
    first_stage = r.diagnostics.get("first_stage_f")
    if r.design != "iv" or first_stage is None:
        return []
    weak = first_stage < WEAK_INSTRUMENT_F
    lines = [
        f"Instrument strength: first-stage F {number(first_stage)} (heteroskedasticity-robust; below "
        f"{WEAK_INSTRUMENT_F:g} marks a weak instrument): "
        + ("weak." if weak else "strong enough for two-stage least squares.")
    ]
    two_stage = next((m for m in r.methods if m.method == "iv.two_stage_least_squares" and m.error is None), None)
    if two_stage is not None and r.method != two_stage.method:
        interval = f" (95% CI {number(two_stage.ci[0])} to {number(two_stage.ci[1])})" if two_stage.ci else ""
        lines.append(
            f"Two-stage least squares, for comparison only: {number(two_stage.estimate)}{interval}. With an "
            "instrument this weak its interval cannot be trusted (it is often far too narrow) and its estimate is "
            "pulled toward the confounded comparison."
        )
    for method in r.methods:
        found = method.confidence_set
        if found is None or method.method == r.method:
            continue
        if found.shape == "interval":
            low, high = found.pieces[0]
            extent = f"{number(low)} to {number(high)}"
        else:
            extent = f"the data are consistent with {found.describe(number)}"
        lines.append(f"{found.test_name} 95% set, valid however weak the instrument: {extent}.")
    return lines


def event_study_line(r: CausalSummary) -> list[str]:
    """The event study in one line: the effect by period relative to adoption, the nearest leads and lags."""
    points = [point for point in r.event_study if point.relative_period != -1]
    if not points:
        return []
    leads = [point for point in points if point.relative_period < 0]
    lags = [point for point in points if point.relative_period >= 0]
    shown_leads, shown_lags = leads[-3:], lags[:5]

    def item(point: EventStudyPoint) -> str:
        ci = f" ({number(point.ci[0])} to {number(point.ci[1])})" if point.ci else ""
        return f"{point.relative_period:+d}: {number(point.estimate)}{ci}"

    parts = []
    if shown_leads:
        parts.append("before adoption " + ", ".join(item(point) for point in shown_leads))
    if shown_lags:
        parts.append("after " + ", ".join(item(point) for point in shown_lags))
    hidden = len(points) - len(shown_leads) - len(shown_lags)
    more = f" ({hidden} more periods in the event-study plot)" if hidden else ""
    return [
        "Event study, effect by period relative to adoption (95% CI; the period before adoption is the base, zero): "
        + "; ".join(parts)
        + more
        + "."
    ]


def causal_lines(r: CausalSummary, naive_sentence: str = "", own_adjustment: bool = True) -> list[str]:
    """The causal result in sentences: headline, design, why this estimand, comparisons, checks, sensitivity."""
    lines = [headline_sentence(r)]
    if r.subgroup:
        lines.append(f"This is the effect among the rows with {r.subgroup} ({r.rows} rows), not all of them.")
    causes = r.common_causes
    adjust = f", adjusting for {', '.join(causes)}" if causes else ", with no adjustment set"
    design = f"Design: {r.design_reason}. " if r.design_reason else ""
    lines.append(f"{design}Method: `{r.method or None}`{adjust}.")
    if r.coded:
        lines.append("Coding: " + "; ".join(f"{note.column} {note.reason}" for note in r.coded) + ".")
    lines += instrument_lines(r)
    target = (r.target or "ate").upper()
    if r.target_reason:
        # The task's reason may already start with "ATE:"; say it once.
        lines.append(f"Why {target}: {r.target_reason.removeprefix(f'{target}:').strip()}")
    estimate, naive = r.estimate, r.naive_estimate
    if naive is not None and estimate is not None:
        lines.append(
            f"Naive comparison (no adjustment): {number(naive)}; the analysis changes it by {number(estimate - naive)}."
        )
    if naive_sentence:
        lines.append(naive_sentence)
    # The instrument lines above already gave the IV intervals.
    others = [
        m
        for m in r.methods
        if m.method != r.method
        and m.confidence_set is None
        and not (r.design == "iv" and m.method == "iv.two_stage_least_squares")
    ]
    if others:
        lines.append(
            "Other estimators: "
            + "; ".join(
                f"`{m.method}` {number(m.estimate)}" if m.error is None else f"`{m.method}` failed" for m in others
            )
            + "."
        )
    for note in r.disagreement:
        lines.append(f"Estimators disagree: {note}.")
    if r.refutations:
        lines.append(
            "Checks: "
            + "; ".join(f"{'passed' if x.passed else 'FAILED'} {x.name} ({x.detail})" for x in r.refutations)
            + "."
        )
    lines += event_study_line(r)
    for item in r.sensitivity:
        lines.append(f"Sensitivity: {item.sentence}")
    if r.confounder_benchmark is not None:
        lines.append(f"Sensitivity: {r.confounder_benchmark.sentence}")
    lines += adjustment_table(r)
    lines += group_table(r)
    if r.assumptions:
        lines.append("This rests on: " + "; ".join(r.assumptions) + ".")
    if own_adjustment:
        if r.left_out:
            lines.append("Not adjusted for: " + "; ".join(f"`{c.column}` ({c.reason})" for c in r.left_out) + ".")
        suspects = r.post_treatment_suspects
        if suspects:
            first = suspects[0].column
            lines.append(
                "Possibly measured after the treatment: "
                + "; ".join(f"`{c.column}` ({c.reason})" for c in suspects)
                + f'. If so, ask again adding "not adjusting for {first}".'
            )
    return lines


def write_answer(
    question: str, dataset_title: str, found: list[ToolExchange], how_chosen: str, notes: list[str] | None = None
) -> str:
    """The final answer text from whatever the tools returned (and what failed).

    ``notes`` come from reading the question: the adjustment set and why, the contrast asked for.
    """
    causal = latest(found, "causal_analysis")
    eda = latest(found, "eda")
    query = latest(found, "data_query")
    failures = [e for e in found if e.outcome is not None and not e.ok and e.name != "ask_user"]
    naive_sentence, naive_difference = _naive_from_query(query)
    lines: list[str] = []
    if causal is not None:
        r = causal.causal
        lines.append(
            f"**Effect of `{r.treatment or None}` on `{r.outcome or None}`** — {dataset_title}, {r.rows} "
            f"rows (variables {how_chosen})."
        )
        caveats = list(r.warnings)
        found_lines = causal_lines(r, naive_sentence, own_adjustment=notes is None)
        # The finding first, then what the user's replies changed, then the method.
        changed = [note for note in notes or [] if note.startswith("Your reply:")]
        notes = [note for note in notes or [] if not note.startswith("Your reply:")] if notes is not None else None
        lines += found_lines[:1] + changed + found_lines[1:]
        if any(not x.passed for x in r.refutations):
            caveats.append("at least one check failed: treat the estimate with caution")
        if eda is not None:
            caveats += [w for w in eda.result.get("warnings") or [] if w not in caveats]
            balance = eda.result.get("balance") or []
            worst = max(balance, key=lambda row: abs(row.get("smd") or 0), default=None)
            if worst is not None and abs(worst.get("smd") or 0) > 0.1:
                caveats.append(
                    f"groups differ before treatment (largest imbalance: {worst['covariate']}, "
                    f"standardised difference {number(worst['smd'])})"
                )
    else:
        lines.append(f"I could not complete the causal analysis for: {question!r} on {dataset_title}.")
        if naive_sentence:
            lines.append(naive_sentence + " This is a plain comparison, not a causal estimate.")
        elif naive_difference is None and eda is not None:
            lines.append(f"Exploratory analysis ran on {eda.result.get('rows')} rows.")
        caveats = []
    for failure in failures:
        caveats.append(f"the {failure.name} step failed: {(failure.outcome or {}).get('error')}")
    if causal is not None:
        lines += list(notes or [])
    if caveats:
        lines.append("Caveats: " + "; ".join(caveats) + ".")
    return "\n\n".join(lines)
