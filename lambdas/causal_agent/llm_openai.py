"""The OpenAI chat-completions path (any OpenAI-compatible server).

``openai`` is imported inside the call, so only invoke-llm's zip needs it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from causal_common.errors import LlmError, LlmRateLimitedError, TransientError
from causal_common.models.datasets import DatasetManifest
from causal_common.models.tools import TOOL_ARGS

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 60.0


def _strip_titles(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {key: _strip_titles(value) for key, value in schema.items() if key != "title"}
    if isinstance(schema, list):
        return [_strip_titles(item) for item in schema]
    return schema


def tool_schemas() -> list[dict[str, Any]]:
    """OpenAI ``tools`` from the pydantic argument models (the same ones dispatch-tool validates with)."""
    return [
        {
            "type": "function",
            "function": {
                "name": name,
                "description": " ".join((model.__doc__ or name).split()),
                "parameters": _strip_titles(model.model_json_schema()),
            },
        }
        for name, model in TOOL_ARGS.items()
    ]


def system_prompt(manifest: DatasetManifest, must_finish: bool, reading: dict[str, Any] | None = None) -> str:
    columns = "\n".join(
        f"- {c.name} ({c.dtype}, role {c.role})"
        + (f": {c.description}" if c.description else "")
        + (f" — also called {', '.join(c.synonyms)}" if c.synonyms else "")
        for c in manifest.columns
    )
    rules = (
        "You are a careful causal-inference analyst answering questions about the dataset below with the tools: "
        "data_query (SQL over table `data`), eda for balance and overlap, causal_analysis for the DoWhy estimate "
        "with refutations. Call one tool at a time.\n"
        "- A causal question (does X affect Y, is Y affected by X, what would Y be if X stopped): take the cause "
        "and the effect from the sentence's meaning, not its word order; run data_query for the naive comparison "
        "(intent naive_comparison), eda, then causal_analysis. Adjust as the user says ('controlling for a and b' "
        "→ common_causes [a, b]; 'not adjusting for m', 'm is a mediator' → excluded [m]); never adjust for "
        "columns measured after the treatment; if a covariate may be post-treatment, ask before adjusting for it. "
        "For 'if X stopped' report minus the effect; for 'if X rose by k' k times the per-unit effect.\n"
        "- A descriptive question (counts, shares, means, medians, distributions, group comparisons, "
        "correlations): answer with exactly one data_query (intent descriptive), quote its numbers and its SQL, "
        "and make no causal claim.\n"
        "- A question about something no column holds: say which words match no column, list the columns, and "
        "ask (ask_user) what to use instead; never answer a different question than the one asked.\n"
        "- Ask with ask_user only when the question does not say what to estimate, offering the dataset's actual "
        "candidate columns.\n"
        "Your final answer must quote the estimate, its confidence interval, the naive comparison, what was "
        "adjusted for and what was left out, and the refutation results from the tool outputs, and state "
        "caveats. When the interval includes zero, say there is no clear evidence of an effect. With a weak "
        "instrument the result's confidence_set replaces ci: quote its pieces (a null end is infinite) as the effects "
        "the data are consistent with ('any effect below a or above b', 'any effect at all'), and give two-stage "
        "least squares only as a comparison. Never invent numbers."
    )
    if must_finish:
        rules += " The step budget is used up: answer now from the results you have, without calling tools."
    hint = ""
    if reading:
        hint = (
            "\n\nA rule-based reader understood the latest question as (use it unless the conversation says "
            f"otherwise): {json.dumps(reading, default=str)}"
        )
    return (
        f"{rules}\n\nDataset {manifest.id}: {manifest.title} ({manifest.rows} rows). {manifest.description}\n"
        f"Columns:\n{columns}{hint}"
    )


def complete(
    conversation: list[dict[str, Any]],
    manifest: DatasetManifest,
    *,
    api_key: str,
    model: str,
    base_url: str | None,
    must_finish: bool,
    reading: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One chat completion; returns the assistant message as a plain dict (at most one tool call)."""
    import openai  # only invoke-llm's zip carries openai

    client = openai.OpenAI(api_key=api_key, base_url=base_url or None, max_retries=0, timeout=REQUEST_TIMEOUT_SECONDS)
    request: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "system", "content": system_prompt(manifest, must_finish, reading)}, *conversation],
    }
    if not must_finish:
        request.update(tools=tool_schemas(), tool_choice="auto", parallel_tool_calls=False)
    try:
        response = client.chat.completions.create(**request)
    except openai.RateLimitError as exc:
        raise LlmRateLimitedError(f"the LLM is rate limited: {exc.message}") from exc
    except (openai.APIConnectionError, openai.InternalServerError) as exc:
        raise TransientError(f"the LLM is unreachable or failing: {exc.__class__.__name__}") from exc
    except openai.APIStatusError as exc:
        raise LlmError(f"the LLM rejected the request ({exc.status_code}): {exc.message}") from exc
    if not response.choices:
        raise LlmError("the LLM returned no choices")
    message = response.choices[0].message
    result: dict[str, Any] = {"role": "assistant", "content": message.content}
    if message.tool_calls:
        call = message.tool_calls[0]
        if len(message.tool_calls) > 1:
            logger.info("LLM asked for %s tool calls; running the first", len(message.tool_calls))
        result["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments or "{}"},
            }
        ]
    return result


def parse_arguments(raw: str) -> dict[str, Any]:
    """Tool arguments as the LLM sent them; unparseable JSON becomes an argument dispatch-tool rejects."""
    try:
        parsed = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return {"_unparsed": raw[:2000]}
    return parsed if isinstance(parsed, dict) else {"_unparsed": raw[:2000]}
