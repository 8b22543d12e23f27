"""Which columns a causal analysis adjusts for, which it never does, and why: the rules, written once.

The agent decides the adjustment set with :func:`decide_adjustment` and passes it to the analysis task, which
applies it and reports what it could not use. Pure: no pandas, no AWS.

A column is never adjusted for when it is an identifier, a date or free text (not a property that causes
anything), an instrument or another column of the design (period, unit, running variable), excluded by the
data's owner, another declared treatment or outcome (usually downstream of the question's treatment), or left
out by the user's instruction. A column that may have been measured after the treatment is flagged on evidence
that can tell "after" from "a strong confounder": its name or description, never an association alone.
"""

from __future__ import annotations

import re
from typing import Literal

from causal_common.models.datasets import Column, ColumnRole, DatasetManifest
from causal_common.models.roles import AdjustmentDecision, AdjustmentInstructions
from causal_common.models.tools import CausalAnalysisArgs

# Roles never adjusted for, with the reason the answer gives.
NEVER_ADJUSTED: dict[ColumnRole, str] = {
    "identifier": "an identifier, not a property of the units",
    "date": "a date",
    "text": "free text",
    "excluded": "marked as excluded in the dataset (e.g. measured after the treatment)",
    "instrument": "an instrument (it should move the outcome only through the treatment)",
    "time": "the time period of panel data",
    "unit": "the unit of panel data",
    "running": "the running variable of a discontinuity design",
}
NO_ROLE = "no role is set for it (name it to adjust for it)"
# A design's own columns are never suspects of being measured after the treatment.
DESIGN_ROLES: frozenset[ColumnRole] = frozenset({"running", "instrument", "time", "unit"})

# Words of a column name that say it was measured after the treatment, or before it.
AFTER_NAME_PARTS = frozenset(
    {"post", "after", "followup", "follow", "fu", "later", "subsequent", "future", "final", "end", "exit", "outcome"}
)
BEFORE_NAME_PARTS = frozenset({"pre", "baseline", "prior", "before", "prev", "previous", "lag", "lagged"})
# Phrases of a description that say the same.
AFTER_WORDS = re.compile(
    r"\b(?:after|following|post|post[-\s]?treatment|post[-\s]?programme|post[-\s]?program|follow[-\s]?up|"
    r"followup|at\s+the\s+end|subsequent(?:ly)?|later|mediat\w*|downstream)\b",
    re.IGNORECASE,
)
BEFORE_WORDS = re.compile(
    r"\b(?:before|prior|pre|baseline|pre[-\s]?treatment|pre[-\s]?programme|pre[-\s]?program|at\s+entry|"
    r"at\s+enrol(?:l)?ment|at\s+intake|earlier)\b",
    re.IGNORECASE,
)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")


def name_parts(name: str) -> list[str]:
    """The words of a column name: split on separators, case changes and digits ("gradeAvg2" → grade, avg, 2)."""
    parts: list[str] = []
    for chunk in re.split(r"[^A-Za-z0-9]+", name):
        if chunk:
            parts.extend(piece.lower() for piece in _CAMEL.split(chunk) if piece)
    return parts


# Traits fixed before any treatment could act: who someone is and where, from birth or from where they live.
FIXED_NAME_PARTS = frozenset(
    {
        "age",
        "aged",
        "sex",
        "gender",
        "race",
        "ethnicity",
        "ethnic",
        "born",
        "birth",
        "birthyear",
        "yob",
        "nationality",
        "country",
        "continent",
        "region",
        "cohort",
        "distance",
        "dist",
    }
)


# Words that name a 0/1 column marking the periods after a change ("post", "after_reform"): beside a 0/1
# treatment that marks the treated group, such a column is the period of a group × post comparison.
PERIOD_MARKER_PARTS = frozenset({"post", "after", "later", "followup", "follow", "endline", "reform", "policy"})


def period_marker_name(name: str) -> bool:
    return bool(PERIOD_MARKER_PARTS & set(name_parts(name)))


def said_before_treatment(name: str, description: str) -> bool:
    return bool(BEFORE_WORDS.search(description) or BEFORE_NAME_PARTS & set(name_parts(name)))


def fixed_before_treatment(name: str, description: str) -> bool:
    """The name or description says the column was measured before the treatment, or names a trait no treatment
    changes (age, sex, region, distance, …): never a post-treatment suspect."""
    return said_before_treatment(name, description) or bool(FIXED_NAME_PARTS & set(name_parts(name)))


