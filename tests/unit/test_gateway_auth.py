"""Tokens, SigV4 verification, route selection and event shapes, without a network."""

from __future__ import annotations

import base64
import json
import time

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials

from causal_common import tokens as auth
from causal_common.errors import InvalidTokenError, InvalidUserIdError, UnauthorizedError
from causal_gateway import events, sigv4
from causal_gateway.gateway import Gateway
from causal_gateway.integration import CallableIntegration, ProxyResponse
from causal_gateway.registry import Connection
from causal_gateway.secrets import Credentials
from causal_gateway.settings import GatewaySettings

# Signing keys as the deployer makes them (32 random bytes, URL-safe): PyJWT warns about shorter HMAC keys.
KEY = "k" * 43
OTHER_KEY = "o" * 43


def test_token_round_trip_and_expiry() -> None:
    token = auth.issue_token(KEY, "alice", ttl_seconds=60, now=1000)
    claims = auth.verify_token(KEY.encode(), token, now=1059)
    assert (claims.user_id, claims.issued_at, claims.expires_at) == ("alice", 1000, 1060)
    with pytest.raises(InvalidTokenError, match="expired"):
        auth.verify_token(KEY, token, now=1060)


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 3000, "eyJ9.sig"])
def test_malformed_tokens_are_invalid(token: str) -> None:
    with pytest.raises(InvalidTokenError):
        auth.verify_token(KEY, token)


def test_forged_or_altered_tokens_are_invalid() -> None:
    token = auth.issue_token(KEY, "alice")
    with pytest.raises(InvalidTokenError, match="signature"):
        auth.verify_token(OTHER_KEY, token)
    header, _payload, signature = token.split(".")
    forged_payload = base64.urlsafe_b64encode(json.dumps({"sub": "admin", "iat": 0, "exp": 2**40}).encode())
    with pytest.raises(InvalidTokenError, match="signature"):
        auth.verify_token(KEY, f"{header}.{forged_payload.rstrip(b'=').decode()}.{signature}")


def test_missing_token_is_unauthorized() -> None:
    with pytest.raises(UnauthorizedError):
        auth.verify_token(KEY, None)


@pytest.mark.parametrize("user_id", ["", "a b", "x" * 65, "ünïcode", None, 7])
def test_user_ids_are_validated(user_id: object) -> None:
    with pytest.raises(InvalidUserIdError, match="1-64 characters"):
        auth.issue_token(KEY, user_id)  # type: ignore[arg-type]


def test_empty_signing_key_is_refused() -> None:
    with pytest.raises(ValueError):
        auth.issue_token("", "alice")


def _signed(
    body: bytes, *, secret: str = "s3cret", region: str = "eu-central-1", path: str = "/dev/@connections/abc%3D"
):
    request = AWSRequest(method="POST", url=f"http://127.0.0.1:8080{path}", data=body)
    SigV4Auth(BotocoreCredentials("AKID", secret), "execute-api", region).add_auth(request)
    headers = {name.lower(): value for name, value in request.headers.items()}
    headers["host"] = "127.0.0.1:8080"
    return sigv4.SignedRequest("POST", "127.0.0.1:8080", path, "", headers, body)


KNOWN = {"AKID": Credentials("AKID", "s3cret")}


def test_sigv4_accepts_what_botocore_signs() -> None:
    request = _signed(b"payload")
    credentials = sigv4.check_credentials(request.headers, KNOWN, "eu-central-1", 900)
    sigv4.verify(request, credentials)


def test_sigv4_rejects_tampering_wrong_secret_region_and_old_requests() -> None:
    request = _signed(b"payload")
    tampered = sigv4.SignedRequest(**{**request.__dict__, "body": b"other"})
    with pytest.raises(sigv4.SignatureError, match="does not match"):
        sigv4.verify(tampered, KNOWN["AKID"])
    with pytest.raises(sigv4.SignatureError, match="does not match"):
        sigv4.verify(_signed(b"payload", secret="wrong"), KNOWN["AKID"])
    with pytest.raises(sigv4.SignatureError, match="region"):
        sigv4.check_credentials(_signed(b"x", region="us-east-1").headers, KNOWN, "eu-central-1", 900)
    with pytest.raises(sigv4.SignatureError, match="expired"):
        sigv4.check_credentials(request.headers, KNOWN, "eu-central-1", 900, now=time.time() + 3600)
    with pytest.raises(sigv4.SignatureError, match="Missing Authentication Token"):
        sigv4.check_credentials({}, KNOWN, "eu-central-1", 900)
    with pytest.raises(sigv4.SignatureError, match="invalid"):
        sigv4.check_credentials(request.headers, {}, "eu-central-1", 900)


def _gateway(**overrides: object) -> Gateway:
    settings = GatewaySettings(**overrides)
    return Gateway(settings, CallableIntegration(lambda name, event: None), secrets=None)  # type: ignore[arg-type]


def test_route_selection() -> None:
    gateway = _gateway(routes={"$default": "d", "query": "q", "$connect": "c"})
    assert gateway.select_route('{"action": "query"}') == "query"
    assert gateway.select_route('{"action": "other"}') == "$default"
    assert gateway.select_route('{"action": "$connect"}') == "$default"
    assert gateway.select_route('{"action": 5}') == "$default"
    assert gateway.select_route("not json") == "$default"
    assert gateway.select_route(b'{"action": "query"}') == "$default"
    nested = _gateway(routes={"go": "g"}, route_selection_expression="$request.body.meta.kind")
    assert nested.select_route('{"meta": {"kind": "go"}}') == "go"
    assert nested.select_route('{"action": "go"}') is None


def test_proxy_responses_are_read_like_api_gateway() -> None:
    assert ProxyResponse.parse(None).status_code == 200
    assert ProxyResponse.parse({"statusCode": 403}).ok is False
    assert ProxyResponse.parse({"statusCode": "oops"}).status_code == 502
    assert ProxyResponse.parse({"body": {"a": 1}}).body == '{"a": 1}'


def test_event_shapes() -> None:
    connection = Connection("id=", "dev", "api", "host:1", "127.0.0.1", "ua")
    connection.authorizer = {"userId": "u", "principalId": "u"}
    connect = events.connect_event(connection, [("Host", "host:1"), ("X", "1"), ("X", "2")], [("token", "t")], "r")
    assert connect["headers"]["X"] == "2" and connect["multiValueHeaders"]["X"] == ["1", "2"]
    assert connect["queryStringParameters"] == {"token": "t"}
    assert connect["requestContext"]["eventType"] == "CONNECT"
    message = events.message_event(connection, "$default", b"\x00", "r")
    assert message["isBase64Encoded"] is True and message["body"] == "AA=="
    gone = events.disconnect_event(connection, 1001, "Going away", "r")["requestContext"]
    assert (gone["disconnectStatusCode"], gone["disconnectReason"]) == (1001, "Going away")
    assert events.request_time(0) == "01/Jan/1970:00:00:00 +0000"
    assert "/" not in events.new_id() and "+" not in events.new_id()
