"""SigV4 verification of management API requests (service ``execute-api``).

The signature itself is recomputed by :mod:`causal_guard.sigv4` (botocore's own
signer over the request exactly as it arrived), so whatever boto3's
``apigatewaymanagementapi`` client signs verifies. This module adds the
management API's own rules: header signatures only, scoped to ``execute-api``
in the gateway's region, with ``host`` signed.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from causal_guard import sigv4
from causal_guard.sigv4 import Credentials, SignatureError

SERVICE = "execute-api"
ALGORITHM = sigv4.ALGORITHM

__all__ = ["SERVICE", "SignatureError", "SignedRequest", "check_credentials", "parse_authorization", "verify"]


@dataclass(frozen=True)
class SignedRequest:
    method: str
    host: str
    raw_path: str
    query_string: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes


def parse_authorization(headers: Mapping[str, str]) -> sigv4.Signature:
    """The header signature's claims; :class:`SignatureError` when there is none or it is malformed."""
    signature = sigv4.read_signature(sigv4.IncomingRequest("POST", "/", "", headers))
    if signature is None or signature.location != "header":
        raise sigv4.MissingAuthenticationError("Missing Authentication Token")
    if signature.version != "v4":
        raise sigv4.MalformedAuthorizationError(f"Authorization header requires {ALGORITHM}")
    return signature


def check_credentials(
    headers: Mapping[str, str],
    known: Mapping[str, Credentials],
    region: str,
    max_skew_seconds: int,
    now: float | None = None,
) -> Credentials:
    """The cheap checks (before reading the body): header shape, key, scope, clock skew."""
    signature = parse_authorization(headers)
    credentials = known.get(signature.access_key_id)
    if credentials is None:
        raise sigv4.UnknownAccessKeyError(
            "The security token included in the request is invalid", access_key_id=signature.access_key_id
        )
    if signature.service != SERVICE:
        raise sigv4.MalformedAuthorizationError(f"Credential should be scoped to correct service: '{SERVICE}'")
    if signature.region != region:
        raise sigv4.MalformedAuthorizationError(
            f"Credential should be scoped to a valid region, not '{signature.region}'"
        )
    sigv4.check_time(signature, now=now, max_skew_seconds=max_skew_seconds)
    if "host" not in signature.signed_headers:
        raise sigv4.MalformedAuthorizationError("SignedHeaders must include host")
    return credentials


def verify(request: SignedRequest, credentials: Credentials) -> None:
    """Raise :class:`SignatureError` unless the request's signature is right."""
    signature = parse_authorization(request.headers)
    incoming = sigv4.IncomingRequest(
        request.method, request.raw_path, request.query_string, {**request.headers, "host": request.host}, request.body
    )
    expected = sigv4.expected_signature(incoming, signature, credentials)
    if not hmac.compare_digest(expected, signature.signature):
        raise sigv4.SignatureMismatchError(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method."
        )
