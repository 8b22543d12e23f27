"""The offline planner: the LLM's stand-in when no API key is configured.

It reads the question (``causal_agent.reading``) against the dataset's
manifest and decides one step at a time:

- a description of the data → one data query, answered with its figures and the SQL;
- a causal question → data query (naive comparison) → EDA → causal analysis → an answer
  written from their results, with the adjustment set and the contrast asked for;
- a question about something the data do not have → says so (or asks, when someone can answer);
- anything unclear → asks, offering the dataset's actual candidates.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from causal_agent import answer, describe
from causal_agent.adjustment import AdjustmentPlan, adjustment_sentences, plan_adjustment
from causal_agent.conversation import ToolExchange, exchanges, last_question_index, latest_question
from causal_agent.reading.columns import ColumnIndex
from causal_agent.reading.confirm import read_confirmation
from causal_agent.reading.descriptive import numeric, to_sql
from causal_agent.reading.designs import DesignReading, read_design
from causal_agent.reading.reader import Reading, read_question
from causal_agent.reading.replies import apply_replies
from causal_agent.state import Decision, ToolCall
from causal_common.models.datasets import DatasetManifest
from causal_common.models.frames import PromptOption
from causal_common.models.tools import CausalSummary
from causal_common.roles import fixed_before_treatment

MAX_CLARIFICATIONS = 2
_REFERS_BACK = re.compile(r"\b(?:it|its|it's|this|that|these|those|the\s+same|same|also|too|and|then)\b", re.IGNORECASE)


def new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:20]}"


def _tool(name: str, arguments: dict) -> Decision:
    return Decision(kind="tool", tool_call=ToolCall(call_id=new_call_id(), name=name, arguments=arguments))


def _ask(question: str, expects: dict[str, Any], options: list[PromptOption] | None = None) -> Decision:
    expects = {**expects, "prompt": question} if expects.get("kind") == "post_treatment" else expects
    if options:
        expects = {**expects, "choices": [option.model_dump() for option in options]}
        return _tool(
            "ask_user", {"question": question, "options": [o.model_dump() for o in options], "expects": expects}
        )
    return _tool("ask_user", {"question": question, "expects": expects})


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def naive_query(manifest: DatasetManifest, treatment: str, outcome: str) -> str:
    column = manifest.column(treatment)
    outcome_column = manifest.column(outcome)
    t = _quote(treatment)
    y = numeric(outcome_column) if outcome_column is not None else _quote(outcome)
    if column is not None and column.dtype == "float":
        return (
            f"SELECT COUNT(*) AS n, AVG({t}) AS mean_treatment, AVG({y}) AS mean_outcome, "
            f"REGR_SLOPE({y}, {t}) AS naive_slope, CORR({y}, {t}) AS correlation FROM data"
        )
    if column is not None and (column.coding or column.dtype == "boolean"):
        treated = numeric(column)
        return (
            f"SELECT {treated} AS treatment, COUNT(*) AS n, AVG({y}) AS mean_outcome, STDDEV_SAMP({y}) AS sd_outcome "
            f"FROM data WHERE {t} IS NOT NULL GROUP BY 1 ORDER BY 1"
        )
    return (
        f"SELECT {t} AS treatment, COUNT(*) AS n, AVG({y}) AS mean_outcome, STDDEV_SAMP({y}) AS sd_outcome "
        f"FROM data GROUP BY {t} ORDER BY {t}"
    )


def _settled_tools(found: list) -> set[str]:
    """Tools not worth calling again: they succeeded, or failed for a reason a retry will not fix.

    A call rejected for its arguments gets one more try with the planner's own arguments.
    """
    settled: set[str] = set()
    rejected: dict[str, int] = {}
    for exchange in found:
        if exchange.outcome is None:
            continue
        error = str((exchange.outcome or {}).get("error") or "")
        if exchange.ok or not error.startswith("invalid arguments"):
            settled.add(exchange.name)
        else:
            rejected[exchange.name] = rejected.get(exchange.name, 0) + 1
            if rejected[exchange.name] >= 2:
                settled.add(exchange.name)
    return settled


@dataclass
class PlannerInput:
    conversation: list[dict]
    manifest: DatasetManifest
    # A session with a user can be asked; one started without a connection cannot.
    interactive: bool
    # The last turn: answer with what is there.
    must_finish: bool = False
    # The question as asked (the agent's steps pass AgentState.question); by default the conversation's latest.
    question: str | None = None


def _answered_asks(found: list[ToolExchange]) -> list[tuple[dict[str, Any], str, str | None]]:
    """Each answered question's ``expects``, the reply's text and the option it picked (if any)."""
    return [
        (
            dict(e.arguments.get("expects") or {}),
            str(e.result.get("reply") or ""),
            str(e.result["optionId"]) if e.result.get("optionId") else None,
        )
        for e in found
        if e.name == "ask_user" and e.ok
    ]


def _previous_causal(conversation: list[dict], start: int) -> dict[str, Any] | None:
    """The variables of the last causal analysis before this question (for follow-ups)."""
    for exchange in reversed(exchanges(conversation[:start])):
        if (
            exchange.name == "causal_analysis"
            and exchange.arguments.get("treatment")
            and exchange.arguments.get("outcome")
        ):
            return exchange.arguments
    return None


def understand(given: PlannerInput) -> tuple[Reading, list[ToolExchange], str]:
    """The reading of the latest question after the user's replies, this question's tool exchanges, the question."""
    conversation, manifest = given.conversation, given.manifest
    start = max(last_question_index(conversation), 0)
    found = exchanges(conversation, start)
    question = given.question if given.question is not None else latest_question(conversation)
    index = ColumnIndex(manifest)
    reading = read_question(question, manifest, index)
    reading = _roles_apart_from_the_design(question, reading, manifest, index)
    reading = _treatment_from_named_groups(question, reading, manifest, index)
    previous = _previous_causal(conversation, start) if reading.intent == "causal" else None
    if previous is not None and manifest.column(previous["treatment"]) and manifest.column(previous["outcome"]):
        if not (reading.treatment or reading.outcome):
            reading.treatment, reading.outcome = previous["treatment"], previous["outcome"]
            reading.how = "as in your previous question"
        elif reading.how == "from the dataset's column roles" and _REFERS_BACK.search(question):
            # "and its effect on re74?": the role the question leaves open is the previous question's.
            if reading.outcome and previous["treatment"] != reading.outcome:
                reading.treatment = previous["treatment"]
            elif reading.treatment and previous["outcome"] != reading.treatment:
                reading.outcome = previous["outcome"]
            reading.how = "the rest as in your previous question"
    read_before_replies = (reading.treatment, reading.outcome)
    reading = apply_replies(reading, _answered_asks(found), manifest, index)
    # Once a tool ran on some variables, stay with them, unless a reply changed them ("the treatment is X").
    earlier = next(
        (
            e.arguments
            for e in reversed(found)
            if e.name in ("causal_analysis", "eda") and e.arguments.get("treatment") and e.arguments.get("outcome")
        ),
        None,
    )
    changed_by_reply = (reading.treatment, reading.outcome) != read_before_replies
    if changed_by_reply and reading.complete:
        reading.reply_notes.append(
            f"You said to estimate the effect of `{reading.treatment}` on `{reading.outcome}`, so that is what this "
            "answer is about."
        )
    if earlier and reading.intent == "causal" and not changed_by_reply:
        reading.treatment, reading.outcome = earlier["treatment"], earlier["outcome"]
    return reading, found, question


def plan(given: PlannerInput) -> Decision:
    manifest = given.manifest
    reading, found, question = understand(given)
    asked = sum(1 for e in found if e.name == "ask_user")
    can_ask = given.interactive and asked < MAX_CLARIFICATIONS and not given.must_finish

    if reading.intent == "other":
        return Decision(kind="final", text=describe.other_text(reading, manifest))
    if reading.intent == "unanswerable":
        if can_ask:
            text, expects = describe.concept_question(reading, manifest)
            return _ask(text, expects)
        return Decision(kind="final", text=describe.unanswerable_text(reading, manifest))
    if reading.intent == "descriptive" and reading.descriptive is not None:
        query = answer.latest(found, "data_query", ok_only=False)
        if query is None and not given.must_finish:
            return _tool("data_query", {"sql": to_sql(reading.descriptive, manifest), "limit": 200})
        return Decision(kind="final", text=describe.descriptive_answer(reading.descriptive, manifest, query))

    if not reading.complete:
        if can_ask:
            text, expects = describe.roles_question(reading, manifest)
            return _ask(text, expects)
        return Decision(
            kind="final",
            text=(
                f"I could not tell which effect to estimate from {question!r}. {manifest.title} has the columns "
                f'{describe.describe_columns(manifest)}. Ask, for example, "{describe.example_question(manifest)}".'
            ),
        )

    assert reading.treatment and reading.outcome
    implied = read_design(question, manifest, reading.treatment, reading.outcome, ColumnIndex(manifest))
    done = _settled_tools(found)
    adjustment = plan_adjustment(reading, manifest)
    confirm_asks, confirmed = _design_confirmation(found)
    if not given.must_finish:
        if "data_query" not in done:
            return _tool("data_query", {"sql": naive_query(manifest, reading.treatment, reading.outcome), "limit": 50})
        if "eda" not in done and not implied.treated_groups:
            return _tool(
                "eda",
                {
                    "treatment": reading.treatment,
                    "outcome": reading.outcome,
                    "covariates": adjustment.common_causes or None,
                },
            )
        timing_asks = sum(1 for e in found if e.name == "ask_user" and _kind(e) == "post_treatment")
        open_columns = [name for name in adjustment.suspects if name not in reading.timing]
        if reading.timing_unsettled and timing_asks == 1:
            open_columns = [name for name in reading.timing_unsettled if name not in reading.timing]
        if (
            open_columns
            and can_ask
            and "causal_analysis" not in done
            and (timing_asks == 0 or (timing_asks == 1 and reading.timing_unsettled))
        ):
            again = timing_asks == 1
            return _ask(
                _post_treatment_question(reading, adjustment, open_columns, again),
                {"kind": "post_treatment", "columns": open_columns},
                TIMING_OPTIONS,
            )
        analysed = answer.latest(found, "causal_analysis")
        if (
            analysed is not None
            and analysed.causal.design_from_data
            and implied.design is None
            and confirmed is None
            and can_ask
            and confirm_asks < 2
        ):
            # The design was read from the data alone: the user knows how the treatment was assigned; ask once
            # (again once if the reply settled nothing), with the estimate it gave.
            return _ask(
                _confirm_question(reading, analysed.causal, again=confirm_asks == 1),
                {"kind": "confirm_design", "design": analysed.causal.design},
                _confirm_options(analysed.causal.design or ""),
            )
        # A curated (bundled) dataset declares its covariates as measured before the treatment: nothing to ask.
        declared = manifest.origin == "bundled"
        if (
            analysed is not None
            and can_ask
            and timing_asks == 0
            and confirm_asks == 0
            and not reading.adjustment.given
            and not declared
        ):
            # The data showed that leaving a covariate out moves the estimate beyond its interval, and nobody
            # has said when it was measured: ask, with choices (the table in the answer shows both).
            # A trait no treatment changes (age, sex, region, distance, a baseline) is not asked about.
            movers = [
                name
                for variant in analysed.causal.adjustment_sensitivity
                if variant.moves
                for name in variant.left_out
                if name not in reading.timing and name in adjustment.common_causes and not _fixed_before(manifest, name)
            ]
            if movers:
                movers = list(dict.fromkeys(movers))
                return _ask(
                    _decisive_question(reading, analysed.causal, movers),
                    {"kind": "post_treatment", "columns": movers},
                    TIMING_OPTIONS,
                )
        if analysed is not None and sorted(analysed.arguments.get("common_causes") or []) != sorted(
            adjustment.common_causes
        ):
            done.discard("causal_analysis")  # a reply changed the adjustment set: estimate again
        if analysed is not None and confirmed is False and analysed.arguments.get("design") != "backdoor":
            done.discard("causal_analysis")  # the user turned the data's design down: plain adjustment
        if "causal_analysis" not in done:
            arguments: dict[str, Any] = {
                "treatment": reading.treatment,
                "outcome": reading.outcome,
                "common_causes": adjustment.common_causes,
            }
            if reading.target in ("ate", "att"):
                arguments["target"] = reading.target
            if reading.design.instruments:
                arguments["instruments"] = reading.design.instruments
            arguments.update(design_arguments(implied, reading))
            if confirmed is False:
                arguments["design"] = "backdoor"
            return _tool("causal_analysis", arguments)
    notes = _reading_notes(reading, adjustment, found) + _confirmation_notes(found, confirmed)
    return Decision(kind="final", text=answer.write_answer(question, manifest.title, found, reading.how, notes=notes))


DESIGN_NAMES = {
    "did": "difference in differences",
    "randomised": "a randomised comparison",
    "rdd": "a regression discontinuity",
    "iv": "instrumental variables",
}


def _confirm_options(design: str) -> list[PromptOption]:
    name = DESIGN_NAMES.get(design, design)
    return [
        PromptOption(id="yes", label=f"Yes: use {name}", effect="the answer keeps this estimate"),
        PromptOption(
            id="no",
            label="No: plain adjustment instead",
            effect="treated and untreated rows are compared adjusting for the covariates",
        ),
    ]


def _fixed_before(manifest: DatasetManifest, name: str) -> bool:
    column = manifest.column(name)
    return fixed_before_treatment(name, column.description if column else "")


def _design_confirmation(found: list[ToolExchange]) -> tuple[int, bool | None]:
    """How many times the design was put to the user, and the last reply's decision (None: not settled)."""
    asks = [
        (expects, reply, option)
        for expects, reply, option in _answered_asks(found)
        if expects.get("kind") == "confirm_design"
    ]
    if not asks:
        return 0, None
    expects, reply, option = asks[-1]
    options = [(o.id, o.label) for o in _confirm_options(str(expects.get("design") or ""))]
    return len(asks), read_confirmation(option or reply, options)


