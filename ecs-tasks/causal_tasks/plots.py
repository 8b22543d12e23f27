"""PNG plots for EDA and causal results (matplotlib, Agg backend)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from causal_common.models.tools import CausalResult, EdaResult  # noqa: E402


def _png(figure: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return buffer.getvalue()


def outcome_by_treatment(df: pd.DataFrame, treatment: str, outcome: str) -> bytes:
    figure, axis = plt.subplots(figsize=(6, 3.5))
    for value, label in ((0, "control"), (1, "treated")):
        values = df.loc[df[treatment] == value, outcome].dropna()
        axis.hist(values, bins=40, alpha=0.55, density=True, label=f"{label} (n={len(values)})")
    axis.set_xlabel(outcome)
    axis.set_ylabel("density")
    axis.set_title(f"{outcome} by {treatment}")
    axis.legend()
    return _png(figure)


def propensity_overlap(scores: np.ndarray, treated: np.ndarray) -> bytes:
    figure, axis = plt.subplots(figsize=(6, 3.5))
    bins = np.linspace(0, 1, 41).tolist()
    axis.hist(scores[~treated], bins=bins, alpha=0.55, density=True, label="control")
    axis.hist(scores[treated], bins=bins, alpha=0.55, density=True, label="treated")
    axis.set_xlabel("propensity score")
    axis.set_ylabel("density")
    axis.set_title("Propensity overlap")
    axis.legend()
    return _png(figure)


def balance(result: EdaResult) -> bytes:
    rows = sorted(result.balance, key=lambda row: abs(row.smd))
    figure, axis = plt.subplots(figsize=(6, 0.3 * len(rows) + 1.2))
    axis.scatter([row.smd for row in rows], range(len(rows)))
    axis.set_yticks(range(len(rows)), [row.covariate for row in rows])
    for edge in (-0.1, 0.1):
        axis.axvline(edge, color="grey", linestyle=":")
    axis.axvline(0, color="black", linewidth=0.8)
    axis.set_xlabel("standardised mean difference (treated − control)")
    axis.set_title("Covariate balance")
    return _png(figure)


def correlations(result: EdaResult, outcome: str) -> bytes:
    items = sorted(result.correlations_with_outcome.items(), key=lambda item: abs(item[1]))
    figure, axis = plt.subplots(figsize=(6, 0.3 * len(items) + 1.2))
    axis.barh([name for name, _ in items], [value for _, value in items])
    axis.set_xlabel(f"correlation with {outcome}")
    axis.set_title("Correlations with the outcome")
    return _png(figure)


def causal_graph(result: CausalResult, instruments: list[str]) -> bytes:
    """Common causes → treatment and outcome, treatment → outcome, instruments → treatment."""
    causes = result.common_causes[:12]
    hidden = len(result.common_causes) - len(causes)
    figure, axis = plt.subplots(figsize=(7, max(3.0, 0.45 * len(causes) + 1)))
    axis.axis("off")
    treatment_xy, outcome_xy = (0.45, 0.5), (0.9, 0.5)

    def node(xy: tuple[float, float], text: str, color: str) -> None:
        axis.annotate(
            text,
            xy,
            ha="center",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "round", "facecolor": color, "edgecolor": "black"},
        )

    def arrow(start: tuple[float, float], end: tuple[float, float], color: str = "grey") -> None:
        axis.annotate("", end, start, arrowprops={"arrowstyle": "->", "color": color, "shrinkA": 14, "shrinkB": 18})

    for index, name in enumerate(causes):
        y = 0.95 - 0.9 * index / max(len(causes) - 1, 1) if len(causes) > 1 else 0.85
        arrow((0.08, y), treatment_xy)
        arrow((0.08, y), outcome_xy, color="lightgrey")
        node((0.08, y), name, "#e8eef7")
    if hidden:
        axis.text(0.08, 0.0, f"+{hidden} more", ha="center", fontsize=8)
    for index, name in enumerate(instruments):
        xy = (0.45, 0.1 + 0.1 * index)
        arrow(xy, treatment_xy, color="tab:green")
        node(xy, name, "#e6f4e6")
    arrow(treatment_xy, outcome_xy, color="tab:red")
    node(treatment_xy, result.treatment, "#fde2c8")
    node(outcome_xy, result.outcome, "#f9d0d0")
    axis.set_title(f"Causal graph: {result.method} {result.target.upper()} = {result.estimate:,.4g}", fontsize=10)
    return _png(figure)


def event_study(result: CausalResult) -> bytes:
    """The effect by period relative to adoption with 95% intervals; the leads should sit on zero."""
    points = result.event_study
    figure, axis = plt.subplots(figsize=(7, 3.5))
    relative = [point.relative_period for point in points]
    estimates = [point.estimate for point in points]
    lower = [point.estimate - point.ci[0] if point.ci else 0.0 for point in points]
    upper = [point.ci[1] - point.estimate if point.ci else 0.0 for point in points]
    # Leads (before adoption) in grey: they test parallel trends; lags in blue: the effect.
    for before, color in ((True, "tab:grey"), (False, "tab:blue")):
        chosen = [index for index, r in enumerate(relative) if (r < 0) == before]
        axis.errorbar(
            [relative[i] for i in chosen],
            [estimates[i] for i in chosen],
            yerr=[[lower[i] for i in chosen], [upper[i] for i in chosen]],
            fmt="o",
            color=color,
            capsize=3,
        )
    axis.axhline(0, color="black", linewidth=0.8)
    axis.axvline(-0.5, color="grey", linestyle=":")
    axis.set_xlabel("periods relative to adoption (−1 is the base)")
    axis.set_ylabel(f"effect on {result.outcome}")
    p_value = result.diagnostics.get("pre_trend_p_value")
    pre = f"; pre-trend test p = {p_value:.3g}" if p_value is not None else ""
    axis.set_title(f"Event study: {result.treatment} → {result.outcome}{pre}", fontsize=10)
    return _png(figure)
