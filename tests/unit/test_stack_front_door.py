"""The front door's pieces without a network: who opened a loopback connection, which pair is honoured
for whom, and what the emulator's model dump leaves out."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials

from causal_embedded.admin import REDACTED, redacted_model_data
from causal_guard import sigv4
from causal_guard.front_door import Connection, NotTheOwnerError, StackCredentials
from causal_guard.peer_uid import uid_in_table

# Two ends of one loopback connection 127.0.0.1:41000 -> 127.0.0.1:4599, and a listener, as the kernel prints them.
TCP_TABLE = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:11F7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 0100007F:11F7 0100007F:A028 01 00000000:00000000 00:00000000 00000000     0        0 2 1
   2: 0100007F:A028 0100007F:11F7 01 00000000:00000000 00:00000000 00000000 65534        0 3 1
"""


def test_the_peer_of_a_loopback_connection_is_the_uid_of_its_client_socket() -> None:
    import ipaddress

    peer = (ipaddress.ip_address("127.0.0.1"), 0xA028)
    assert uid_in_table(TCP_TABLE.splitlines(), peer, 0x11F7) == 65534
    assert uid_in_table(TCP_TABLE.splitlines(), peer, 4566) is None
    assert uid_in_table(TCP_TABLE.splitlines(), (ipaddress.ip_address("127.0.0.1"), 1), 0x11F7) is None


def _request(key: str, secret: str, *, presigned: bool = False) -> tuple[sigv4.IncomingRequest, sigv4.Signature]:
    method, body = ("GET", b"") if presigned else ("POST", b"{}")
    aws = AWSRequest(method=method, url="http://127.0.0.1:4599/", data=body, headers={"X-Amz-Target": "Ecs.List"})
    signer = SigV4QueryAuth if presigned else SigV4Auth
    signer(BotocoreCredentials(key, secret), "ecs", "eu-central-1").add_auth(aws)
    parts = urlsplit(aws.url)
    headers = {name.lower(): str(value) for name, value in aws.headers.items()}
    headers["host"] = parts.netloc
    incoming = sigv4.IncomingRequest(method, parts.path, parts.query, headers, body)
    signature = sigv4.read_signature(incoming)
    assert signature is not None
    return incoming, signature


CONNECTION = Connection("127.0.0.1", 41000, 4599)


def _credentials(peer_uid: int | None) -> StackCredentials:
    return StackCredentials(sigv4.Credentials("AKIASTACK", "stack-secret"), 1000, lambda connection: peer_uid)


def test_the_stacks_pair_is_accepted_from_anyone() -> None:
    _credentials(peer_uid=2000).verify(*_request("AKIASTACK", "stack-secret"), CONNECTION)


def test_the_well_known_pair_is_honoured_for_the_owner_only_and_never_presigned() -> None:
    _credentials(peer_uid=1000).verify(*_request("test", "test"), CONNECTION)
    for peer_uid in (2000, None):
        with pytest.raises(NotTheOwnerError):
            _credentials(peer_uid).verify(*_request("test", "test"), CONNECTION)
    with pytest.raises(NotTheOwnerError):
        _credentials(peer_uid=1000).verify(*_request("test", "test", presigned=True), CONNECTION)
    with pytest.raises(sigv4.SignatureMismatchError):
        _credentials(peer_uid=1000).verify(*_request("test", "wrong"), CONNECTION)
    with pytest.raises(sigv4.UnknownAccessKeyError):
        _credentials(peer_uid=1000).verify(*_request("AKIAOTHER", "x"), CONNECTION)


def test_the_model_dump_keeps_names_and_drops_every_secret_value() -> None:
    dump = {
        "secretsmanager": {
            "FakeSecret": [
                {
                    "name": "token-signing-key",
                    "secret_string": "s3cr3t-signing-key",
                    "versions": {"v1": {"secret_string": "s3cr3t-signing-key", "version_id": "v1"}},
                }
            ]
        },
        "ssm": {"Parameter": [{"name": "p", "type": "SecureString", "value": "ssm-secure-value"}]},
        "awslambda": {"LambdaFunction": [{"environment_vars": {"KEY": "s3cr3t-signing-key", "STACK": "stack-secret"}}]},
    }
    redacted = json.loads(redacted_model_data(json.dumps(dump), ["stack-secret"]))
    text = json.dumps(redacted)
    assert "token-signing-key" in text
    for value in ("s3cr3t-signing-key", "ssm-secure-value", "stack-secret"):
        assert value not in text
    assert redacted["secretsmanager"]["FakeSecret"][0]["secret_string"] == REDACTED