def _confirmation_notes(found: list[ToolExchange], decision: bool | None) -> list[str]:
    """What the reply to "use this design?" decided, for the answer's first lines ([] when nobody was asked)."""
    asks = [expects for expects, _, _ in _answered_asks(found) if expects.get("kind") == "confirm_design"]
    if not asks:
        return []
    name = DESIGN_NAMES.get(str(asks[-1].get("design") or ""), "the design the data suggested")
    if decision is True:
        return [f"Your reply: you confirmed {name}, so the answer uses it."]
    if decision is False:
        return [f"Your reply: you turned {name} down, so the answer is plain adjustment instead."]
    return [
        f"Your reply did not say whether to use {name}; the answer uses it because the data's shape suggests it. "
        'Say "plain adjustment instead" to change that.'
    ]


def _confirm_question(reading: Reading, result: CausalSummary, again: bool) -> str:
    name = DESIGN_NAMES.get(result.design or "", result.design or "this design")
    interval = f" (95% CI {answer.number(result.ci[0])} to {answer.number(result.ci[1])})" if result.ci else ""
    # What the data showed (a panel, or a cutoff the treatment switches at), up to its ", so the design …".
    shape = next((w for w in result.warnings if w.startswith(("the data form a panel", "the data show a cutoff"))), "")
    if result.design == "randomised":
        why = (
            f"the groups with and without `{reading.treatment}` look alike before treatment, as if it was assigned "
            "at random"
        )
    else:
        why = shape.split("), so")[0] + ")" if shape else result.design_reason
    opening = f"I could not tell from your reply whether to use {name}. " if again else ""
    return (
        f"{opening}Nobody named a design, but {why}. So I estimated the effect of `{reading.treatment}` on "
        f"`{reading.outcome}` by {name}: {answer.number(result.estimate)}{interval}. Is that right for how "
        f"`{reading.treatment}` was assigned? Pick a choice, or answer in your own words."
    )


