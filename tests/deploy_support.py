"""A repository-shaped source tree and deploy settings for the deployer's tests."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

from support import LAMBDAS

from causal_common.names import AWS_FUNCTIONS, FUNCTIONS
from causal_deploy import DeployConfig
from causal_deploy.config import DepsSource

MINIMAL_ASL = {
    "StartAt": "Parse",
    "States": {
        "Parse": {"Type": "Task", "Resource": "${FunctionArn:parse-initial-query}", "Next": "Finish"},
        "Finish": {"Type": "Task", "Resource": "${FunctionArn:handle-finish}", "End": True},
    },
}


def make_source(root: Path) -> Path:
    """A repository-shaped tree: ten echo handlers, the real causal_common, a small ASL."""
    lambdas = root / "lambdas"
    lambdas.mkdir(parents=True)
    # A snapshot, not a link: the shared package may change while a test runs.
    shutil.copytree(LAMBDAS / "causal_common", lambdas / "causal_common", ignore=shutil.ignore_patterns("__pycache__"))
    for function in (*FUNCTIONS, *AWS_FUNCTIONS):
        (lambdas / function).mkdir()
        (lambdas / function / "handler.py").write_text("def handler(event, context):\n    return event\n")
    (lambdas / "state-machine.asl.json").write_text(json.dumps(MINIMAL_ASL))
    return root


def config_for(endpoint: str | None, source: Path, **overrides) -> DeployConfig:
    prefix = f"t{uuid.uuid4().hex[:8]}-"  # the moto server is shared by the whole session
    values = dict(
        endpoint_url=endpoint,
        endpoint_url_ecs=endpoint,
        source_dir=source,
        state_dir=source / ".stack",
        resource_prefix=prefix,
        publish_datasets=False,
        active_timeout_seconds=10,
        deps_source=DepsSource.LOCAL,
    )
    values.update(overrides)
    return DeployConfig(**values)
