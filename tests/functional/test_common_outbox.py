"""The outbox against the embedded emulator's DynamoDB: numbering without gaps or
duplicates, even with concurrent senders (the emulator makes writes atomic, as DynamoDB does)."""

from __future__ import annotations

import json
import threading

import boto3
import pytest
from support import running_emulator

from causal_common.names import ResourceNames
from causal_common.outbox import Outbox

NAMES = ResourceNames(prefix="outbox-")


@pytest.fixture(scope="module")
def dynamodb():
    with running_emulator("--no-prewarm") as endpoint:
        client = boto3.client("dynamodb", region_name="eu-central-1", endpoint_url=endpoint)
        client.create_table(
            TableName=NAMES.sessions_table,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "sessionId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "sessionId", "AttributeType": "S"}],
        )
        client.create_table(
            TableName=NAMES.pending_messages_table,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "sessionId", "KeyType": "HASH"}, {"AttributeName": "seq", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "sessionId", "AttributeType": "S"},
                {"AttributeName": "seq", "AttributeType": "N"},
            ],
        )
        yield client


def test_frames_are_numbered_from_one_and_stored_before_any_push(dynamodb):
    outbox = Outbox(dynamodb, None, NAMES)
    assert [outbox.send("s1", {"type": "progress", "n": n}) for n in range(3)] == [1, 2, 3]
    stored = outbox.stored_frames("s1")
    assert [seq for seq, _ in stored] == [1, 2, 3]
    assert [json.loads(body)["n"] for _, body in stored] == [0, 1, 2]
    assert outbox.stored_frames("s1", after_seq=2)[0][0] == 3


def test_concurrent_senders_leave_no_gap_and_no_duplicate(dynamodb):
    outbox = Outbox(dynamodb, None, NAMES)
    seqs: list[int] = []
    lock = threading.Lock()

    def sender(name: str) -> None:
        for n in range(10):
            seq = outbox.send("busy", {"type": "progress", "from": name, "n": n})
            with lock:
                seqs.append(seq)

    threads = [threading.Thread(target=sender, args=(f"t{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(seqs) == list(range(1, 41))
    stored = outbox.stored_frames("busy")
    assert [seq for seq, _ in stored] == list(range(1, 41))
    for name in ("t0", "t1", "t2", "t3"):
        ours = [json.loads(body)["n"] for _, body in stored if json.loads(body)["from"] == name]
        assert ours == list(range(10)), "each sender's frames keep their order"