TIMING_OPTIONS = [
    PromptOption(id="before", label="Measured before the treatment: keep adjusting", effect="it stays a control"),
    PromptOption(id="after", label="Measured after: leave it out", effect="it is not adjusted for"),
    PromptOption(
        id="unsure", label="Not sure: show me both", effect="the answer gives the estimate with and without it"
    ),
]


def _decisive_question(reading: Reading, result: CausalSummary, columns: list[str]) -> str:
    variants = {tuple(v.left_out): v for v in result.adjustment_sensitivity}
    full = variants.get(())
    parts = [
        f"without `{name}`: {answer.number(variants[(name,)].estimate)}" for name in columns if (name,) in variants
    ]
    with_all = (
        f"adjusting for {'it' if len(columns) == 1 else 'them'}: {answer.number(full.estimate)}; " if full else ""
    )
    return (
        f"The effect of `{reading.treatment}` on `{reading.outcome}` depends on whether "
        f"{', '.join(f'`{c}`' for c in columns)} {'is' if len(columns) == 1 else 'are'} adjusted for "
        f"({with_all}{'; '.join(parts)}), and the data cannot tell which is right. If "
        f"{'it was' if len(columns) == 1 else 'they were'} measured before `{reading.treatment}` "
        f"(a cause of both), keep adjusting; if after (changed by the treatment, or by both), leave "
        f"{'it' if len(columns) == 1 else 'them'} out. Which is it?"
    )


