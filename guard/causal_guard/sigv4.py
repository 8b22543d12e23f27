"""Verifying AWS request signatures the way AWS does: SigV4 in the ``Authorization``
header or in the query string (presigned URLs), and S3's older SigV2 forms.

The expected signature is recomputed with botocore's own signers over the
request exactly as it arrived (method, raw path, raw query, the headers the
client signed, the payload hash), so whatever an AWS SDK or CLI signs verifies.
Used by the embedded emulator (every AWS API) and by the gateway's management
API (``execute-api``).
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import mktime_tz, parsedate_tz
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from botocore.auth import HmacV1Auth, S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials as BotocoreCredentials

from causal_common.errors import ForbiddenError

ALGORITHM = "AWS4-HMAC-SHA256"
# AWS refuses a request signed more than 15 minutes away from its clock, and a presigned URL
# valid for more than 7 days.
MAX_SKEW_SECONDS = 900
MAX_PRESIGNED_SECONDS = 7 * 24 * 3600
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_HEX64 = frozenset("0123456789abcdef")


class SignatureError(ForbiddenError):
    """The request's signature cannot be accepted; ``code`` says why."""

    code = "InvalidSignature"


class MissingAuthenticationError(SignatureError):
    code = "MissingAuthenticationToken"


class MalformedAuthorizationError(SignatureError):
    code = "IncompleteSignature"


class UnknownAccessKeyError(SignatureError):
    code = "UnrecognizedClient"

    def __init__(self, message: str, *, access_key_id: str) -> None:
        super().__init__(message)
        self.access_key_id = access_key_id


class SignatureMismatchError(SignatureError):
    code = "SignatureDoesNotMatch"


class SignatureExpiredError(SignatureError):
    code = "SignatureExpired"


class PresignedUrlExpiredError(SignatureExpiredError):
    code = "PresignedUrlExpired"


class ContentHashMismatchError(SignatureError):
    code = "XAmzContentSHA256Mismatch"


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True)
class IncomingRequest:
    """A request as it arrived. ``headers`` have lower-case names; ``raw_path`` is percent-encoded."""

    method: str
    raw_path: str
    query_string: str
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class Signature:
    """Who claims to have signed a request, and how (parsed, not yet verified)."""

    version: Literal["v4", "v2"]
    location: Literal["header", "query"]
    access_key_id: str
    signature: str
    region: str = ""
    service: str = ""
    scope_date: str = ""
    signed_headers: tuple[str, ...] = ()
    timestamp: str = ""  # v4: X-Amz-Date (or the Date header), v2: the Date header
    expires: int | None = None  # v4 query: seconds after the timestamp; v2 query: epoch seconds


def read_signature(request: IncomingRequest) -> Signature | None:
    """The request's claimed signature, ``None`` when it is unsigned.

    Raises :class:`MalformedAuthorizationError` when signing information is present but unusable.
    """
    authorization = request.headers.get("authorization", "").strip()
    if authorization.startswith(ALGORITHM):
        return _v4_header(authorization, request.headers)
    if authorization.startswith("AWS "):
        key, _, signature = authorization[4:].strip().rpartition(":")
        if not key or not signature:
            raise MalformedAuthorizationError("Authorization header must be 'AWS <AccessKeyId>:<Signature>'")
        return Signature("v2", "header", key, signature, timestamp=request.headers.get("date", ""))
    if authorization:
        raise MalformedAuthorizationError(f"Unsupported Authorization type; use {ALGORITHM}")
    query = dict(parse_qsl(request.query_string, keep_blank_values=True))
    if "X-Amz-Signature" in query or "X-Amz-Algorithm" in query:
        return _v4_query(query)
    if "Signature" in query and "AWSAccessKeyId" in query:
        try:
            expires = int(query.get("Expires", ""))
        except ValueError as exc:
            raise MalformedAuthorizationError("Expires must be a number of seconds since the epoch") from exc
        return Signature("v2", "query", query["AWSAccessKeyId"], query["Signature"], expires=expires)
    return None


def _credential_scope(credential: str) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts[:4]):
        raise MalformedAuthorizationError(
            "Credential should be '<AccessKeyId>/<yyyymmdd>/<region>/<service>/aws4_request'"
        )
    return parts[0], parts[1], parts[2], parts[3]


