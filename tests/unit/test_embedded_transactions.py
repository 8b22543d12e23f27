"""The emulator's DynamoDB transactions back up only the items they name, and still roll back as DynamoDB does."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from causal_embedded import seams


@pytest.fixture
def dynamodb(monkeypatch):
    # monkeypatch puts moto's own method back after the test.
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", DynamoDBBackend.transact_write_items)
    seams._transactions_back_up_only_their_items()
    with mock_aws():
        client = boto3.client(
            "dynamodb", region_name="eu-central-1", aws_access_key_id="test", aws_secret_access_key="test"
        )
        client.create_table(
            TableName="sessions",
            KeySchema=[{"AttributeName": "sessionId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "sessionId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.create_table(
            TableName="frames",
            KeySchema=[
                {"AttributeName": "sessionId", "KeyType": "HASH"},
                {"AttributeName": "seq", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "sessionId", "AttributeType": "S"},
                {"AttributeName": "seq", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        client.put_item(TableName="sessions", Item={"sessionId": {"S": "s1"}, "lastSeq": {"N": "1"}})
        client.put_item(TableName="frames", Item={"sessionId": {"S": "s1"}, "seq": {"N": "1"}, "frame": {"S": "a"}})
        yield client


def _number(seq: int, last: int, frame_condition: str = "attribute_not_exists(seq)") -> list[dict]:
    return [
        {
            "Update": {
                "TableName": "sessions",
                "Key": {"sessionId": {"S": "s1"}},
                "UpdateExpression": "SET lastSeq = :seq",
                "ConditionExpression": "lastSeq = :last",
                "ExpressionAttributeValues": {":seq": {"N": str(seq)}, ":last": {"N": str(last)}},
            }
        },
        {
            "Put": {
                "TableName": "frames",
                "Item": {"sessionId": {"S": "s1"}, "seq": {"N": str(seq)}, "frame": {"S": f"frame {seq}"}},
                "ConditionExpression": frame_condition,
            }
        },
    ]


def _state(client) -> tuple[str, list[tuple[str, str]]]:
    session = client.get_item(TableName="sessions", Key={"sessionId": {"S": "s1"}}, ConsistentRead=True)["Item"]
    frames = client.query(
        TableName="frames",
        KeyConditionExpression="sessionId = :s",
        ExpressionAttributeValues={":s": {"S": "s1"}},
        ConsistentRead=True,
    )["Items"]
    return session["lastSeq"]["N"], [(item["seq"]["N"], item["frame"]["S"]) for item in frames]


def test_a_transaction_that_goes_through_writes_both_items(dynamodb):
    dynamodb.transact_write_items(TransactItems=_number(2, last=1))
    assert _state(dynamodb) == ("2", [("1", "a"), ("2", "frame 2")])


def test_a_cancelled_transaction_undoes_the_write_that_had_already_happened(dynamodb):
    before = _state(dynamodb)
    # The counter update succeeds, then the frame's condition fails: the counter must go back.
    with pytest.raises(ClientError, match="TransactionCanceledException"):
        dynamodb.transact_write_items(TransactItems=_number(2, last=1, frame_condition="attribute_exists(seq)"))
    assert _state(dynamodb) == before


def test_a_cancelled_transaction_removes_an_item_it_had_created_and_restores_one_it_had_replaced(dynamodb):
    items = [
        {"Put": {"TableName": "frames", "Item": {"sessionId": {"S": "s1"}, "seq": {"N": "9"}, "frame": {"S": "new"}}}},
        {"Put": {"TableName": "frames", "Item": {"sessionId": {"S": "s1"}, "seq": {"N": "1"}, "frame": {"S": "b"}}}},
        {
            "ConditionCheck": {
                "TableName": "sessions",
                "Key": {"sessionId": {"S": "s1"}},
                "ConditionExpression": "lastSeq = :never",
                "ExpressionAttributeValues": {":never": {"N": "99"}},
            }
        },
    ]
    with pytest.raises(ClientError, match="TransactionCanceledException"):
        dynamodb.transact_write_items(TransactItems=items)
    assert _state(dynamodb) == ("1", [("1", "a")])


def _table(name: str):
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends["123456789012"]["eu-central-1"].tables[name]


def test_a_cancelled_transaction_leaves_no_stream_record(dynamodb):
    shard = _table("frames").stream_shard
    before = len(shard.items)
    with pytest.raises(ClientError):
        # The frame is written before the counter's condition fails.
        dynamodb.transact_write_items(TransactItems=list(reversed(_number(2, last=5))))
    assert len(shard.items) == before
    dynamodb.transact_write_items(TransactItems=_number(2, last=1))
    assert len(shard.items) == before + 1


def test_a_malformed_transaction_gets_dynamodbs_error_and_changes_nothing(dynamodb):
    before = _state(dynamodb)
    bad = [{"Put": {"TableName": "frames", "Item": {"sessionId": {"S": "s1"}, "frame": {"S": "no seq"}}}}]
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=bad)
    assert _state(dynamodb) == before


def test_two_operations_on_one_item_are_refused_and_change_nothing(dynamodb):
    before = _state(dynamodb)
    update = _number(2, last=1)[0]
    with pytest.raises(ClientError, match="ValidationException"):
        dynamodb.transact_write_items(TransactItems=[update, update])
    assert _state(dynamodb) == before


def test_no_table_keeps_the_marker_that_skips_the_whole_table_copy(dynamodb):
    dynamodb.transact_write_items(TransactItems=_number(2, last=1))
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=_number(3, last=1))
    assert all("__deepcopy__" not in vars(_table(name)) for name in ("sessions", "frames"))


def test_a_cancelled_put_into_a_new_partition_leaves_no_empty_partition(dynamodb):
    new_partition = {
        "Put": {"TableName": "frames", "Item": {"sessionId": {"S": "s2"}, "seq": {"N": "1"}, "frame": {"S": "x"}}}
    }
    with pytest.raises(ClientError, match="TransactionCanceledException"):
        dynamodb.transact_write_items(TransactItems=[new_partition, _number(2, last=7)[0]])
    assert len(_table("frames").items) == 1  # the s1 partition only
    assert dynamodb.scan(TableName="frames")["Count"] == 1
