"""What the stack's usage costs on AWS: the one price table, its region, date and sources.

List prices in USD, on-demand, without free tiers, taxes or data transfer. Change them here (and
the date) when AWS changes them; every estimate the dashboard and ``causal-stack status`` show is
computed from this table.

The figures were written from the pricing pages listed in ``sources`` as last seen, not read from
them on ``as_of`` (the machines this stack is built on have no web access): check them against the
pages, or AWS's Price List API, before quoting an estimate as a budget.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PriceTable:
    region: str
    as_of: str  # when the table was written (see the module's note on how the prices were checked)
    sources: tuple[str, ...]
    # Step Functions, standard workflows: per state transition.
    state_transition: float
    # Lambda (x86): per request and per GB-second of duration.
    lambda_request: float
    lambda_gb_second: float
    # API Gateway WebSocket APIs: per message (counted in 32 KB increments) and per connection minute.
    websocket_message: float
    websocket_connection_minute: float
    # Fargate (Linux/x86): per vCPU-second and per GB-second (billed per second, one-minute minimum).
    fargate_vcpu_second: float
    fargate_gb_second: float
    # DynamoDB on-demand: per read request unit and per write request unit.
    dynamodb_read_unit: float
    dynamodb_write_unit: float


EU_CENTRAL_1 = PriceTable(
    region="eu-central-1",
    as_of="2026-12-05",
    sources=(
        "https://aws.amazon.com/step-functions/pricing/",
        "https://aws.amazon.com/lambda/pricing/",
        "https://aws.amazon.com/api-gateway/pricing/",
        "https://aws.amazon.com/fargate/pricing/",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    ),
    state_transition=0.025 / 1_000,  # $0.025 per 1,000 state transitions
    lambda_request=0.20 / 1_000_000,  # $0.20 per 1M requests
    lambda_gb_second=0.0000166667,  # first 6 billion GB-seconds a month
    websocket_message=1.14 / 1_000_000,  # $1.14 per 1M messages (first billion)
    websocket_connection_minute=0.285 / 1_000_000,  # $0.285 per 1M connection minutes
    fargate_vcpu_second=0.04656 / 3600,  # $0.04656 per vCPU-hour
    fargate_gb_second=0.00511 / 3600,  # $0.00511 per GB-hour
    dynamodb_read_unit=0.1525 / 1_000_000,  # $0.1525 per 1M read request units
    dynamodb_write_unit=0.7625 / 1_000_000,  # $0.7625 per 1M write request units
)

PRICES = {EU_CENTRAL_1.region: EU_CENTRAL_1}


def prices_for(region: str) -> PriceTable:
    """The table of ``region``; the default region's for any other (the estimate then says which it used)."""
    return PRICES.get(region, EU_CENTRAL_1)
