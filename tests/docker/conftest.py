"""The `docker` tier: a real Docker engine (skipped, with the reason, when there is none)."""

from __future__ import annotations

import pytest
from docker_support import compose_command, engine_problem, python_image


@pytest.fixture(scope="session")
def engine() -> None:
    problem = engine_problem()
    if problem is not None:
        pytest.skip(problem)


@pytest.fixture(scope="session")
def compose(engine) -> list[str]:
    command = compose_command()
    if command is None:
        pytest.skip(
            "neither `docker compose` (v2) nor `docker-compose` (v1) is installed; "
            "as root, `make test` installs Debian's docker-compose"
        )
    return command


@pytest.fixture(scope="session")
def base_image(engine) -> str:
    return python_image()
