"""The offline planner: the LLM's stand-in when no API key is configured.

It reads the conversation (the same record the OpenAI path uses) and the
dataset's manifest, and decides one step at a time: ask when the question
does not say what to estimate, otherwise data query (naive comparison) →
EDA → causal analysis → an answer written from their results.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from causal_common.agent import answer, intent
from causal_common.agent.conversation import exchanges, last_question_index
from causal_common.agent.state import Decision, ToolCall
from causal_common.models.datasets import DatasetManifest

MAX_CLARIFICATIONS = 2


def new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:20]}"


def _tool(name: str, arguments: dict) -> Decision:
    return Decision(kind="tool", tool_call=ToolCall(call_id=new_call_id(), name=name, arguments=arguments))


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def naive_query(manifest: DatasetManifest, treatment: str, outcome: str) -> str:
    column = manifest.column(treatment)
    t, y = _quote(treatment), _quote(outcome)
    if column is not None and column.dtype == "float":
        return (f"SELECT COUNT(*) AS n, AVG({t}) AS mean_treatment, AVG({y}) AS mean_outcome, "
                f"REGR_SLOPE({y}, {t}) AS naive_slope, CORR({y}, {t}) AS correlation FROM data")
    return (f"SELECT {t} AS treatment, COUNT(*) AS n, AVG({y}) AS mean_outcome, STDDEV_SAMP({y}) AS sd_outcome "
            f"FROM data GROUP BY {t} ORDER BY {t}")


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


def question_text(conversation: list[dict]) -> tuple[str, str]:
    """The latest question, and the question plus the user's replies to clarifications."""
    start = last_question_index(conversation)
    question = str(conversation[start].get("content") or "") if start >= 0 else ""
    replies = [
        str(exchange.result.get("reply") or "")
        for exchange in exchanges(conversation, max(start, 0))
        if exchange.name == "ask_user" and exchange.ok
    ]
    return question, " ".join([question, *replies]).strip()


def plan(given: PlannerInput) -> Decision:
    conversation, manifest = given.conversation, given.manifest
    start = max(last_question_index(conversation), 0)
    found = exchanges(conversation, start)
    question, text = question_text(conversation)

    # Once a tool ran on some variables, stay with them.
    previous = next((e.arguments for e in reversed(found) if e.name in ("causal_analysis", "eda")
                     and e.arguments.get("treatment") and e.arguments.get("outcome")), None)
    variables = intent.resolve_variables(text, manifest)
    if previous and (previous["treatment"], previous["outcome"]) != (variables.treatment, variables.outcome):
        variables = intent.Variables(previous["treatment"], previous["outcome"],
                                     previous.get("common_causes") or previous.get("covariates") or [],
                                     "as chosen earlier in this conversation")

    if not variables.complete:
        asked = sum(1 for e in found if e.name == "ask_user")
        columns = intent.describe_columns(manifest)
        if given.interactive and asked < MAX_CLARIFICATIONS and not given.must_finish:
            return _tool("ask_user", {"question": (
                f"Which column is the treatment and which is the outcome in {manifest.title}? "
                f"Columns: {columns}. For example: \"effect of {manifest.columns[0].name} on "
                f"{manifest.columns[-1].name}\".")})
        return Decision(kind="final", text=(
            f"I could not tell which effect to estimate from {question!r}. {manifest.title} has the columns "
            f"{columns}. Ask, for example, \"What is the effect of <treatment> on <outcome>?\"."))

    done = _settled_tools(found)
    if not given.must_finish:
        if "data_query" not in done:
            return _tool("data_query", {"sql": naive_query(manifest, variables.treatment, variables.outcome),
                                        "limit": 50})
        if "eda" not in done:
            return _tool("eda", {"treatment": variables.treatment, "outcome": variables.outcome,
                                 "covariates": variables.common_causes or None})
        if "causal_analysis" not in done:
            return _tool("causal_analysis", {"treatment": variables.treatment, "outcome": variables.outcome,
                                             "common_causes": variables.common_causes or None})
    return Decision(kind="final", text=answer.write_answer(question, manifest.title, found, variables.how))


def ask_for_dataset(manifests: list[DatasetManifest], interactive: bool, question: str) -> Decision:
    """No dataset chosen: ask which one (listing them), or say how to choose when nobody can reply."""
    if not manifests:
        return Decision(kind="final", text="No datasets are loaded yet, so there is nothing to analyse. "
                                           "Upload a CSV or deploy the bundled datasets, then ask again.")
    listing = "; ".join(f"{index}. {m.id} — {m.title} ({m.rows} rows)" for index, m in enumerate(manifests, 1))
    if interactive:
        return _tool("ask_user", {"question": f"Which dataset should I use? {listing}"})
    return Decision(kind="final", text=(
        f"Your question {question!r} does not name a dataset. Available datasets: {listing}. "
        f"Ask again with a datasetId, e.g. {json.dumps({'action': 'query', 'text': question, 'datasetId': manifests[0].id})}."))
