"""ParseInitialQuery: validate the execution input, open the session, resolve the dataset."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from causal_agent import intent
from causal_agent.clients import AgentClients
from causal_agent.conversation import compact_conversation, user_message
from causal_agent.sessions import SessionRepository
from causal_agent.state import AgentConfig, AgentState, ExecutionInput, StartEvent
from causal_common import datasets
from causal_common.errors import InvalidInputError, NotFoundError
from causal_common.models.datasets import DatasetManifest
from causal_common.models.frames import progress_frame

logger = logging.getLogger(__name__)


def _describe(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5])


def parse_initial_query(event: StartEvent, clients: AgentClients) -> AgentState:
    try:
        given = ExecutionInput.model_validate(event.input)
    except ValidationError as exc:
        raise InvalidInputError(
            f"invalid execution input ({_describe(exc)}); expected "
            '{"sessionId": "...", "query": {"text": "..."}, optional "datasetId", "userId", "networkConfig"}'
        ) from exc
    settings, names = clients.settings, clients.names
    sessions = SessionRepository(clients.dynamodb, names)
    sessions.ensure(given.sessionId, user_id=given.userId, dataset_id=None, connection_id=None)
    session = sessions.require(given.sessionId)

    dataset_id = given.datasetId or session.dataset_id
    manifest: DatasetManifest | None
    if dataset_id:
        try:
            manifest = datasets.load_manifest(clients.s3, names, dataset_id)
        except NotFoundError as exc:
            available = ", ".join(m.id for m in datasets.list_manifests(clients.s3, names)) or "none"
            raise InvalidInputError(f"unknown dataset {dataset_id!r}; available: {available}") from exc
    else:
        manifest = intent.pick_dataset(given.query.text, datasets.list_manifests(clients.s3, names))
        dataset_id = manifest.id if manifest else None

    conversation = compact_conversation([*session.conversation, user_message(given.query.text)])
    sessions.update(
        given.sessionId,
        conversation=conversation,
        status="running",
        executionArn=event.executionArn,
        datasetId=dataset_id,
        remove=("result", "promptToken", "promptCallId"),
    )
    where = f" on {manifest.title}" if manifest else ""
    clients.outbox.send(given.sessionId, progress_frame("parse", f"Reading your question{where}.", 5))
    logger.info("session started on dataset %s", dataset_id)
    return AgentState(
        session_id=given.sessionId,
        question=given.query.text,
        dataset_id=dataset_id,
        config=AgentConfig(
            max_turns=given.maxTurns or settings.max_turns,
            prompt_timeout_seconds=given.promptTimeoutSeconds or settings.prompt_timeout_seconds,
        ),
        network_config=given.networkConfig,
    )
