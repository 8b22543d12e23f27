"""Lambda zips for the project's emulator match the Python its workers run."""

from __future__ import annotations

import json
import sys
import urllib.request

import pytest
from support import free_port, running_emulator

from causal_deploy import DeployConfig, deployer
from causal_deploy.clients import emulator_python
from causal_deploy.config import DepsSource

HERE = f"{sys.version_info.major}.{sys.version_info.minor}"


def test_the_emulator_reports_the_python_its_workers_run():
    with running_emulator("--no-prewarm") as url:
        with urllib.request.urlopen(f"{url}/_causal/health", timeout=10) as response:
            described = json.loads(response.read())
        assert emulator_python(url) == HERE

    assert described["lambdaRuntime"]["python"] == HERE
    assert described["status"] == "running"


def test_an_endpoint_that_is_not_the_emulator_reports_no_python():
    assert emulator_python(f"http://127.0.0.1:{free_port()}", timeout=1) is None


@pytest.mark.parametrize(
    ("target", "reported", "deps", "expected"),
    [
        ("embedded", HERE, None, (HERE, DepsSource.LOCAL)),  # same Python: this interpreter's packages
        ("embedded", "3.99", None, ("3.99", DepsSource.PIP)),  # another Python: wheels for it
        ("embedded", None, None, (HERE, DepsSource.LOCAL)),  # plain moto: assume this interpreter
        ("embedded", "3.99", "pip", ("3.99", DepsSource.PIP)),
        ("localstack", HERE, None, ("3.12", DepsSource.PIP)),  # LocalStack and AWS run python3.12
    ],
)
def test_zips_are_built_for_the_python_the_functions_run_on(monkeypatch, target, reported, deps, expected):
    monkeypatch.setattr(deployer, "emulator_python", lambda url: reported)
    config = DeployConfig(target=target, endpoint_url="http://emulator:4566", LAMBDA_DEPS_SOURCE=deps)

    assert deployer._lambda_python(config) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [("0.0.0.0", "http://127.0.0.1:4566"), ("::", "http://[::1]:4566"), ("127.0.0.1", "http://127.0.0.1:4566")],
)
def test_workers_reach_an_emulator_listening_on_every_address_on_loopback(host, expected, tmp_path):
    """In a container the emulator listens on 0.0.0.0; its Lambda workers call it on loopback,
    a name its request guard answers."""
    from causal_embedded.server import EmbeddedAws

    assert EmbeddedAws(port=4566, host=host, work_dir=tmp_path).endpoint_url == expected
