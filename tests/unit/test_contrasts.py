"""Contrasts for a continuous treatment in the phrasings people use: the size of the change is read, and
the answer scales the per-unit effect by it (the per-unit figure stays beside it)."""

from __future__ import annotations

import pytest

from causal_agent.reading.reader import read_question
from causal_common.models.datasets import Column, DatasetManifest

MANIFEST = DatasetManifest(
    id="ads",
    title="ads",
    description="",
    rows=100,
    data_key="ads/data.csv",
    columns=[
        Column(name="ad_spend", dtype="float", role="covariate"),
        Column(name="sales", dtype="float", role="covariate"),
        Column(name="home_sqft", dtype="float", role="covariate"),
        Column(name="monthly_bill", dtype="float", role="covariate"),
    ],
)


@pytest.mark.parametrize(
    ("question", "sign", "scale"),
    [
        ("if we increased ad spend by 1,000, how much more sales?", 1, 1000.0),
        ("how much does each additional 100 sqft add to the monthly bill?", 1, 100.0),
        ("if we cut ad spend by 200 what happens to sales", -1, 200.0),
        ("if ad spend rose by 10, how would sales change?", 1, 10.0),
        ("if ad spend went up by 2,500, what would happen to sales?", 1, 2500.0),
    ],
)
def test_the_size_of_the_change_is_read(question, sign, scale):
    contrast = read_question(question, MANIFEST).contrast
    assert contrast is not None and (contrast.sign, contrast.scale) == (sign, scale)


def test_a_percentage_of_the_outcome_is_not_a_change_in_the_treatment():
    contrast = read_question("would sales fall 5% if we cut ad spend?", MANIFEST).contrast
    assert contrast is None or contrast.scale == 1.0


@pytest.mark.parametrize(
    ("phrase", "factor"),
    [
        ("what if we doubled the ad spend", 2.0),
        ("if every store spent twice as much on ads", 2.0),
        ("suppose ad spend tripled", 3.0),
        ("what happens to sales if ad spend is cut in half", 0.5),
        ("if we halved the ad budget", 0.5),
        ("if ad spend were reduced by half", 0.5),
    ],
)
def test_a_relative_change_is_read_as_a_factor_of_the_current_level(phrase, factor):
    from causal_agent.reading.instructions import _scaled_contrast

    contrast = _scaled_contrast(phrase)
    assert contrast is not None and contrast.factor == factor
    assert contrast.units(40.0) == pytest.approx((factor - 1) * 40.0)
    assert contrast.units(None) is None


@pytest.mark.parametrize(
    ("question", "factor"),
    [
        ("what would happen to sales if we doubled ad spend?", 2.0),
        ("if ad spend were cut in half, how much would sales drop?", 0.5),
    ],
)
def test_a_relative_change_in_a_question_keeps_the_treatment_and_outcome(question, factor):
    reading = read_question(question, MANIFEST)
    assert (reading.treatment, reading.outcome) == ("ad_spend", "sales")
    assert reading.contrast is not None and reading.contrast.factor == factor
