"""InvokeLLM: decide the next step (OpenAI when a key is set, else the offline planner)."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from causal_agent import intent, llm_openai, planner
from causal_agent.clients import AgentClients
from causal_agent.conversation import (
    assistant_text,
    assistant_tool_call,
    compact_conversation,
    exchanges,
    replies,
)
from causal_agent.llm_secrets import LlmConfig, load_llm_config
from causal_agent.sessions import SessionRepository
from causal_agent.state import AgentState, Decision, ToolCall
from causal_common import datasets
from causal_common.models.frames import progress_frame
from causal_common.models.tools import AskUserArgs

logger = logging.getLogger(__name__)

_STEP_LABELS = {
    "data_query": "querying the data",
    "eda": "exploring the data",
    "causal_analysis": "estimating the causal effect",
    "ask_user": "asking you a question",
}


def _from_message(message: dict) -> Decision:
    calls = message.get("tool_calls") or []
    if calls:
        function = calls[0]["function"]
        call = ToolCall(
            call_id=calls[0]["id"],
            name=function["name"],
            arguments=llm_openai.parse_arguments(function.get("arguments") or "{}"),
        )
        return Decision(kind="tool", tool_call=call)
    return Decision(kind="final", text=(message.get("content") or "").strip() or "I have no answer to give.")


def _normalise(decision: Decision) -> Decision:
    """ask_user with a valid question goes to SendPrompt; anything else stays a tool call for dispatch.

    The offline planner's own questions also carry ``expects`` (what the reply should settle).
    """
    call = decision.tool_call
    if decision.kind == "tool" and call and call.name == "ask_user":
        expects = call.arguments.get("expects")
        if expects is not None and not isinstance(expects, dict):
            return decision
        try:
            AskUserArgs.model_validate({k: v for k, v in call.arguments.items() if k != "expects"})
        except ValidationError:
            return decision
        return Decision(kind="ask", tool_call=call, question=str(call.arguments["question"]))
    return decision


def invoke_llm(state: AgentState, clients: AgentClients, llm: LlmConfig | None = None) -> AgentState:
    names = clients.names
    sessions = SessionRepository(clients.dynamodb, names)
    session = sessions.require(state.session_id)
    turn = state.turn + 1
    must_finish = turn >= state.config.max_turns
    conversation = session.conversation
    interactive = bool(session.user_id)
    dataset_id = state.dataset_id

    decision: Decision | None = None
    offered = state.offered_datasets
    if dataset_id is None:
        manifests = datasets.list_manifests(clients.s3, names)
        text = " ".join([state.question, *replies(conversation)]).strip()
        chosen = intent.pick_dataset(text, manifests, offered)
        if chosen is None:
            # A reply that is just a number or an id is checked against the offered list too.
            last_reply = next(
                (e.result.get("reply") for e in reversed(exchanges(conversation)) if e.name == "ask_user" and e.ok),
                None,
            )
            if last_reply:
                chosen = intent.pick_dataset(str(last_reply), manifests, offered)
        if chosen is None:
            decision = planner.ask_for_dataset(manifests, interactive and not must_finish, text)
            if decision.tool_call is not None:
                offered = [manifest.id for manifest in manifests]
        else:
            dataset_id = chosen.id
            sessions.update(state.session_id, datasetId=dataset_id)
            clients.outbox.send(state.session_id, progress_frame("dataset", f"Using {chosen.title}."))

    if decision is None:
        assert dataset_id is not None  # without a dataset, the branch above has decided to ask for one
        manifest = datasets.load_manifest(clients.s3, names, dataset_id)
        llm = llm or load_llm_config(clients.secrets, names)
        if llm.online:
            reading, _, _ = planner.understand(
                planner.PlannerInput(conversation, manifest, interactive, must_finish, question=state.question)
            )
            message = llm_openai.complete(
                conversation,
                manifest,
                api_key=llm.api_key,
                model=llm.model,
                base_url=llm.base_url,
                must_finish=must_finish,
                reading=reading.summary(),
            )
            decision = _from_message(message)
        else:
            decision = planner.plan(
                planner.PlannerInput(conversation, manifest, interactive, must_finish, question=state.question)
            )
    decision = _normalise(decision)

    if decision.tool_call is not None:
        conversation = [*conversation, assistant_tool_call(decision.tool_call)]
        label = _STEP_LABELS.get(decision.tool_call.name, decision.tool_call.name)
        clients.outbox.send(state.session_id, progress_frame("plan", f"Step {turn}: {label}.", min(90, 10 + 12 * turn)))
    else:
        conversation = [*conversation, assistant_text(decision.text or "")]
    sessions.save_conversation(state.session_id, compact_conversation(conversation))
    logger.info("turn %s decided %s", turn, decision.tool_call.name if decision.tool_call else decision.kind)
    return state.model_copy(
        update={
            "turn": turn,
            "dataset_id": dataset_id,
            "offered_datasets": offered,
            "decision": decision,
            "route": None,
            "tool_result": None,
            "tool_error": None,
        }
    )