def _roles_apart_from_the_design(
    question: str, reading: Reading, manifest: DatasetManifest, index: ColumnIndex
) -> Reading:
    """A sentence that states the design ("everyone who scored 70 or more got the award") is not the question:
    when it put the design's own column into a role, the roles come from the other sentences."""
    implied = read_design(question, manifest, None, None, index)
    design_columns = {implied.running, *implied.instruments} - {None}
    if not implied.evidence or not ({reading.treatment, reading.outcome} & design_columns):
        return reading
    sentences = re.split(r"(?<=[.;!?])\s+", question)
    rest = " ".join(s for s in sentences if not any(e in s for e in implied.evidence))
    if not rest.strip() or rest == question:
        return reading
    again = read_question(rest, manifest, index)
    if again.intent == "causal" and again.complete and not ({again.treatment, again.outcome} & design_columns):
        again.how = reading.how if again.how == "named in the question" else again.how
        return again
    return reading


def _treatment_from_named_groups(
    question: str, reading: Reading, manifest: DatasetManifest, index: ColumnIndex
) -> Reading:
    """ "The coastal depots moved to night shifts from 2019": when the words name the treated groups (values of a
    text column) with a start and the outcome, and no yes/no column was named for the change, the groups are the
    treatment (as ``design_arguments`` makes them for the analysis)."""
    if not reading.outcome or reading.intent not in ("causal", "unanswerable"):
        return reading
    named = manifest.column(reading.treatment) if reading.treatment else None
    if named is not None and named.binary:
        return reading
    implied = read_design(question, manifest, None, reading.outcome, index)
    if implied.design != "did" or not implied.group_column or not implied.treated_groups:
        return reading
    if implied.group_column == reading.outcome:
        return reading
    reading.intent = "causal"
    reading.treatment = implied.group_column
    reading.how = f"the treated {implied.group_column} you named ({', '.join(implied.treated_groups)})"
    return reading


