"""The emulator's EventBridge → Lambda delivery: the payload a function target receives."""

from __future__ import annotations

from causal_embedded.event_delivery import event_for_target

EVENT = {
    "version": "0",
    "id": "e-1",
    "detail-type": "ECS Task State Change",
    "source": "aws.ecs",
    "account": "000000000000",
    "time": 1733370000.5,
    "region": "eu-central-1",
    "resources": ["arn:aws:ecs:eu-central-1:000000000000:task/c/t"],
    "ingestion-time": 1733370000.6,
    "detail": {"taskArn": "arn:aws:ecs:eu-central-1:000000000000:task/c/t", "lastStatus": "STOPPED"},
}
TARGET = {"Id": "function", "Arn": "arn:aws:lambda:eu-central-1:000000000000:function:x-task-stopped"}


def test_a_function_gets_the_event_itself_with_an_iso_time():
    sent = event_for_target(TARGET, EVENT, True)
    assert sent["detail"] == EVENT["detail"] and sent["detail-type"] == "ECS Task State Change"
    assert sent["time"] == "2024-12-05T03:40:00Z" and "ingestion-time" not in sent
    assert EVENT["time"] == 1733370000.5, "the rule's own copy is left as moto keeps it"


def test_an_input_transformer_shapes_what_the_function_gets():
    target = {
        **TARGET,
        "InputTransformer": {"InputPathsMap": {"task": "$.detail.taskArn"}, "InputTemplate": '{"task": "<task>"}'},
    }
    assert event_for_target(target, EVENT, True) == {"task": EVENT["detail"]["taskArn"]}
