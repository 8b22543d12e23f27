"""The Lambda request id, carried where AWS carries it.

A local invoke answers with the runner's request id in ``x-amzn-RequestId`` (the id
its ``START``/``END``/``REPORT`` log lines carry), and the Step Functions
``lambda:invoke`` integration returns what AWS returns around the payload
(``ExecutedVersion``, ``SdkHttpMetadata``, ``SdkResponseMetadata.RequestId``,
``StatusCode``), so an execution's history links each task to its log lines.
"""

from __future__ import annotations

import json
import threading
from typing import Any

# Set by the local invoke for the response being built on this thread; read once, then cleared.
_current = threading.local()
# A header moto never sends: it carries the id from the Lambda invoke to the response's request id.
REQUEST_ID_MARKER = "x-causal-lambda-request-id"


def remember(request_id: str) -> None:
    """Called by the local invoke: the request id of the invoke answered on this thread."""
    _current.request_id = request_id


def _take() -> str | None:
    request_id = getattr(_current, "request_id", None)
    _current.request_id = None
    return request_id


def install() -> None:
    from moto.awslambda.models import LambdaFunction
    from moto.core.responses import BaseResponse
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    original_invoke = LambdaFunction.invoke
    original_enrich = BaseResponse._enrich_response

    def invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> Any:
        _take()
        payload = original_invoke(self, body, request_headers, response_headers)
        request_id = _take()
        if request_id:
            response_headers[REQUEST_ID_MARKER] = request_id
        return payload

    def enrich(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        request_id = headers.pop(REQUEST_ID_MARKER, None) if isinstance(headers, dict) else None
        headers, body = original_enrich(headers, body)
        if request_id:
            headers["x-amzn-requestid"] = request_id
        return headers, body

    def execute_lambda_function_integration(
        env: Any, parameters: dict[str, Any], region: str, state_credentials: Any
    ) -> None:
        if env.is_mocked_mode():
            return original_integration(
                env=env, parameters=parameters, region=region, state_credentials=state_credentials
            )
        response = lambda_eval_utils._invoke_lambda_function(
            parameters=parameters, region=region, state_credentials=state_credentials
        )
        if response.get("FunctionError"):
            payload = json.dumps(response["Payload"], separators=(",", ":"))
            raise lambda_eval_utils.LambdaFunctionErrorException(response["FunctionError"], payload)
        env.stack.append(integration_output(response))
        return None

    original_integration = lambda_eval_utils.execute_lambda_function_integration
    replace(LambdaFunction, "invoke", invoke)
    replace(BaseResponse, "_enrich_response", staticmethod(enrich))
    replace(lambda_eval_utils, "execute_lambda_function_integration", execute_lambda_function_integration)


def replace(owner: Any, attribute: str, replacement: Any) -> None:
    """Put ours in place of one of moto's (a seam ``seams.check`` has verified is still there)."""
    setattr(owner, attribute, replacement)


def integration_output(response: dict[str, Any]) -> dict[str, Any]:
    """``lambda:invoke``'s result as AWS shapes it, from boto3's ``invoke`` response."""
    metadata = response.get("ResponseMetadata") or {}
    headers = dict(metadata.get("HTTPHeaders") or {})
    output: dict[str, Any] = {}
    if "ExecutedVersion" in response:
        output["ExecutedVersion"] = response["ExecutedVersion"]
    output["Payload"] = response.get("Payload")
    output["SdkHttpMetadata"] = {
        "AllHttpHeaders": {name: [value] for name, value in headers.items()},
        "HttpHeaders": headers,
        "HttpStatusCode": metadata.get("HTTPStatusCode", response.get("StatusCode")),
    }
    output["SdkResponseMetadata"] = {"RequestId": metadata.get("RequestId") or headers.get("x-amzn-requestid")}
    output["StatusCode"] = response.get("StatusCode")
    return output