def design_arguments(implied: DesignReading, reading: Reading) -> dict[str, Any]:
    """The causal_analysis arguments for what the user's words say about the design and the rows."""
    arguments: dict[str, Any] = {}
    if implied.design == "rdd" and implied.running not in (reading.treatment, reading.outcome):
        arguments.update(design="rdd", running=implied.running, cutoff=implied.cutoff, cutoff_side=implied.cutoff_side)
    elif implied.design == "did":
        arguments["design"] = "did"
        if implied.treatment_start:
            arguments["treatment_start"] = implied.treatment_start
        if implied.treated_groups and implied.group_column and implied.group_column != reading.outcome:
            arguments.update(group_column=implied.group_column, treated_groups=implied.treated_groups)
            arguments["treatment"] = implied.group_column
    elif implied.design == "iv":
        # The user's instrument stays the design: a weak one is reported as weak, never silently replaced.
        arguments.update(design="iv", instruments=implied.instruments)
    elif implied.design == "randomised":
        arguments["design"] = "randomised"
    if implied.subgroup:
        arguments["subgroup"] = [{"column": s.column, "op": s.op, "value": s.value} for s in implied.subgroup]
    if implied.by_group and implied.by_group not in (reading.treatment, reading.outcome):
        arguments["by_group"] = implied.by_group
    return arguments


