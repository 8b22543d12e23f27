"""SigV4 verification of management API requests (service ``execute-api``).

The expected signature is recomputed with botocore's own signer over the
request exactly as it arrived (method, raw path, query, the signed headers,
body), so whatever boto3's ``apigatewaymanagementapi`` client signs verifies.
"""

from __future__ import annotations

import calendar
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials

from causal_common.errors import ForbiddenError
from causal_gateway.secrets import Credentials

SERVICE = "execute-api"
ALGORITHM = "AWS4-HMAC-SHA256"
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)
_TIMESTAMP = "%Y%m%dT%H%M%SZ"


class SignatureError(ForbiddenError):
    code = "InvalidSignature"


@dataclass(frozen=True)
class SignedRequest:
    method: str
    host: str
    raw_path: str
    query_string: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class _Authorization:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(headers: Mapping[str, str]) -> _Authorization:
    header = headers.get("authorization")
    if not header:
        raise SignatureError("Missing Authentication Token")
    match = _AUTHORIZATION.match(header.strip())
    if not match:
        raise SignatureError(f"Authorization header requires {ALGORITHM} with Credential, SignedHeaders, Signature")
    parts = match["credential"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise SignatureError("Credential should be <key>/<date>/<region>/<service>/aws4_request")
    return _Authorization(
        access_key_id=parts[0],
        date=parts[1],
        region=parts[2],
        service=parts[3],
        signed_headers=tuple(match["signed"].split(";")),
        signature=match["signature"],
    )


def check_credentials(
    headers: Mapping[str, str], known: Mapping[str, Credentials], region: str, max_skew_seconds: int, now: float | None = None
) -> Credentials:
    """The cheap checks (before reading the body): header shape, key, scope, clock skew."""
    authorization = parse_authorization(headers)
    credentials = known.get(authorization.access_key_id)
    if credentials is None:
        raise SignatureError("The security token included in the request is invalid")
    if authorization.service != SERVICE:
        raise SignatureError(f"Credential should be scoped to correct service: '{SERVICE}'")
    if authorization.region != region:
        raise SignatureError(f"Credential should be scoped to a valid region, not '{authorization.region}'")
    amz_date = headers.get("x-amz-date", "")
    try:
        signed_at = calendar.timegm(time.strptime(amz_date, _TIMESTAMP))
    except ValueError as exc:
        raise SignatureError("X-Amz-Date header is missing or malformed") from exc
    if not amz_date.startswith(authorization.date):
        raise SignatureError("Credential date does not match X-Amz-Date")
    if abs((time.time() if now is None else now) - signed_at) > max_skew_seconds:
        raise SignatureError("Signature expired: the request time is too far from the server time")
    if "host" not in authorization.signed_headers:
        raise SignatureError("SignedHeaders must include host")
    return credentials


def verify(request: SignedRequest, credentials: Credentials) -> None:
    """Raise :class:`SignatureError` unless the request's signature is right."""
    authorization = parse_authorization(request.headers)
    headers = {}
    for name in authorization.signed_headers:
        if name not in request.headers:
            raise SignatureError(f"signed header {name!r} is missing from the request")
        headers[name] = request.headers[name]
    url = f"http://{request.host}{request.raw_path}"
    if request.query_string:
        url = f"{url}?{request.query_string}"
    aws_request = AWSRequest(method=request.method, url=url, headers=headers, data=request.body)
    aws_request.context["timestamp"] = request.headers["x-amz-date"]
    signer = SigV4Auth(
        BotocoreCredentials(credentials.access_key_id, credentials.secret_access_key),
        authorization.service,
        authorization.region,
    )
    canonical = signer.canonical_request(aws_request)
    expected = signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
    if not hmac.compare_digest(expected, authorization.signature):
        raise SignatureError(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method."
        )
