"""websocket-handler: the client protocol's actions, behind API Gateway's routes.

Every action is owner-checked against the session; bad input gets a 400
whose body names what was wrong and which actions exist, and changes nothing.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from causal_agent import abandoned
from causal_agent.clients import AgentClients
from causal_agent.connections import ConnectionRepository
from causal_agent.sessions import Session, SessionRepository
from causal_agent.state import DatasetId, ExecutionInput, Query, QuestionText, SessionId
from causal_common import datasets, log
from causal_common.aws import error_code
from causal_common.errors import CausalStackError, ForbiddenError, InvalidInputError, NotFoundError
from causal_common.json_limits import loads_bounded
from causal_common.lambda_handler import LambdaEvent
from causal_common.models.frames import error_frame, session_frame
from causal_common.models.tools import ToolOutcome

logger = logging.getLogger(__name__)

ACCEPTED_ACTIONS = ("query", "reply", "cancel", "resume")
MAX_BODY_BYTES = 32 * 1024


class ConflictError(CausalStackError):
    code = "Conflict"


class TooManyAnalysesError(CausalStackError):
    code = "TooManyAnalyses"


class QueryAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["query"]
    text: QuestionText
    datasetId: DatasetId | None = None
    sessionId: SessionId | None = None


class ReplyAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["reply"]
    sessionId: SessionId
    # Free text, or the id of one of the prompt's options (exactly one of the two).
    text: str | None = Field(default=None, min_length=1, max_length=2000)
    optionId: str | None = Field(default=None, min_length=1, max_length=40)

    @model_validator(mode="after")
    def _text_or_option(self) -> ReplyAction:
        if (self.text is None) == (self.optionId is None):
            raise ValueError("a reply carries either text or optionId (the id of one of the prompt's options)")
        return self


class CancelAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["cancel"]
    sessionId: SessionId


class ResumeAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["resume"]
    sessionId: SessionId
    afterSeq: int = Field(default=0, ge=0)


_ACTIONS: dict[str, type[BaseModel]] = {
    "query": QueryAction,
    "reply": ReplyAction,
    "cancel": CancelAction,
    "resume": ResumeAction,
}


class RequestContext(BaseModel):
    model_config = ConfigDict(extra="ignore")
    routeKey: str
    connectionId: str
    domainName: str | None = None
    stage: str | None = None
    authorizer: dict[str, Any] | None = None


class WebSocketEvent(LambdaEvent):
    model_config = ConfigDict(extra="ignore")
    requestContext: RequestContext
    body: str | None = None
    isBase64Encoded: bool = False
    queryStringParameters: dict[str, str] | None = None

    def log_ids(self) -> Mapping[str, str | None]:
        return {"connection_id": self.requestContext.connectionId}

    @property
    def user_id(self) -> str | None:
        value = (self.requestContext.authorizer or {}).get("userId")
        return str(value) if value else None


def _response(status: int, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"statusCode": status}
    if body is not None:
        response["body"] = json.dumps(body)
    return response


def _error(status: int, message: str, session_id: str | None = None) -> dict[str, Any]:
    error_id = uuid.uuid4().hex[:12]
    logger.info("rejected (%s): %s", status, message, extra={"errorId": error_id})
    body = error_frame(message, error_id)
    body.update(sessionId=session_id, acceptedActions=list(ACCEPTED_ACTIONS))
    return _response(status, body)


class WebSocketService:
    def __init__(self, clients: AgentClients) -> None:
        self.clients = clients
        self.sessions = SessionRepository(clients.dynamodb, clients.names, clients.clock)
        self.connections = ConnectionRepository(clients.dynamodb, clients.names)
        self._state_machine_arn: str | None = clients.settings.state_machine_arn

    # Routing -----------------------------------------------------------------------------------------------
    def handle(self, event: WebSocketEvent) -> dict[str, Any]:
        """Route one event (its log lines carry the connection id: ``WebSocketEvent.log_ids``)."""
        route = event.requestContext.routeKey
        try:
            if route == "$connect":
                return self.connect(event)
            if route == "$disconnect":
                return self.disconnect(event)
            return self.message(event)
        except InvalidInputError as exc:
            return _error(400, exc.message)
        except ForbiddenError as exc:
            return _error(403, exc.message)
        except NotFoundError as exc:
            return _error(404, exc.message)
        except ConflictError as exc:
            return _error(409, exc.message)
        except TooManyAnalysesError as exc:
            return _error(429, exc.message)

    def _user(self, event: WebSocketEvent) -> str:
        user_id = event.user_id
        if not user_id:
            stored = self.connections.get(event.requestContext.connectionId)
            user_id = stored.user_id if stored else None
        if not user_id:
            raise ForbiddenError("this connection is not signed in; reconnect with a token")
        return user_id

    def message(self, event: WebSocketEvent) -> dict[str, Any]:
        raw = event.body or ""
        if len(raw.encode()) > MAX_BODY_BYTES:
            raise InvalidInputError(f"message too large ({len(raw.encode())} bytes; at most {MAX_BODY_BYTES})")
        try:
            body = loads_bounded(raw)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(
                f'the message is not JSON; send an object with "action": one of {", ".join(ACCEPTED_ACTIONS)}'
            ) from exc
        action = body.get("action") if isinstance(body, dict) else None
        model = _ACTIONS.get(action) if isinstance(action, str) else None
        if model is None:
            raise InvalidInputError(f"unknown action {action!r}; accepted actions: {', '.join(ACCEPTED_ACTIONS)}")
        try:
            parsed = model.model_validate(body)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
            raise InvalidInputError(f"invalid {action}: {problems}") from exc
        user_id = self._user(event)
        connection_id = event.requestContext.connectionId
        session_id = getattr(parsed, "sessionId", None)
        route: Callable[[Any, str, str], dict[str, Any]] = getattr(self, str(action))
        with log.bound(session_id=session_id, user_id=user_id):
            return route(parsed, user_id, connection_id)

    # $connect / $disconnect --------------------------------------------------------------------------------
    def connect(self, event: WebSocketEvent) -> dict[str, Any]:
        context = event.requestContext
        query = event.queryStringParameters or {}
        session_id = query.get("sessionId")
        resume: ResumeAction | None = None
        if session_id:
            try:
                resume = ResumeAction(action="resume", sessionId=session_id, afterSeq=int(query.get("afterSeq", "0")))
            except (ValidationError, ValueError) as exc:
                raise InvalidInputError("sessionId/afterSeq in the query string are malformed") from exc
            session = self.sessions.require(resume.sessionId)
            session.check_owner(event.user_id)
        self.connections.put(
            context.connectionId,
            user_id=event.user_id,
            domain_name=context.domainName,
            stage=context.stage,
            session_id=session_id,
        )
        if resume is not None and event.user_id:
            # Best effort: some gateways refuse posts until $connect returns; what is not
            # delivered stays pending for the client's `resume`.
            self.resume(resume, event.user_id, context.connectionId)
        return _response(200)

    def disconnect(self, event: WebSocketEvent) -> dict[str, Any]:
        old = self.connections.delete(event.requestContext.connectionId)
        if old and old.session_id:
            self.sessions.detach_connection(old.session_id, old.connection_id)
        return _response(200)

    # Actions -----------------------------------------------------------------------------------------------
    def _owned(self, session_id: str, user_id: str) -> Session:
        session = self.sessions.require(session_id)
        session.check_owner(user_id)
        return session

    def query(self, action: QueryAction, user_id: str, connection_id: str) -> dict[str, Any]:
        if action.sessionId:
            session = self._owned(action.sessionId, user_id)
            if session.active:
                raise ConflictError("this session is still working on a question; wait for its answer or cancel it")
            session_id = session.session_id
            dataset_id = action.datasetId or session.dataset_id
        else:
            session_id, dataset_id = uuid.uuid4().hex, action.datasetId
        if action.datasetId:
            self._require_dataset(action.datasetId)
        self._check_concurrency(user_id, session_id, connection_id)
        existed = action.sessionId is not None
        previous_status = session.status if existed else None
        self.sessions.ensure(session_id, user_id=user_id, dataset_id=dataset_id, connection_id=connection_id)
        self.sessions.update(session_id, status="running")
        try:
            # Checked again now that this one counts: two questions sent at once must not both pass.
            left = self._check_concurrency(user_id, session_id, connection_id)
        except TooManyAnalysesError:
            if existed:
                self.sessions.update(session_id, status=previous_status)
            else:
                self.sessions.delete(session_id)
            raise
        for waiting, reason in left:
            abandoned.close(waiting, reason, self.clients, self.sessions)
        self.connections.set_session(connection_id, session_id)
        self.clients.outbox.send(session_id, session_frame(user_id, dataset_id))
        execution_input = ExecutionInput(
            sessionId=session_id, query=Query(text=action.text), userId=user_id, datasetId=dataset_id or None
        )
        name = f"{session_id}-{uuid.uuid4().hex[:12]}"
        try:
            started = self.clients.stepfunctions.start_execution(
                stateMachineArn=self.state_machine_arn(),
                name=name,
                input=execution_input.model_dump_json(exclude_none=True),
            )
        except ClientError as exc:
            error_id = uuid.uuid4().hex[:12]
            logger.error("could not start the execution: %s", exc, extra={"errorId": error_id})
            self.sessions.set_status(session_id, "failed")
            self.clients.outbox.send(
                session_id, error_frame(f"The analysis could not be started (error id {error_id}).", error_id)
            )
            return _response(200)
        self.sessions.update(session_id, executionArn=started["executionArn"])
        logger.info("execution %s started", name)
        return _response(200)

    def _check_concurrency(self, user_id: str, session_id: str, connection_id: str) -> list[tuple[Session, str]]:
        """Refuse when the user's other analyses already fill the limit; return the questions this one abandons.

        An analysis counts while it runs or while its question to the user can still be answered; a question
        that is abandoned (see ``causal_agent.abandoned``) does not, so unanswered prompts never lock a user out
        for long.
        """
        limit = self.clients.settings.max_concurrent_analyses
        now = self.sessions.now()
        counted: list[Session] = []
        left: list[tuple[Session, str]] = []
        for other in self.sessions.active_sessions_of(user_id):
            if other.session_id == session_id:
                continue
            reason = abandoned.why_abandoned(other, now, self.clients, asking_from=connection_id)
            if reason is None:
                counted.append(other)
            else:
                left.append((other, reason))
        if len(counted) >= limit:
            waiting = sum(1 for other in counted if other.status == "awaiting_reply")
            also = f" ({waiting} of them waiting for your reply)" if waiting else ""
            raise TooManyAnalysesError(
                f"you already have {len(counted)} analyses running{also}, and at most {limit} "
                f"may run at once per user (AGENT_MAX_CONCURRENT_ANALYSES); wait for one to finish or cancel one "
                f"(sessions: {', '.join(sorted(other.session_id for other in counted)[:10])})"
            )
        return left

    def _require_dataset(self, dataset_id: str) -> None:
        """Refuse an unknown dataset before anything is created or started."""
        try:
            datasets.load_manifest(self.clients.s3, self.clients.names, dataset_id)
        except NotFoundError as exc:
            available = ", ".join(m.id for m in datasets.list_manifests(self.clients.s3, self.clients.names)) or "none"
            raise InvalidInputError(f"unknown dataset {dataset_id!r}; available: {available}") from exc

    def reply(self, action: ReplyAction, user_id: str, connection_id: str) -> dict[str, Any]:
        session = self._owned(action.sessionId, user_id)
        if session.status == "abandoned":
            raise ConflictError(abandoned.expired_message(session.abandoned_reason or "nobody replied in time"))
        if not session.prompt_token or session.status != "awaiting_reply":
            raise ConflictError("no question is waiting for a reply in this session")
        reason = abandoned.why_abandoned(session, self.sessions.now(), self.clients)
        if reason is not None:
            abandoned.close(session, reason, self.clients, self.sessions)
            raise ConflictError(abandoned.expired_message(reason))
        result: dict[str, str] = {"reply": action.text or ""}
        if action.optionId is not None:
            chosen = next((option for option in session.prompt_options if option.id == action.optionId), None)
            if chosen is None:
                offered = ", ".join(option.id for option in session.prompt_options) or "none (reply with text)"
                raise InvalidInputError(f"unknown optionId {action.optionId!r}; this question offers: {offered}")
            result = {"reply": chosen.label, "optionId": chosen.id}
        if not self.sessions.take_prompt(session.session_id, session.prompt_token):
            raise ConflictError("this question was already answered")
        self.sessions.attach_connection(session.session_id, connection_id)
        outcome = ToolOutcome(tool="ask_user", call_id=session.prompt_call_id or "", ok=True, result=result)
        sfn = self.clients.stepfunctions
        try:
            sfn.send_task_success(taskToken=session.prompt_token, output=outcome.model_dump_json())
        except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist) as exc:
            raise ConflictError("this question has expired; ask again to start over") from exc
        return _response(200)

    def cancel(self, action: CancelAction, user_id: str, connection_id: str) -> dict[str, Any]:
        session = self._owned(action.sessionId, user_id)
        if not session.active:
            raise ConflictError(f"nothing to cancel: the session is {session.status or 'idle'}")
        if session.execution_arn:
            sfn = self.clients.stepfunctions
            try:
                sfn.stop_execution(executionArn=session.execution_arn, error="Cancelled", cause="cancelled by the user")
            except sfn.exceptions.ExecutionDoesNotExist:
                logger.warning("execution %s was already gone", session.execution_arn)
            if session.prompt_token:
                # Wakes an emulator that only notices the stop when the waiting task returns;
                # on AWS the stopped execution's token is simply no longer valid.
                try:
                    sfn.send_task_failure(
                        taskToken=session.prompt_token, error="Cancelled", cause="cancelled by the user"
                    )
                except ClientError as exc:
                    logger.info("prompt token already closed: %s", error_code(exc))
        self.sessions.set_status(session.session_id, "cancelled", remove=("promptToken", "promptCallId"))
        self.sessions.attach_connection(session.session_id, connection_id)
        error_id = uuid.uuid4().hex[:12]
        self.clients.outbox.send(session.session_id, error_frame("Cancelled at your request.", error_id))
        return _response(200)

    def resume(self, action: ResumeAction, user_id: str, connection_id: str) -> dict[str, Any]:
        session = self._owned(action.sessionId, user_id)
        if action.afterSeq > session.last_seq:
            raise InvalidInputError(f"afterSeq {action.afterSeq} is beyond the session's last frame {session.last_seq}")
        outbox = self.clients.outbox
        # Replay, then attach, then replay what arrived meanwhile: frames go out in seq order,
        # and clients drop any seq they have already seen.
        delivered = outbox.replay(session.session_id, connection_id, action.afterSeq)
        self.sessions.attach_connection(session.session_id, connection_id)
        self.connections.set_session(connection_id, session.session_id)
        outbox.replay(session.session_id, connection_id, action.afterSeq + delivered)
        return _response(200)

    def state_machine_arn(self) -> str:
        if self._state_machine_arn is None:
            wanted = self.clients.names.state_machine
            paginator = self.clients.stepfunctions.get_paginator("list_state_machines")
            for page in paginator.paginate():
                for machine in page["stateMachines"]:
                    if machine["name"] == wanted:
                        self._state_machine_arn = machine["stateMachineArn"]
            if self._state_machine_arn is None:
                raise NotFoundError(f"state machine {wanted} is not deployed")
        return self._state_machine_arn
