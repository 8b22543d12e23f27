"""Which columns the causal analysis adjusts for, which it leaves out, and why.

Defaults come from the manifest's roles; the user's instructions (in the
question or a reply) override them; columns that look measured after the
treatment are flagged, and asked about when somebody can answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from causal_agent.reading.reader import Reading
from causal_agent.reading.words import name_parts
from causal_common.models.datasets import Column, DatasetManifest

_ROLE_REASONS = {
    "identifier": "an identifier, not a property of the units",
    "date": "a date",
    "text": "free text",
    "excluded": "marked as excluded in the dataset",
    "instrument": "an instrument (it should move the outcome only through the treatment)",
    "time": "the time period of panel data",
    "unit": "the unit of panel data",
    "running": "the running variable of a discontinuity design",
    "other": "no role is set for it (name it to adjust for it)",
}
_AFTER_PARTS = {
    "post",
    "after",
    "followup",
    "follow",
    "later",
    "subsequent",
    "future",
    "final",
    "end",
    "exit",
    "outcome",
}
_AFTER_WORDS = re.compile(
    r"\b(?:after|following|post[-\s]?treatment|post[-\s]?programme|post[-\s]?program|"
    r"follow[-\s]?up|at\s+the\s+end|subsequent(?:ly)?|later)\b",
    re.IGNORECASE,
)
_BEFORE_WORDS = re.compile(
    r"\b(?:before|prior|baseline|pre[-\s]?treatment|pre[-\s]?programme|pre[-\s]?program|at\s+entry|"
    r"at\s+enrol(?:l)?ment|at\s+intake|earlier)\b",
    re.IGNORECASE,
)


# A design's own columns are never suspects of being measured after the treatment.
_DESIGN_ROLES = {"running", "instrument", "time", "unit"}


@dataclass
class AdjustmentPlan:
    common_causes: list[str]
    left_out: dict[str, str] = field(default_factory=dict)
    # Adjusted-for columns that may be measured after the treatment, with the reason.
    suspects: dict[str, str] = field(default_factory=dict)


def said_before_treatment(column: Column) -> bool:
    return bool(
        _BEFORE_WORDS.search(column.description)
        or {"pre", "baseline", "prior", "before"} & set(name_parts(column.name))
    )


def named_after_treatment(column: Column) -> str | None:
    """Why a column looks measured after the treatment from its name or description, or None."""
    if said_before_treatment(column):
        return None
    if _AFTER_PARTS & set(name_parts(column.name)):
        return "its name says it was measured after or at the end"
    if _AFTER_WORDS.search(column.description):
        return "its description says it was measured after"
    return None


def plan_adjustment(reading: Reading, manifest: DatasetManifest) -> AdjustmentPlan:
    """The adjustment set, what is left out and why, and the columns worth asking about.

    A column is asked about only on evidence that can tell "measured after the treatment" from "a strong
    confounder": its name or description, never an association with the treatment (a confounder drives
    the treatment too, so it looks the same). What the user said about timing is final. How much each
    covariate moves the estimate is shown in the answer instead (the adjustment-sensitivity table).
    """
    treatment, outcome = reading.treatment, reading.outcome
    instructions = reading.adjustment
    candidates: list[str] = []
    left_out: dict[str, str] = {}
    for column in manifest.columns:
        if column.name in (treatment, outcome):
            continue
        if column.name in reading.design.instruments:
            left_out[column.name] = _ROLE_REASONS["instrument"]
        elif column.role == "covariate":
            candidates.append(column.name)
        elif column.role in ("treatment", "outcome"):
            # Another treatment or outcome is usually downstream of the question's treatment.
            left_out[column.name] = (
                f"the dataset marks it as {'a treatment' if column.role == 'treatment' else 'an outcome'}"
            )
        else:
            left_out[column.name] = _ROLE_REASONS.get(column.role, f"its role is {column.role}")
    if instructions.none:
        chosen: list[str] = []
        left_out.update({name: "you asked for no adjustment" for name in candidates})
    elif instructions.only is not None:
        chosen = [name for name in instructions.only if name not in (treatment, outcome)]
        listed = ", ".join(chosen) or "nothing"
        left_out.update({name: f"you asked to adjust only for {listed}" for name in candidates if name not in chosen})
        for name in chosen:
            left_out.pop(name, None)
    else:
        chosen = [name for name in candidates if name not in instructions.exclude]
        chosen += [name for name in instructions.also if name not in chosen and name not in (treatment, outcome)]
        for name in instructions.also:
            left_out.pop(name, None)
    for name, reason in instructions.exclude.items():
        if name in chosen:
            chosen.remove(name)
        if name not in (treatment, outcome):
            left_out[name] = reason
    suspects: dict[str, str] = {}
    for name in chosen:
        chosen_column = manifest.column(name)
        if chosen_column is None or name in instructions.also or (instructions.only and name in instructions.only):
            continue  # the user named it: their decision
        if name in reading.timing or chosen_column.role in _DESIGN_ROLES:
            continue
        why = named_after_treatment(chosen_column)
        if why:
            suspects[name] = why
    return AdjustmentPlan(chosen, left_out, suspects)


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
