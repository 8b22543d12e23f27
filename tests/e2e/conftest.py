"""A whole embedded stack, started the way `make run` starts it (`causal-stack up`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stack_support import RunningStack, running_stack


@pytest.fixture(scope="session")
def stack() -> Iterator[RunningStack]:
    with running_stack() as running:
        yield running
