"""The AWS cost estimate's arithmetic, on a fixed usage record and a fixed price table."""

from __future__ import annotations

import pytest

from causal_dashboard.aws_prices import EU_CENTRAL_1, PriceTable, prices_for
from causal_dashboard.cost import Usage, estimate

ROUND = PriceTable(
    region="test-1",
    as_of="2026-01-01",
    sources=("https://example.invalid/prices",),
    state_transition=0.001,
    lambda_request=0.0001,
    lambda_gb_second=0.01,
    websocket_message=0.002,
    websocket_connection_minute=0.003,
    fargate_vcpu_second=0.04,
    fargate_gb_second=0.005,
    dynamodb_read_unit=0.0002,
    dynamodb_write_unit=0.0005,
)
USAGE = Usage(
    conversations=4,
    executions=5,
    state_transitions=100,
    lambda_requests=50,
    lambda_gb_seconds=20.0,
    websocket_messages=60,
    websocket_connection_minutes=10.0,
    fargate_vcpu_seconds=300.0,
    fargate_gb_seconds=600.0,
    dynamodb_read_units=1000.0,
    dynamodb_write_units=400.0,
)


def test_each_line_is_its_quantity_times_its_price():
    lines = {line.category: line for line in estimate(USAGE, ROUND).lines}
    assert lines["Step Functions transitions"].dollars == pytest.approx(0.1)
    assert lines["Lambda requests"].dollars == pytest.approx(0.005)
    assert lines["Lambda duration"].dollars == pytest.approx(0.2)
    assert lines["API Gateway messages"].dollars == pytest.approx(0.12)
    assert lines["API Gateway connection time"].dollars == pytest.approx(0.03)
    assert lines["Fargate vCPU"].dollars == pytest.approx(12.0)
    assert lines["Fargate memory"].dollars == pytest.approx(3.0)
    assert lines["DynamoDB reads"].dollars == pytest.approx(0.2)
    assert lines["DynamoDB writes"].dollars == pytest.approx(0.2)


def test_per_conversation_and_per_thousand():
    found = estimate(USAGE, ROUND)
    assert found.total == pytest.approx(15.855)
    assert found.per_conversation == pytest.approx(15.855 / 4)
    assert found.per_thousand == pytest.approx(15.855 / 4 * 1000)
    assert found.to_json()["perThousandConversations"] == pytest.approx(found.per_thousand)


def test_estimated_categories_are_marked():
    lines = {line.category: line for line in estimate(USAGE, ROUND).lines}
    assert lines["API Gateway messages"].estimated and lines["DynamoDB writes"].estimated
    assert not lines["Lambda duration"].estimated and not lines["Fargate vCPU"].estimated


def test_no_conversations_has_no_per_conversation_figure():
    found = estimate(Usage(), ROUND)
    assert found.per_conversation is None and found.per_thousand is None
    assert "no conversations yet" in found.render()[0]


def test_the_price_table_names_its_region_date_and_sources():
    assert EU_CENTRAL_1.region == "eu-central-1" and EU_CENTRAL_1.as_of
    assert all(source.startswith("https://aws.amazon.com/") for source in EU_CENTRAL_1.sources)
    assert prices_for("eu-central-1") is EU_CENTRAL_1
    # A region without a table of its own is priced at the default region's (and says so).
    assert prices_for("ap-south-2").region == "eu-central-1"
