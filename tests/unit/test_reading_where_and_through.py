"""Roles a careful analyst reads from the question's shape: a column of places is where a change happened, not
the change; what an instrument works through is the treatment; a word for a column written with a short head
("booking" for `ebooking`) names it; the outcome of a baseline/later pair is the later measurement."""

from __future__ import annotations

from causal_agent.reading.reader import read_question
from causal_agent.reading.words import word_match
from causal_common.models.datasets import Column, DatasetManifest


def _manifest(*columns: Column) -> DatasetManifest:
    return DatasetManifest(id="own", title="own", description="", rows=500, data_key="own/d.csv", columns=list(columns))


YES_NO = {"levels": ["0", "1"], "coding": {"0": 0.0, "1": 1.0}}
STORES = _manifest(
    Column(name="store", dtype="string", role="text"),
    Column(name="week", dtype="string", role="date"),
    Column(name="mobile_app", dtype="integer", role="covariate", **YES_NO),
    Column(name="footfall", dtype="integer", role="covariate"),
    Column(name="basket_usd", dtype="float", role="covariate"),
)


def test_a_short_head_on_a_column_word_is_still_that_word():
    assert word_match("booking", "ebooking") > 0.8
    assert word_match("learning", "elearning") > 0.8
    assert word_match("ticket", "eticket") > 0.8
    assert word_match("rebooking", "ebooking") < 0.8  # not a head the rule knows
    assert word_match("mail", "email") == 0.0  # too short to be sure


def test_places_where_a_change_happened_are_not_the_change():
    for question in (
        "we launched the mobile app at some stores in march 2021 - did basket size go up?",
        "at a few stores we switched on the mobile app last spring; did baskets get bigger?",
    ):
        reading = read_question(question, STORES)
        assert (reading.treatment, reading.outcome) == ("mobile_app", "basket_usd"), question


def test_a_named_place_is_still_a_treated_group():
    named = _manifest(
        Column(name="region", dtype="string", role="covariate", levels=["north", "south", "east"]),
        Column(name="year", dtype="integer", role="covariate"),
        Column(name="footfall", dtype="integer", role="covariate"),
        Column(name="sales", dtype="float", role="covariate"),
    )
    reading = read_question("does being in the north raise sales compared with the south?", named)
    assert reading.treatment != "footfall"


SCHOOL = _manifest(
    Column(name="pupil_id", dtype="string", role="identifier"),
    Column(name="ballot_won", dtype="integer", role="covariate", **YES_NO),
    Column(name="attended_academy", dtype="integer", role="covariate", **YES_NO),
    Column(name="prior_score", dtype="float", role="covariate"),
    Column(name="test_score", dtype="float", role="covariate"),
)


def test_what_an_instrument_works_through_is_the_treatment():
    question = (
        "Places were given out by ballot. Winning the ballot only matters through whether a pupil attended the "
        "academy. Use that to estimate the academy's effect on test scores."
    )
    reading = read_question(question, SCHOOL)
    assert (reading.treatment, reading.outcome) == ("attended_academy", "test_score")


TUTORING = _manifest(
    Column(name="tutored", dtype="integer", role="covariate", **YES_NO),
    Column(name="tutoring_hours", dtype="float", role="covariate"),
    Column(name="math_pre", dtype="float", role="covariate"),
    Column(name="math_post", dtype="float", role="covariate"),
)


def test_the_outcome_of_a_baseline_and_later_pair_is_the_later_one():
    reading = read_question("per hour of tutoring, how much does math go up?", TUTORING)
    assert (reading.treatment, reading.outcome) == ("tutoring_hours", "math_post")


BANK = _manifest(
    Column(name="member_id", dtype="string", role="identifier"),
    Column(name="score", dtype="float", role="covariate"),
    Column(name="fee_waived", dtype="integer", role="covariate", **YES_NO),
    Column(name="income_k", dtype="float", role="covariate"),
    Column(name="stayed_1y", dtype="integer", role="covariate", **YES_NO),
)


def test_an_outcome_that_has_its_part_in_the_design_is_asked_for_with_yes_no_results_among_the_options():
    from causal_agent.describe import roles_question

    reading = read_question(
        "we waive the fee for anyone with a score of 650 or higher. did that keep more people with us?", BANK
    )
    assert (reading.treatment, reading.outcome) == ("fee_waived", None)
    text, expects = roles_question(reading, BANK)
    assert expects["missing"] == ["outcome"] and "stayed_1y" in expects["options"]["outcome"]
    assert "fee_waived" not in expects["options"]["outcome"]


SHOPS = _manifest(
    Column(name="shop_id", dtype="string", role="identifier"),
    Column(name="region", dtype="string", role="covariate", levels=["east", "west", "north"]),
    Column(name="month", dtype="string", role="date"),
    Column(name="sq_m", dtype="float", role="covariate"),
    Column(name="loyalty_card", dtype="integer", role="covariate", **YES_NO),
    Column(name="footfall_k", dtype="float", role="covariate"),
    Column(name="repeat_visits", dtype="float", role="covariate"),
)


def test_the_question_asked_last_names_the_outcome_after_a_setting():
    reading = read_question(
        "We launched the loyalty card in 20 shops with the most footfall. Did repeat visits go up?", SHOPS
    )
    assert (reading.treatment, reading.outcome) == ("loyalty_card", "repeat_visits")


def test_a_count_of_what_something_added_asks_for_an_effect():
    reading = read_question(
        "The loyalty card went live in 2021. How many extra repeat visits did the card bring?", SHOPS
    )
    assert (reading.intent, reading.treatment, reading.outcome) == ("causal", "loyalty_card", "repeat_visits")


def test_a_policy_placed_by_group_and_a_numeric_date_with_one_column_named_is_an_effect():
    from causal_agent.reading.designs import read_design

    question = "since 06/2021 the east shops charge no delivery fee -- effect on repeat visits compared with the west?"
    reading = read_question(question, SHOPS)
    assert (reading.intent, reading.outcome) == ("causal", "repeat_visits")
    design = read_design(question, SHOPS, reading.treatment, reading.outcome)
    assert (design.treatment_start, design.treated_groups) == ("2021-06", ["east"])
