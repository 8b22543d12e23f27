"""The adjustment set for a question: the rules of ``causal_common.roles`` applied to what the user said.

Defaults come from the manifest's roles; the user's instructions (in the question or a reply) override them;
columns that look measured after the treatment are flagged, and asked about when somebody can answer. The
decided set goes to the analysis task as its ``common_causes``.
"""

from __future__ import annotations

from causal_agent.reading.reader import Reading
from causal_common.models.datasets import DatasetManifest
from causal_common.models.roles import AdjustmentDecision, AdjustmentInstructions
from causal_common.roles import decide_adjustment

AdjustmentPlan = AdjustmentDecision


def plan_adjustment(reading: Reading, manifest: DatasetManifest) -> AdjustmentPlan:
    """The adjustment set, what is left out and why, and the columns worth asking about."""
    assert reading.treatment and reading.outcome
    given = reading.adjustment
    return decide_adjustment(
        manifest,
        reading.treatment,
        reading.outcome,
        instruments=reading.design.instruments,
        instructions=AdjustmentInstructions(
            only=given.only, also=list(given.also), exclude=dict(given.exclude), none=given.none
        ),
        timing=reading.timing,
    )


def adjustment_sentences(plan: AdjustmentPlan, reading: Reading) -> list[str]:
    """What the answer says about the adjustment set."""
    lines = []
    if plan.common_causes:
        lines.append("Adjusted for: " + ", ".join(f"`{name}`" for name in plan.common_causes) + ".")
    else:
        lines.append("Adjusted for: nothing (a plain comparison of the groups).")
    if plan.left_out:
        lines.append("Left out: " + "; ".join(f"`{name}` ({why})" for name, why in plan.left_out.items()) + ".")
    if plan.suspects:
        listed = ", ".join(f"`{name}`" for name in plan.suspects)
        reasons = "; ".join(f"`{name}`: {why}" for name, why in plan.suspects.items())
        first = next(iter(plan.suspects))
        lines.append(
            f"Check: {listed} may have been measured after `{reading.treatment}` ({reasons}). Adjusting for something "
            f"the treatment changes hides part of its effect. If that is so, ask again adding "
            f'"not adjusting for {first}" (or "{first} is a mediator").'
        )
    return lines
