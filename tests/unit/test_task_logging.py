"""An ECS task's log: DoWhy's per-sample INFO lines are left out below DEBUG, its warnings are not."""

from __future__ import annotations

import logging

import pytest

from causal_tasks.__main__ import configure_logging


@pytest.fixture(autouse=True)
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    dowhy_level = logging.getLogger("dowhy").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("dowhy").setLevel(dowhy_level)


def test_info_leaves_out_dowhy_chatter_but_keeps_its_warnings_and_our_own_lines():
    configure_logging("INFO")
    estimator = logging.getLogger("dowhy.causal_estimator")
    assert not estimator.isEnabledFor(logging.INFO)
    assert estimator.isEnabledFor(logging.WARNING)
    assert logging.getLogger("causal_tasks.job").isEnabledFor(logging.INFO)


def test_debug_brings_dowhy_back():
    configure_logging("DEBUG")
    assert logging.getLogger("dowhy.causal_estimator").isEnabledFor(logging.DEBUG)


def test_going_back_from_debug_to_info_quietens_it_again():
    configure_logging("DEBUG")
    configure_logging("INFO")
    assert not logging.getLogger("dowhy.causal_refuters").isEnabledFor(logging.INFO)