def _v4_header(authorization: str, headers: Mapping[str, str]) -> Signature:
    fields: dict[str, str] = {}
    for part in authorization[len(ALGORITHM) :].split(","):
        name, _, value = part.strip().partition("=")
        fields[name.strip()] = value.strip()
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not fields.get(name)]
    if missing:
        raise MalformedAuthorizationError(f"Authorization header requires {', '.join(missing)}")
    key, scope_date, region, service = _credential_scope(fields["Credential"])
    timestamp = headers.get("x-amz-date") or _timestamp_from_http_date(headers.get("date", ""))
    return Signature(
        "v4",
        "header",
        key,
        fields["Signature"],
        region=region,
        service=service,
        scope_date=scope_date,
        signed_headers=tuple(fields["SignedHeaders"].lower().split(";")),
        timestamp=timestamp,
    )


def _v4_query(query: Mapping[str, str]) -> Signature:
    if query.get("X-Amz-Algorithm") != ALGORITHM:
        raise MalformedAuthorizationError(f"X-Amz-Algorithm must be {ALGORITHM}")
    missing = [
        name
        for name in ("X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature")
        if not query.get(name)
    ]
    if missing:
        raise MalformedAuthorizationError(f"the query string lacks {', '.join(missing)}")
    key, scope_date, region, service = _credential_scope(query["X-Amz-Credential"])
    try:
        expires = int(query.get("X-Amz-Expires", "0"))
    except ValueError as exc:
        raise MalformedAuthorizationError("X-Amz-Expires must be a number of seconds") from exc
    if not 0 < expires <= MAX_PRESIGNED_SECONDS:
        raise MalformedAuthorizationError(f"X-Amz-Expires must be between 1 and {MAX_PRESIGNED_SECONDS} seconds")
    return Signature(
        "v4",
        "query",
        key,
        query["X-Amz-Signature"],
        region=region,
        service=service,
        scope_date=scope_date,
        signed_headers=tuple(query["X-Amz-SignedHeaders"].lower().split(";")),
        timestamp=query["X-Amz-Date"],
        expires=expires,
    )


def _timestamp_from_http_date(value: str) -> str:
    parsed = parsedate_tz(value) if value else None
    if parsed is None:
        return ""
    return time.strftime(TIMESTAMP_FORMAT, time.gmtime(mktime_tz(parsed)))


def _epoch(timestamp: str) -> int:
    try:
        return calendar.timegm(time.strptime(timestamp, TIMESTAMP_FORMAT))
    except ValueError as exc:
        raise MalformedAuthorizationError("X-Amz-Date is missing or not in the form yyyymmddThhmmssZ") from exc


def check_time(signature: Signature, *, now: float | None = None, max_skew_seconds: int = MAX_SKEW_SECONDS) -> None:
    """Refuse a request signed too far from now, or a presigned URL past its expiry."""
    current = time.time() if now is None else now
    if signature.version == "v2":
        if signature.location == "query":
            if signature.expires is not None and current > signature.expires:
                raise PresignedUrlExpiredError("Request has expired")
            return
        signed_at = _timestamp_from_http_date(signature.timestamp)
        if not signed_at:
            raise MalformedAuthorizationError("a SigV2 request needs a Date header")
        signed_epoch = _epoch(signed_at)
    else:
        signed_epoch = _epoch(signature.timestamp)
        if not signature.timestamp.startswith(signature.scope_date):
            raise MalformedAuthorizationError("the credential scope's date does not match X-Amz-Date")
    if signature.location == "query":
        if current > signed_epoch + (signature.expires or 0):
            raise PresignedUrlExpiredError("Request has expired")
        if signed_epoch - current > max_skew_seconds:
            raise SignatureExpiredError("Request is not valid yet: X-Amz-Date is in the future")
        return
    if abs(current - signed_epoch) > max_skew_seconds:
        raise SignatureExpiredError(
            f"Signature expired: {signature.timestamp} is now earlier or later than "
            f"{time.strftime(TIMESTAMP_FORMAT, time.gmtime(current))} by more than {max_skew_seconds // 60} min."
        )


def verify(
    request: IncomingRequest,
    signature: Signature,
    known: Mapping[str, Credentials],
    *,
    now: float | None = None,
    max_skew_seconds: int = MAX_SKEW_SECONDS,
) -> Credentials:
    """The credentials that signed ``request``; raises :class:`SignatureError` otherwise."""
    credentials = known.get(signature.access_key_id)
    if credentials is None:
        raise UnknownAccessKeyError(
            "The security token included in the request is invalid.", access_key_id=signature.access_key_id
        )
    check_time(signature, now=now, max_skew_seconds=max_skew_seconds)
    expected = expected_signature(request, signature, credentials)
    if not hmac.compare_digest(expected.encode(), signature.signature.encode()):
        raise SignatureMismatchError(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method."
        )
    _check_payload_hash(request, signature)
    return credentials


