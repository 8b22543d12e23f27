"""Writing the answer from tool results: the figures come from the tools, never from templates alone."""

from __future__ import annotations

import math
from typing import Any

from causal_common.agent.conversation import ToolExchange
from causal_common.models.frames import AnswerArtifact, AnswerRefutation, AnswerResult


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
    result = causal.result
    if result.get("estimate") is None:
        return None
    artifacts = [a for a in result.get("artifacts") or [] if a.get("url")]
    eda = latest(found, "eda")
    if eda is not None:
        artifacts += [a for a in eda.result.get("artifacts") or [] if a.get("url")]
    ci = result.get("ci")
    return AnswerResult(
        treatment=result.get("treatment") or causal.arguments.get("treatment", ""),
        outcome=result.get("outcome") or causal.arguments.get("outcome", ""),
        estimate=float(result["estimate"]),
        ci=(float(ci[0]), float(ci[1])) if ci else None,
        method=result.get("method") or "",
        naive_estimate=float(result.get("naive_estimate") or 0.0),
        refutations=[
            AnswerRefutation(name=r.get("name", ""), passed=bool(r.get("passed")), detail=r.get("detail") or "")
            for r in result.get("refutations") or []
        ],
        artifacts=[AnswerArtifact(name=a.get("name") or "artifact", url=a["url"]) for a in artifacts],
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
        return (f"Naive regression slope of the outcome on the treatment: {number(row.get('naive_slope'))} "
                f"(correlation {number(row.get('correlation'))}, {row.get('n')} rows)."), row.get("naive_slope")
    if "mean_outcome" in columns and len(rows) == 2:
        groups = [dict(zip(columns, row, strict=False)) for row in rows]
        control, treated = groups[0], groups[1]
        difference = float(treated["mean_outcome"]) - float(control["mean_outcome"])
        return (
            f"Raw group means: {number(treated['mean_outcome'])} (treated, n={treated.get('n')}) vs "
            f"{number(control['mean_outcome'])} (control, n={control.get('n')}), a difference of {number(difference)}."
        ), difference
    return "", None


def write_answer(question: str, dataset_title: str, found: list[ToolExchange], how_chosen: str,
                 notes: list[str] | None = None) -> str:
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
        r = causal.result
        treatment, outcome = r.get("treatment"), r.get("outcome")
        target = (r.get("target") or "ate").upper()
        lines.append(f"**Effect of `{treatment}` on `{outcome}`** — {dataset_title}, {r.get('rows')} rows "
                     f"(variables {how_chosen}).")
        ci = r.get("ci")
        ci_text = f" (95% CI {number(ci[0])} to {number(ci[1])})" if ci else ""
        causes = r.get("common_causes") or []
        adjust = f", adjusting for {', '.join(causes)}" if causes else ", with no adjustment set"
        lines.append(f"Estimated {target}: **{number(r.get('estimate'))}**{ci_text}, method `{r.get('method')}`{adjust}.")
        if r.get("target_reason"):
            # The task's reason may already start with "ATE:"; say it once.
            reason = str(r["target_reason"]).removeprefix(f"{target}:").strip()
            lines.append(f"Why {target}: {reason}")
        estimate, naive = r.get("estimate"), r.get("naive_estimate")
        if naive is not None and estimate is not None:
            lines.append(f"Naive comparison (no adjustment): {number(naive)}; adjustment changes it by "
                         f"{number(float(estimate) - float(naive))}.")
        if naive_sentence:
            lines.append(naive_sentence)
        others = [m for m in r.get("methods") or [] if m.get("method") != r.get("method")]
        if others:
            lines.append("Other estimators: " + "; ".join(
                f"`{m['method']}` {number(m['estimate'])}" if m.get("error") is None else f"`{m['method']}` failed"
                for m in others) + ".")
        refutations = r.get("refutations") or []
        if refutations:
            lines.append("Refutation tests: " + "; ".join(
                f"{'passed' if x.get('passed') else 'FAILED'} {x.get('name')} ({x.get('detail')})" for x in refutations
            ) + ".")
        caveats = list(r.get("warnings") or [])
        if ci and ci[0] <= 0 <= ci[1]:
            caveats.append("the confidence interval includes zero, so the data do not rule out no effect")
        if any(not x.get("passed") for x in refutations):
            caveats.append("at least one refutation test failed: treat the estimate with caution")
        if eda is not None:
            caveats += [w for w in eda.result.get("warnings") or [] if w not in caveats]
            balance = eda.result.get("balance") or []
            worst = max(balance, key=lambda row: abs(row.get("smd") or 0), default=None)
            if worst is not None and abs(worst.get("smd") or 0) > 0.1:
                caveats.append(f"groups differ before treatment (largest imbalance: {worst['covariate']}, "
                               f"standardised difference {number(worst['smd'])})")
        if estimate is not None:
            direction = "raises" if float(estimate) > 0 else "lowers" if float(estimate) < 0 else "does not change"
            lines.append(f"In short: on this data, `{treatment}` {direction} `{outcome}` by about "
                         f"{number(abs(float(estimate)))} on average ({target}).")
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
