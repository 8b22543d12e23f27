"""Refusals in the error shape each AWS protocol uses, so SDKs raise the modelled exceptions.

JSON services (``X-Amz-Target``: DynamoDB, Step Functions, Secrets Manager, Logs,
ECS …) answer 400 with ``{"__type", "message"}``; REST-JSON services (Lambda)
answer 403 with ``x-amzn-ErrorType``; Query services (IAM, STS) answer 403
with an ``<ErrorResponse>``; S3 answers 403 with an ``<Error>`` document.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape

from causal_guard import sigv4

Protocol = Literal["json", "rest-json", "query", "rest-xml"]
Refusal = Literal[
    "missing",
    "malformed",
    "unknown-key",
    "mismatch",
    "expired",
    "presigned-expired",
    "content-hash",
    "access-denied",
]

_DATED_REST_PATH = re.compile(r"^/\d{4}-\d{2}-\d{2}/")

# refusal -> (JSON and REST-JSON code, Query code, S3 code, S3 status)
_CODES: dict[Refusal, tuple[str, str, str, int]] = {
    "missing": ("MissingAuthenticationTokenException", "MissingAuthenticationToken", "AccessDenied", 403),
    "malformed": ("IncompleteSignatureException", "IncompleteSignature", "AuthorizationHeaderMalformed", 400),
    "unknown-key": ("UnrecognizedClientException", "InvalidClientTokenId", "InvalidAccessKeyId", 403),
    "mismatch": ("InvalidSignatureException", "SignatureDoesNotMatch", "SignatureDoesNotMatch", 403),
    "expired": ("InvalidSignatureException", "SignatureDoesNotMatch", "RequestTimeTooSkewed", 403),
    "presigned-expired": ("InvalidSignatureException", "SignatureDoesNotMatch", "AccessDenied", 403),
    "content-hash": ("InvalidSignatureException", "SignatureDoesNotMatch", "XAmzContentSHA256Mismatch", 400),
    "access-denied": ("AccessDeniedException", "AccessDenied", "AccessDenied", 403),
}

_REFUSAL_OF_ERROR: dict[type[sigv4.SignatureError], Refusal] = {
    sigv4.MissingAuthenticationError: "missing",
    sigv4.MalformedAuthorizationError: "malformed",
    sigv4.UnknownAccessKeyError: "unknown-key",
    sigv4.SignatureMismatchError: "mismatch",
    sigv4.PresignedUrlExpiredError: "presigned-expired",
    sigv4.SignatureExpiredError: "expired",
    sigv4.ContentHashMismatchError: "content-hash",
}


def refusal_of(error: sigv4.SignatureError) -> Refusal:
    for error_class in type(error).__mro__:
        if error_class in _REFUSAL_OF_ERROR:
            return _REFUSAL_OF_ERROR[error_class]
    return "mismatch"


def json_code(refusal: Refusal) -> str:
    """The ``__type`` a JSON-protocol service answers for ``refusal``."""
    return _CODES[refusal][0]


def protocol_of(headers: dict[str, str], path: str, service: str | None) -> Protocol:
    """The protocol a request speaks, from what it carries (cheap: no service model is loaded)."""
    if "x-amz-target" in headers:
        return "json"
    if service == "s3":
        return "rest-xml"
    if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return "query"
    if service or _DATED_REST_PATH.match(path):
        return "rest-json"
    return "rest-xml"  # moto's own default for a request it cannot place is S3


@dataclass(frozen=True)
class ErrorResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def error_response(
    protocol: Protocol, refusal: Refusal, message: str, *, access_key_id: str | None = None
) -> ErrorResponse:
    json_code, query_code, s3_code, s3_status = _CODES[refusal]
    request_id = str(uuid.uuid4())
    if protocol == "json":
        body = json.dumps({"__type": json_code, "message": message}).encode()
        return ErrorResponse(
            400, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id)], body
        )
    if protocol == "rest-json":
        body = json.dumps({"message": message}).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", json_code),
            ("x-amzn-RequestId", request_id),
        ]
        return ErrorResponse(403, headers, body)
    if protocol == "query":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type>'
            f"<Code>{query_code}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return ErrorResponse(403, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body)
    key = (
        f"<AWSAccessKeyId>{escape(access_key_id)}</AWSAccessKeyId>"
        if access_key_id and refusal == "unknown-key"
        else ""
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{s3_code}</Code><Message>{escape(message)}</Message>{key}"
        f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
    ).encode()
    return ErrorResponse(s3_status, [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)], body)
