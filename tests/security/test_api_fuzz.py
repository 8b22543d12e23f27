"""The gateway's and the dashboard's HTTP API, fuzzed from their own OpenAPI schema (schemathesis).

Every operation gets a bounded number of generated requests, signed in as the
operator (and, for state-changing ones, with the CSRF token), and none may
answer with a 5xx. The live stream (an endless response) is left out.
"""

from __future__ import annotations

import dashboard_fixtures as fixtures
import pytest
import requests
import schemathesis
from gateway_testing import running_gateway
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from causal_dashboard import DashboardSettings
from causal_dashboard.clients import AwsClients
from causal_dashboard.operator_login import CSRF_HEADER, SESSION_COOKIE

EXAMPLES_PER_OPERATION = 15


@pytest.fixture(scope="module")
def api(moto_endpoint: str):
    with running_gateway(moto_endpoint, create_secrets=False) as gateway:
        clients = AwsClients(
            DashboardSettings(AWS_ENDPOINT_URL=moto_endpoint, RESOURCE_PREFIX=gateway.settings.resource_prefix)
        )
        fixtures.create_resources(clients)
        fixtures.put_session(clients, "sess-fuzz", frames=2)
        fixtures.put_job(clients, "job-fuzz", "sess-fuzz")
        session = requests.Session()
        signed_in = session.get(
            f"{gateway.url}/login",
            params={"code": gateway.operator_login.login_code()},
            allow_redirects=False,
            timeout=10,
        )
        session.cookies.set(SESSION_COOKIE, signed_in.cookies[SESSION_COOKIE])
        session.headers[CSRF_HEADER] = session.get(f"{gateway.url}/api/session", timeout=10).json()["csrfToken"]
        yield gateway, session


def _operations(gateway, session) -> list:
    raw = session.get(f"{gateway.url}/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(raw).exclude(path="/api/events")
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_operation_answers_with_a_server_error(api, mode) -> None:
    """Hypothesis drives schemathesis' strategies directly (its pytest plugin does not run on pytest 9)."""
    gateway, session = api
    operations = _operations(gateway, session)
    assert len(operations) >= 10, [operation.label for operation in operations]
    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case) -> None:
            response = case.call(base_url=gateway.url, session=session, timeout=30)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
            )

        try:
            call()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, operation.label  # nothing in it can be made invalid