def _check_payload_hash(request: IncomingRequest, signature: Signature) -> None:
    declared = request.headers.get("x-amz-content-sha256", "")
    if (
        signature.location == "header"
        and len(declared) == 64
        and set(declared) <= _HEX64
        and hashlib.sha256(request.body).hexdigest() != declared
    ):
        raise ContentHashMismatchError("The provided 'x-amz-content-sha256' header does not match what was computed.")


def payload_hash_needed(request_headers: Mapping[str, str]) -> bool:
    """Whether verifying needs the body: not when S3 declares an unsigned or streamed payload."""
    declared = request_headers.get("x-amz-content-sha256")
    return declared is None or (len(declared) == 64 and set(declared) <= _HEX64)


class _AsSignedV4(SigV4Auth):
    """botocore's SigV4 over exactly the headers the client signed (no blacklist, no additions)."""

    def __init__(self, credentials: BotocoreCredentials, service: str, region: str, signed: HTTPHeaders) -> None:
        super().__init__(credentials, service, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        return self._signed


class _AsSignedS3V4(_AsSignedV4, S3SigV4Auth):
    pass


class _AsSignedV4Query(_AsSignedV4, SigV4QueryAuth):
    pass


class _AsSignedS3V4Query(_AsSignedV4, S3SigV4QueryAuth):
    pass


class _AsSignedV2(HmacV1Auth):
    def __init__(self, credentials: BotocoreCredentials, date: str) -> None:
        super().__init__(credentials)
        self._date = date

    def _get_date(self) -> str:
        return self._date


def expected_signature(request: IncomingRequest, signature: Signature, credentials: Credentials) -> str:
    """What ``credentials`` would have signed for ``request``, computed by botocore's signers."""
    keys = BotocoreCredentials(credentials.access_key_id, credentials.secret_access_key)
    query = request.query_string
    if signature.location == "query":
        removed = ("X-Amz-Signature",) if signature.version == "v4" else ("Signature", "AWSAccessKeyId", "Expires")
        query = "&".join(pair for pair in query.split("&") if pair and pair.split("=", 1)[0] not in removed)
    url = f"http://{request.headers.get('host', 'localhost')}{request.raw_path}" + (f"?{query}" if query else "")
    if signature.version == "v2":
        headers = HTTPHeaders()
        for name, value in request.headers.items():
            if name in ("content-md5", "content-type") or name.startswith("x-amz-"):
                headers[name] = value
        date = str(signature.expires) if signature.location == "query" else signature.timestamp
        v2_signer = _AsSignedV2(keys, date)
        return v2_signer.sign_string(v2_signer.canonical_string(request.method, urlsplit(url), headers))  # type: ignore[arg-type]  # stubs: Mapping; botocore passes HTTPHeaders
    signed = HTTPHeaders()
    for name in signature.signed_headers:
        if name not in request.headers:
            raise SignatureMismatchError(f"the signed header {name!r} is not in the request")
        signed[name] = request.headers[name]
    headers = HTTPHeaders()
    for name in signature.signed_headers:
        headers[name] = request.headers[name]
    if (
        signature.location == "header"
        and "x-amz-content-sha256" in request.headers
        and "x-amz-content-sha256" not in headers
    ):
        headers["x-amz-content-sha256"] = request.headers["x-amz-content-sha256"]
    aws_request = AWSRequest(method=request.method, url=url, headers=headers, data=request.body)  # type: ignore[arg-type]  # as above
    aws_request.context["timestamp"] = signature.timestamp
    is_s3 = signature.service == "s3"
    if signature.location == "query":
        signer_class: type[_AsSignedV4] = _AsSignedS3V4Query if is_s3 else _AsSignedV4Query
    else:
        signer_class = _AsSignedS3V4 if is_s3 else _AsSignedV4
    signer = signer_class(keys, signature.service, signature.region, signed)
    canonical = signer.canonical_request(aws_request)
    return signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)


def signed_headers(
    method: str, url: str, credentials: Credentials, *, region: str, service: str, body: bytes = b""
) -> dict[str, str]:
    """The headers that sign ``method url`` (SigV4, as an SDK would), for callers that are not an SDK."""
    request = AWSRequest(method=method, url=url, data=body)
    SigV4Auth(BotocoreCredentials(credentials.access_key_id, credentials.secret_access_key), service, region).add_auth(
        request
    )
    return {name: str(value) for name, value in request.headers.items()}
