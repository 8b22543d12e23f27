"""Contracts of the agent's tools: arguments the LLM may send, results they return.

The JSON schemas the LLM sees are generated from the ``…Args`` models, and
``dispatch-tool`` validates every call against them, so a bad argument goes
back to the LLM as a tool error instead of crashing the workflow.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from causal_common.models.confidence import ConfidenceSet
from causal_common.models.frames import PromptOption

ToolName = Literal["data_query", "eda", "causal_analysis", "ask_user"]

# Where each tool runs: a Lambda function, or an ECS task (task family short name).
TOOL_RUNTIME: dict[str, str] = {
    "data_query": "lambda",
    "eda": "ecs",
    "causal_analysis": "ecs",
}
ECS_TASK_OF_TOOL: dict[str, str] = {"eda": "eda", "causal_analysis": "causal-analysis"}
TOOL_OF_ECS_TASK: dict[str, str] = {task: tool for tool, task in ECS_TASK_OF_TOOL.items()}


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataQueryArgs(_Args):
    """Run one read-only SQL SELECT over the dataset, visible as table ``data``."""

    sql: str = Field(min_length=1, max_length=4000, description="One SELECT statement over the table `data`.")
    limit: int = Field(default=100, ge=1, le=1000, description="Maximum rows returned.")
    intent: Literal["descriptive", "naive_comparison", "check"] = Field(
        default="check",
        description="descriptive: the query's result is the answer to the user's question (counts, shares, means, "
        "medians, distributions, group comparisons, correlations; no causal claim); naive_comparison: "
        "the unadjusted comparison before a causal analysis; check: anything else.",
    )


class EdaArgs(_Args):
    """Exploratory analysis: summaries, missingness, correlations, balance, overlap, plots."""

    treatment: str | None = Field(default=None, description="Binary or continuous treatment column.")
    outcome: str | None = Field(default=None, description="Outcome column.")
    covariates: list[str] | None = Field(default=None, description="Covariates for balance; default all others.")


DesignName = Literal["auto", "randomised", "backdoor", "iv", "did", "rdd"]


class SubgroupCondition(_Args):
    column: str
    op: Literal["==", "!=", ">", ">=", "<", "<="]
    value: str | float


class CausalAnalysisArgs(_Args):
    """Estimate the causal effect of ``treatment`` on ``outcome`` and check it.

    The design (randomised comparison, backdoor adjustment, instrumental
    variables, difference in differences, regression discontinuity) is chosen
    from these arguments, the dataset's column roles and the data, following
    ``docs/causal-methods.md``; ``design`` overrides the choice. Roles left out
    here default to the dataset manifest's.
    """

    treatment: str = Field(description="Treatment column: binary (0/1, yes/no, true/false) or continuous.")
    outcome: str = Field(description="Outcome column (numeric, or binary yes/no).")
    common_causes: list[str] | None = Field(
        default=None,
        description="Confounders to adjust for (measured before the treatment). Follow the user's instructions "
        "('controlling for a and b', 'adjusting only for a'). Default: the dataset's covariates, or every other "
        "usable column; columns flagged as possibly post-treatment are still adjusted for unless they are left out "
        "here, named in `excluded`, or have the role 'excluded'.",
    )
    excluded: list[str] | None = Field(
        default=None,
        description="Columns never to adjust for: measured after the treatment, mediators, colliders, "
        "or ones the user said not to adjust for. Applies to the default covariates.",
    )
    instruments: list[str] | None = Field(
        default=None,
        description="Instrumental variables: columns that move the treatment and reach the outcome only through it. "
        "Naming them asks for an instrumental-variable (2SLS) estimate.",
    )
    time: str | None = Field(
        default=None,
        description="Period column of panel or repeated data; with it the design is difference in differences.",
    )
    unit: str | None = Field(default=None, description="Unit (entity) column of panel data, for unit fixed effects.")
    treatment_start: float | str | None = Field(
        default=None,
        description="Difference in differences when the treatment column marks the treated group (constant over "
        "time): the first period in which that group is treated.",
    )
    group_column: str | None = Field(
        default=None,
        description="Difference in differences when the user named the treated group(s) by value: the text column "
        "whose values name the groups (needs `treated_groups` and `treatment_start`; the treatment is then "
        "'in a treated group, from the start period on').",
    )
    treated_groups: list[str] | None = Field(default=None, description="Values of `group_column` that were treated.")
    subgroup: list[SubgroupCondition] | None = Field(
        default=None,
        description="Estimate within the rows that meet every condition (e.g. age >= 65, region == North).",
    )
    by_group: str | None = Field(
        default=None, description="Also estimate the effect within each value of this column (does it differ by …?)."
    )
    cutoff_side: Literal["above", "below"] | None = Field(
        default=None, description="Which side of `cutoff` is treated (default: decided from the data)."
    )
    running: str | None = Field(
        default=None, description="Running variable of a regression discontinuity (treatment switches at `cutoff`)."
    )
    cutoff: float | None = Field(default=None, description="Value of `running` at which treatment switches on.")
    design: DesignName = Field(
        default="auto",
        description="Override the design choice: randomised, backdoor, iv, did or rdd; auto chooses from the roles.",
    )
    target: Literal["auto", "ate", "att"] = Field(
        default="auto", description="Average effect over everyone (ate), on the treated (att), or chosen from the data."
    )
    refutation_simulations: int = Field(default=10, ge=1, le=200)


class AskUserArgs(_Args):
    """Ask the user a clarifying question and wait for the reply."""

    question: str = Field(min_length=1, max_length=2000)
    options: list[PromptOption] | None = Field(
        default=None,
        max_length=12,
        description="Choices the user can click or number (id, label, what choosing it does); free text still works.",
    )


TOOL_ARGS: dict[str, type[_Args]] = {
    "data_query": DataQueryArgs,
    "eda": EdaArgs,
    "causal_analysis": CausalAnalysisArgs,
    "ask_user": AskUserArgs,
}


class Artifact(BaseModel):
    name: str
    key: str = Field(description="Object key in the artifacts bucket.")
    url: str = Field(description="URL the chat and dashboard can show (gateway /artifacts/… locally).")
    content_type: str = "image/png"


class DataQueryResult(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    row_count: int
    truncated: bool
    elapsed_ms: float


class ColumnSummary(BaseModel):
    name: str
    dtype: str
    missing: int
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    distinct: int | None = None


class BalanceRow(BaseModel):
    covariate: str
    mean_treated: float
    mean_control: float
    smd: float = Field(description="Standardised mean difference (pooled SD).")


class ColumnNote(BaseModel):
    column: str
    reason: str


class EdaResult(BaseModel):
    rows: int
    columns: list[ColumnSummary]
    correlations_with_outcome: dict[str, float] = Field(default_factory=dict)
    treated: int | None = None
    control: int | None = None
    balance: list[BalanceRow] = Field(default_factory=list)
    propensity_overlap: dict[str, float] = Field(
        default_factory=dict, description="min/max propensity per group and the share outside common support."
    )
    post_treatment_suspects: list[ColumnNote] = Field(
        default_factory=list, description="Covariates that look measured after the treatment, with why."
    )
    warnings: list[str] = Field(default_factory=list)
    artifacts: list[Artifact] = Field(default_factory=list)


class MethodEstimate(BaseModel):
    method: str
    estimate: float
    ci: tuple[float, float] | None = None
    elapsed_ms: float | None = None
    error: str | None = None
    confidence_set: ConfidenceSet | None = Field(
        default=None, description="The method's confidence set when it is not an ordinary interval (weak-IV tests)."
    )


class Refutation(BaseModel):
    name: str
    passed: bool
    detail: str
    new_effect: float | None = None
    p_value: float | None = None


class Sensitivity(BaseModel):
    name: str = Field(description="robustness value | e-value")
    value: float
    sentence: str


class ConfounderBenchmark(BaseModel):
    """Would an unmeasured confounder as strong as the strongest measured covariate explain the estimate away?

    Cinelli & Hazlett (2020) benchmark bounds: a confounder that explains as much residual variance of the
    treatment and of the outcome as ``benchmark`` does (partial R², from linear fits) moves the estimate to
    ``adjusted_estimate``; ``explains_away`` when its interval then includes zero though the estimate's did not.
    """

    benchmark: str = Field(description="The measured covariate (or coded text column) that bounds the confounder.")
    r2_treatment: float = Field(description="Partial R² of such a confounder with the treatment, given the rest.")
    r2_outcome: float = Field(description="Partial R² of such a confounder with the outcome, given the rest.")
    adjusted_estimate: float
    adjusted_ci: tuple[float, float]
    explains_away: bool
    sentence: str


class GroupEffect(BaseModel):
    group: str
    rows: int
    estimate: float | None
    ci: tuple[float, float] | None
    error: str | None = None


class EventStudyPoint(BaseModel):
    """The effect ``relative_period`` periods after adoption (negative: before it; −1 is the base, zero)."""

    relative_period: int
    estimate: float
    ci: tuple[float, float] | None = None


class AdjustmentVariant(BaseModel):
    """The linear-adjustment estimate with ``left_out`` removed from the adjustment set ([] = everything kept)."""

    left_out: list[str]
    estimate: float
    ci: tuple[float, float] | None
    moves: bool = Field(default=False, description="Outside the headline's interval: this decision changes the answer.")


class CausalResult(BaseModel):
    treatment: str
    outcome: str
    common_causes: list[str]
    target: Literal["ate", "att", "late", "at_cutoff"]
    target_reason: str
    estimate: float
    ci: tuple[float, float] | None
    method: str
    naive_estimate: float
    methods: list[MethodEstimate]
    refutations: list[Refutation]
    warnings: list[str] = Field(default_factory=list)
    artifacts: list[Artifact] = Field(default_factory=list)
    rows: int
    design: Literal["randomised", "backdoor", "iv", "did", "rdd"] = "backdoor"
    design_reason: str = ""
    assumptions: list[str] = Field(default_factory=list, description="What the estimate relies on, in plain words.")
    treatment_kind: Literal["binary", "continuous"] = "binary"
    outcome_kind: Literal["binary", "continuous"] = "continuous"
    standard_error: float | None = None
    sensitivity: list[Sensitivity] = Field(default_factory=list)
    confounder_benchmark: ConfounderBenchmark | None = Field(
        default=None, description="Whether a confounder as strong as a measured covariate would explain it away."
    )
    specification_check: Refutation | None = None
    disagreement: list[str] = Field(
        default_factory=list, description="Estimators that disagree beyond their intervals, and which is trusted."
    )
    diagnostics: dict[str, float] = Field(
        default_factory=dict, description="first-stage F, bandwidth, pre-trend p-value, effective rows, ..."
    )
    post_treatment_suspects: list[ColumnNote] = Field(default_factory=list)
    left_out: list[ColumnNote] = Field(default_factory=list, description="Every column not adjusted for, and why.")
    coded: list[ColumnNote] = Field(default_factory=list, description="Text columns coded as numbers, and how.")
    subgroup: str | None = Field(default=None, description="The rows the estimate is about, when not all of them.")
    by_group: list[GroupEffect] = Field(default_factory=list, description="The effect within each group.")
    by_group_column: str | None = None
    adjustment_sensitivity: list[AdjustmentVariant] = Field(
        default_factory=list, description="The estimate with each covariate left out in turn (linear adjustment)."
    )
    confidence_set: ConfidenceSet | None = Field(
        default=None,
        description="The headline's confidence set when a weak instrument makes the two-stage least squares "
        "interval untrustworthy: a test valid however weak the instrument, inverted. `ci` is that set when it is "
        "one finite interval and None when it is unbounded, two rays, or empty.",
    )
    event_study: list[EventStudyPoint] = Field(
        default_factory=list,
        description="Difference in differences: the effect by period relative to adoption (leads and lags).",
    )
    treatment_mean: float | None = Field(
        default=None,
        description="Mean of a continuous treatment over the analysed rows (the level a relative change such as "
        "'doubled' is taken from).",
    )
    design_from_data: bool = Field(
        default=False,
        description="The design was read from the data alone (a panel whose treatment switches on, balance "
        "consistent with random assignment), not named by the user or the dataset's roles: the agent asks to "
        "confirm it.",
    )


class ArtifactLink(BaseModel):
    """An artefact as a tool message keeps it: its name and the URL to show."""

    name: str | None = None
    url: str | None = None


class MethodLine(BaseModel):
    method: str
    estimate: float | None = None
    ci: tuple[float, float] | None = None
    error: str | None = None
    confidence_set: ConfidenceSet | None = None


class CausalSummary(BaseModel):
    """A causal_analysis result as the conversation keeps it, read back typed by the planner and the answer.

    The fields of ``CausalResult`` that matter to an answer; a result too long for its tool message loses
    prose fields first (``conversation.compact_outcome``), so each field has a default and a null reads as it.
    """

    model_config = ConfigDict(extra="ignore")

    treatment: str = ""
    outcome: str = ""
    common_causes: list[str] = Field(default_factory=list)
    target: str | None = None
    target_reason: str = ""
    estimate: float | None = None
    ci: tuple[float, float] | None = None
    method: str = ""
    naive_estimate: float | None = None
    rows: int | None = None
    design: str | None = None
    design_reason: str = ""
    assumptions: list[str] = Field(default_factory=list)
    treatment_kind: Literal["binary", "continuous"] = "binary"
    outcome_kind: Literal["binary", "continuous"] = "continuous"
    standard_error: float | None = None
    methods: list[MethodLine] = Field(default_factory=list)
    refutations: list[Refutation] = Field(default_factory=list)
    sensitivity: list[Sensitivity] = Field(default_factory=list)
    confounder_benchmark: ConfounderBenchmark | None = None
    disagreement: list[str] = Field(default_factory=list)
    diagnostics: dict[str, float | None] = Field(default_factory=dict)
    post_treatment_suspects: list[ColumnNote] = Field(default_factory=list)
    left_out: list[ColumnNote] = Field(default_factory=list)
    coded: list[ColumnNote] = Field(default_factory=list)
    subgroup: str | None = None
    by_group: list[GroupEffect] = Field(default_factory=list)
    by_group_column: str | None = None
    adjustment_sensitivity: list[AdjustmentVariant] = Field(default_factory=list)
    confidence_set: ConfidenceSet | None = None
    event_study: list[EventStudyPoint] = Field(default_factory=list)
    design_from_data: bool = False
    treatment_mean: float | None = None
    warnings: list[str] = Field(default_factory=list)
    artifacts: list[ArtifactLink] = Field(default_factory=list)

    @field_validator("*", mode="before")
    @classmethod
    def _null_is_the_default(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.field_name is not None:
            return cls.model_fields[info.field_name].get_default(call_default_factory=True)
        return value


class ToolOutcome(BaseModel):
    """What a tool run hands back to the state machine (AppendToolOutput's input)."""

    tool: str
    call_id: str
    ok: bool
    result: dict[str, Any] | None = None
    error: str | None = None
    job_id: str | None = None
    # ECS tools: where the full result lies (``result`` may be a compact copy).
    result_key: str | None = None
    result_url: str | None = None
