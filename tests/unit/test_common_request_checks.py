"""Host/Origin allow-lists and the SigV4 verifier shared by the emulator and the gateway."""

from __future__ import annotations

import time

import pytest
from botocore.auth import S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials

from causal_guard import sigv4
from causal_guard.request_origin import HostAllowList, OriginAllowList, host_name, same_origin

KNOWN = {"test": sigv4.Credentials("test", "test")}


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:4566", "127.0.0.1:8080", "127.8.9.1", "[::1]:4566", "bucket.localhost:4566", "LOCALHOST."],
)
def test_loopback_names_are_always_allowed(host: str) -> None:
    assert HostAllowList().allows(host)


@pytest.mark.parametrize(
    "host", ["attacker.example", "127.0.0.1.nip.io", "localhost.attacker.example", "10.0.0.5", "", None]
)
def test_other_names_need_configuring(host: str | None) -> None:
    assert not HostAllowList().allows(host)


def test_configured_hosts_and_patterns() -> None:
    allowed = HostAllowList.of("gateway, *.lan.test")
    assert allowed.allows("gateway:8080") and allowed.allows("laptop.lan.test")
    assert not allowed.allows("lan.test.attacker.example")
    assert host_name("[::1]:80") == "::1"


def test_origins_compare_normalised() -> None:
    allowed = OriginAllowList.of(["HTTP://LocalHost:80", "http://127.0.0.1:8080"])
    assert allowed.allows("http://localhost") and allowed.allows("http://127.0.0.1:8080")
    assert not allowed.allows("http://127.0.0.1:8081") and not allowed.allows("null")
    assert same_origin("http://127.0.0.1:8080", "127.0.0.1:8080", "http")
    assert not same_origin("http://localhost:8080", "127.0.0.1:8080", "http")


def _incoming(request: AWSRequest, body: bytes = b"") -> sigv4.IncomingRequest:
    from urllib.parse import urlsplit

    parts = urlsplit(request.url)
    return sigv4.IncomingRequest(
        request.method, parts.path, parts.query, {name.lower(): value for name, value in request.headers.items()}, body
    )


def test_header_signatures_verify_and_tampering_does_not() -> None:
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:4566/2015-03-31/functions/arn%3Aaws%3Alambda%3Ax/invocations",
        data=b'{"a": 1}',
        headers={"Host": "127.0.0.1:4566"},
    )
    SigV4Auth(BotocoreCredentials("test", "test"), "lambda", "eu-central-1").add_auth(request)
    incoming = _incoming(request, b'{"a": 1}')
    signature = sigv4.read_signature(incoming)
    assert signature is not None and signature.service == "lambda"
    assert sigv4.verify(incoming, signature, KNOWN).access_key_id == "test"
    with pytest.raises(sigv4.SignatureMismatchError):
        sigv4.verify(sigv4.IncomingRequest(**{**incoming.__dict__, "body": b'{"a": 2}'}), signature, KNOWN)
    with pytest.raises(sigv4.UnknownAccessKeyError):
        sigv4.verify(incoming, signature, {})
    with pytest.raises(sigv4.SignatureExpiredError):
        sigv4.verify(incoming, signature, KNOWN, now=time.time() + 3600)


def test_presigned_query_signatures_verify_until_expiry() -> None:
    request = AWSRequest(method="GET", url="http://localhost:4566/bucket/a%20b.csv", headers={"Host": "localhost:4566"})
    S3SigV4QueryAuth(BotocoreCredentials("test", "test"), "s3", "eu-central-1", expires=60).add_auth(request)
    incoming = _incoming(request)
    signature = sigv4.read_signature(incoming)
    assert signature is not None and signature.location == "query"
    sigv4.verify(incoming, signature, KNOWN)
    with pytest.raises(sigv4.PresignedUrlExpiredError):
        sigv4.verify(incoming, signature, KNOWN, now=time.time() + 120)


def test_an_unsigned_request_has_no_signature_and_garbage_is_malformed() -> None:
    assert sigv4.read_signature(sigv4.IncomingRequest("GET", "/", "", {})) is None
    with pytest.raises(sigv4.MalformedAuthorizationError):
        sigv4.read_signature(sigv4.IncomingRequest("GET", "/", "", {"authorization": "AWS4-HMAC-SHA256 Credential=x"}))
