"""Step Functions actions moto's server does not answer, added to its Step Functions responses:
``TestState`` and ``RedriveExecution``, and the redrive fields of ``DescribeExecution`` and
``ListExecutions``, each with the request and response shapes of botocore's model; and
``SendTaskFailure`` passing its cause on, which moto drops."""

from __future__ import annotations

import json
from typing import Any

from causal_embedded import redrive, teststate


def install() -> None:
    from moto.core.responses import ActionResult, EmptyResult
    from moto.stepfunctions.responses import StepFunctionResponse

    original_describe = StepFunctionResponse.describe_execution
    original_list = StepFunctionResponse.list_executions

    def _request(self: Any) -> dict[str, Any]:
        body = self.body.decode() if isinstance(self.body, bytes) else self.body
        loaded = json.loads(body or "{}")
        return loaded if isinstance(loaded, dict) else {}

    def test_state_action(self: Any) -> Any:
        request = teststate.parse_request(_request(self))
        return ActionResult(teststate.run(request, account_id=self.current_account, region=self.region))

    def redrive_execution(self: Any) -> Any:
        request = _request(self)
        execution = redrive.redrive(self.stepfunction_backend, request.get("executionArn") or "")
        return ActionResult({"redriveDate": execution.redrive_date})

    def describe_execution(self: Any) -> Any:
        result = original_describe(self)
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        return _with_fields(result, redrive.describe_fields(execution))

    def send_task_failure(self: Any) -> Any:
        # moto drops the cause; Step Functions hands it to the Catch (the user's error names it).
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    def list_executions(self: Any) -> Any:
        wanted = self._get_param("redriveFilter")
        result = original_list(self)
        machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        by_arn = {execution.execution_arn: execution for execution in machine.executions}
        rows = []
        for row in _result_body(result)["executions"]:
            fields = redrive.list_fields(by_arn[row["executionArn"]]) if row["executionArn"] in by_arn else {}
            if wanted == "REDRIVEN" and not fields.get("redriveCount"):
                continue
            if wanted == "NOT_REDRIVEN" and fields.get("redriveCount"):
                continue
            rows.append({**row, **fields})
        return ActionResult({**_result_body(result), "executions": rows})

    for name, action in (
        ("test_state", test_state_action),
        ("redrive_execution", redrive_execution),
        ("describe_execution", describe_execution),
        ("list_executions", list_executions),
        ("send_task_failure", send_task_failure),
    ):
        setattr(StepFunctionResponse, name, action)


def _result_body(result: Any) -> dict[str, Any]:
    """The dict an ``ActionResult`` was built from (moto keeps it as ``result``)."""
    return dict(result.result)


def _with_fields(result: Any, fields: dict[str, Any]) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult({**_result_body(result), **fields})
