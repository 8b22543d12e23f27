"""EventBridge rules deliver to Lambda functions, as on AWS (moto 5.2.5 delivers to logs, SQS,
archives, buses and HTTP only, and refuses a rule with a function target).

A matching event invokes each function target asynchronously (invocation type ``Event``, on a
thread of its own, so PutEvents answers at once), with the event as EventBridge sends it: ``time``
in ISO 8601, an input transformer applied. Lambda's own retries of a failed asynchronous
invocation are not played: a failure is logged.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from typing import Any

logger = logging.getLogger(__name__)


def _is_function(arn: str) -> bool:
    return arn.startswith("arn:") and arn.split(":")[2:3] == ["lambda"]


def event_for_target(target: dict[str, Any], event: dict[str, Any], transform_input: bool) -> Any:
    """The payload EventBridge sends ``target`` for ``event``."""
    from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp
    from moto.events.utils import EventTemplateParser

    sent = copy.deepcopy(event)
    if isinstance(sent.get("time"), int | float):
        sent["time"] = iso_8601_datetime_without_milliseconds(utcfromtimestamp(sent["time"]))
    transformer = target.get("InputTransformer")
    if not transform_input or not transformer:
        sent.pop("ingestion-time", None)  # moto's own field; EventBridge's events have none
        return sent
    parser: Any = EventTemplateParser  # moto's stubs are narrower than what it takes
    return parser.parse(
        input_template=transformer.get("InputTemplate"),
        input_paths_map=transformer.get("InputPathsMap", {}),
        event=sent,
    )


def _invoke(function_arn: str, payload: Any) -> None:
    from moto.awslambda.models import lambda_backends

    _, _, _, region, account = function_arn.split(":")[:5]
    try:
        function = lambda_backends[account][region].get_function(function_arn)
        function.invoke(json.dumps(payload), {"x-amz-invocation-type": "Event"}, {})
    except Exception:  # noqa: BLE001  # an asynchronous invocation's failure is the function's log, never the caller's
        logger.exception("EventBridge could not deliver to %s", function_arn)


def install() -> None:
    from moto.events.models import Rule

    original: Any = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
        functions = [target for target in self.targets if _is_function(target["Arn"])]
        if functions and self.event_pattern.matches_event(original_event):
            for target in functions:
                try:
                    payload = event_for_target(target, original_event, transform_input)
                except ValueError:
                    # EventBridge drops an event its target's input transformer cannot render.
                    logger.exception("the input transformer of %s failed; event not delivered", target["Arn"])
                    continue
                threading.Thread(
                    target=_invoke, args=(target["Arn"], payload), name="eventbridge-delivery", daemon=True
                ).start()
        others = [target for target in self.targets if not _is_function(target["Arn"])]
        if others:
            rest = copy.copy(self)
            rest.targets = others
            original(rest, original_event, transform_input)

    setattr(Rule, "send_to_targets", send_to_targets)  # noqa: B010  # a method replaced on moto's class