def _kind(exchange: ToolExchange) -> str | None:
    return (exchange.arguments.get("expects") or {}).get("kind")


def _post_treatment_question(reading: Reading, adjustment: AdjustmentPlan, columns: list[str], again: bool) -> str:
    listed = "; ".join(f"`{name}` ({adjustment.suspects.get(name, 'you named it')})" for name in columns)
    one = len(columns) == 1
    opening = (
        f"I could not tell from your reply when {'it was' if one else 'these were'} measured: {listed}. "
        if again
        else f"Before I estimate the effect of `{reading.treatment}` on `{reading.outcome}`: {listed} may have "
        f"been measured after `{reading.treatment}`. "
    )
    return (
        f"{opening}Adjusting for something the treatment changes hides part of its effect; adjusting for a cause "
        f"of both removes bias. Was {'it' if one else 'each'} measured before or after `{reading.treatment}`? "
        f"Should I leave {'it' if one else 'them'} out? Pick a choice, or answer in your own words "
        f'(e.g. "keep {columns[0]}, it was recorded at the start").'
    )


def _reading_notes(reading: Reading, adjustment: AdjustmentPlan, found: list[ToolExchange]) -> list[str]:
    notes: list[str] = [f"Your reply: {note}" for note in reading.reply_notes]
    causal = answer.latest(found, "causal_analysis")
    if reading.treatment_note:
        notes.append(reading.treatment_note)
    if reading.direction_assumed:
        notes.append(
            f"I read `{reading.treatment}` as the cause and `{reading.outcome}` as the effect ({reading.how}). "
            f'If you meant the other way round, ask "effect of {reading.outcome} on {reading.treatment}".'
        )
    if reading.also_named:
        notes.append(
            f"You also named {', '.join(f'`{c}`' for c in reading.also_named)} as a cause; this answer is "
            f"about `{reading.treatment}` only (ask about each separately)."
        )
    notes += adjustment_sentences(adjustment, reading)
    contrast = reading.contrast
    if causal is not None and contrast is not None:
        estimate = causal.causal.estimate
        units = contrast.units(causal.causal.treatment_mean)
        if estimate is not None and units is not None and contrast.factor is not None:
            mean = causal.causal.treatment_mean
            notes.append(
                f"You asked about {contrast.label}: from its average of {answer.number(mean)} to "
                f"{answer.number((mean or 0) * contrast.factor)} is a change of {answer.number(units)} in "
                f"`{reading.treatment}`, for which `{reading.outcome}` changes by about "
                f"**{answer.number(estimate * units)}** ({answer.number(units)} × the estimated effect per unit, "
                "assuming the effect per unit holds over that range)."
            )
        elif estimate is not None and units is not None:
            value = estimate * units
            notes.append(
                f"You asked about {contrast.label}: for that, `{reading.outcome}` changes by about "
                f"**{answer.number(value)}** ({'minus ' if contrast.sign < 0 else ''}"
                f"{'' if contrast.scale == 1 else f'{contrast.scale:g} × '}the estimated effect)."
            )
    return notes


def ask_for_dataset(manifests: list[DatasetManifest], interactive: bool, question: str) -> Decision:
    """No dataset chosen: ask which one (listing them), or say how to choose when nobody can reply."""
    if not manifests:
        return Decision(
            kind="final",
            text="No datasets are loaded yet, so there is nothing to analyse. "
            "Upload a CSV or deploy the bundled datasets, then ask again.",
        )
    listing = "; ".join(f"{index}. {m.id} — {m.title} ({m.rows} rows)" for index, m in enumerate(manifests, 1))
    if interactive:
        return _tool("ask_user", {"question": f"Which dataset should I use? {listing}"})
    return Decision(
        kind="final",
        text=(
            f"Your question {question!r} does not name a dataset. Available datasets: {listing}. "
            f"Ask again with a datasetId, e.g. {json.dumps({'action': 'query', 'text': question, 'datasetId': manifests[0].id})}."
        ),
    )