def measured_after_cue(name: str, description: str) -> Literal["name", "description"] | None:
    """Which of a column's name or description says it was measured after the treatment, or None."""
    if said_before_treatment(name, description):
        return None
    if AFTER_NAME_PARTS & set(name_parts(name)):
        return "name"
    if AFTER_WORDS.search(description):
        return "description"
    return None


def named_after_treatment(column: Column) -> str | None:
    """Why a column looks measured after the treatment from its name or description, or None."""
    cue = measured_after_cue(column.name, column.description)
    if cue == "name":
        return "its name says it was measured after or at the end"
    if cue == "description":
        return "its description says it was measured after"
    return None


def never_adjusted_reason(column: Column) -> str | None:
    """Why the dataset's roles keep ``column`` out of every adjustment set, or None for a covariate."""
    if column.role == "covariate":
        return None
    if column.role in ("treatment", "outcome"):
        # Another treatment or outcome is usually downstream of the question's treatment.
        return f"the dataset marks it as {'a treatment' if column.role == 'treatment' else 'an outcome'}"
    return NEVER_ADJUSTED.get(column.role, NO_ROLE)


def decide_adjustment(
    manifest: DatasetManifest,
    treatment: str,
    outcome: str,
    *,
    instruments: list[str] | None = None,
    instructions: AdjustmentInstructions | None = None,
    timing: dict[str, str] | None = None,
) -> AdjustmentDecision:
    """The adjustment set, what is left out and why, and the columns worth asking about.

    Defaults come from the manifest's roles; the user's instructions override them. A column is asked about
    only on evidence that can tell "measured after the treatment" from "a strong confounder": its name or
    description, never an association with the treatment (a confounder drives the treatment too, so it looks
    the same). What the user said about timing (``timing``: column → before/after/unsure) is final.
    """
    instructions = instructions or AdjustmentInstructions()
    instruments = instruments or []
    timing = timing or {}
    question_roles = (treatment, outcome)
    candidates: list[str] = []
    left_out: dict[str, str] = {}
    for column in manifest.columns:
        if column.name in question_roles:
            continue
        reason = NEVER_ADJUSTED["instrument"] if column.name in instruments else never_adjusted_reason(column)
        if reason is None:
            candidates.append(column.name)
        else:
            left_out[column.name] = reason
    if instructions.none:
        chosen: list[str] = []
        left_out.update({name: "you asked for no adjustment" for name in candidates})
    elif instructions.only is not None:
        chosen = [name for name in instructions.only if name not in question_roles]
        listed = ", ".join(chosen) or "nothing"
        left_out.update({name: f"you asked to adjust only for {listed}" for name in candidates if name not in chosen})
        for name in chosen:
            left_out.pop(name, None)
    else:
        chosen = [name for name in candidates if name not in instructions.exclude]
        chosen += [name for name in instructions.also if name not in chosen and name not in question_roles]
        for name in instructions.also:
            left_out.pop(name, None)
    for name, reason in instructions.exclude.items():
        if name in chosen:
            chosen.remove(name)
        if name not in question_roles:
            left_out[name] = reason
    named_by_user = set(instructions.also) | set(instructions.only or [])
    treatment_column = manifest.column(treatment)
    treatment_binary = treatment_column is not None and treatment_column.binary
    suspects: dict[str, str] = {}
    for name in chosen:
        chosen_column = manifest.column(name)
        if chosen_column is None or name in named_by_user or name in timing or chosen_column.role in DESIGN_ROLES:
            continue  # the user named it or said when it was measured: their decision
        if treatment_binary and chosen_column.binary and period_marker_name(name):
            continue  # the period of a group × post comparison, not a measurement taken after the treatment
        why = named_after_treatment(chosen_column)
        if why:
            suspects[name] = why
    return AdjustmentDecision(common_causes=chosen, left_out=left_out, suspects=suspects)


def with_adjustment_set(args: CausalAnalysisArgs, manifest: DatasetManifest) -> CausalAnalysisArgs:
    """A ``causal_analysis`` call with its ``common_causes`` decided here when the caller left them out.

    The analysis task applies the set it is given. A call that names its common causes, one whose treatment is
    not a column of the dataset (the task says so), or one whose treatment the task builds from named groups is
    left as it is.
    """
    if args.common_causes is not None or args.group_column or manifest.column(args.treatment) is None:
        return args
    decision = decide_adjustment(
        manifest,
        args.treatment,
        args.outcome,
        instruments=args.instruments,
        instructions=AdjustmentInstructions(exclude={name: "left out on request" for name in args.excluded or []}),
    )
    design_columns = {args.time, args.unit, args.running}
    chosen = [name for name in decision.common_causes if name not in design_columns]
    return args.model_copy(update={"common_causes": chosen})
