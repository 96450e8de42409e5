"""A27's arithmetic (domain/assessment.py), without a database: weights, A27's move of the satisfaction
weight for mediation and law-enforcement matters, and the rounding of values and scores."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import ValidationError

from domain.assessment import (
    AssessmentWeights,
    SatisfactionTally,
    assess,
    component,
    satisfaction_exempt,
)

DEFAULT = AssessmentWeights().normalised()


@dataclass(frozen=True)
class Figures:
    unit: str = "WJ-URBAN"
    on_time: int = 0
    judged: int = 0
    returns_approved: int = 0
    returns_refused: int = 0


def tally(*ratings: tuple[str, str]) -> SatisfactionTally:
    counted = SatisfactionTally()
    for option, domain in ratings:
        counted.count(option, domain)
    return counted


@pytest.mark.parametrize("domain", ["mediation", " Mediation ", "LAW_ENFORCEMENT", "调解", "执法"])
def test_a27_mediation_and_law_enforcement_matters_are_exempt(domain: str) -> None:
    assert satisfaction_exempt(domain)


@pytest.mark.parametrize("domain", ["", "urban_management", "mediation services", "调解员"])
def test_a27_other_matters_are_judged_by_satisfaction(domain: str) -> None:
    assert not satisfaction_exempt(domain)


def test_a24_a27_a_tally_counts_final_ratings_judged_or_exempt() -> None:
    counted = tally(
        ("satisfied", "urban"),
        ("basically_satisfied", ""),
        ("dissatisfied", "urban"),
        ("very_dissatisfied", "urban"),
        ("very_dissatisfied", "调解"),
    )
    assert (counted.satisfied, counted.judged, counted.exempt) == (2, 4, 1)
    counted.count("satisfied", "urban", tickets=3)
    assert (counted.satisfied, counted.judged) == (5, 7)


def test_a27_weights_are_normalised_and_one_must_count() -> None:
    weights = AssessmentWeights(timeliness=2, return_quality=1, satisfaction=1).normalised()
    assert (weights.timeliness, weights.return_quality, weights.satisfaction) == (0.5, 0.25, 0.25)
    assert (DEFAULT.timeliness, DEFAULT.return_quality, DEFAULT.satisfaction) == pytest.approx(
        (0.4, 0.2, 0.4)
    )
    with pytest.raises(ValidationError):
        AssessmentWeights(timeliness=0, return_quality=0, satisfaction=0)
    with pytest.raises(ValidationError):
        AssessmentWeights(timeliness=-1)


def test_a27_a_unit_is_scored_on_every_component() -> None:
    """On time 1/1, its one decided return refused, satisfied 1/1: 0.4·1 + 0.2·0 + 0.4·1 = 80."""
    scored = assess(Figures(on_time=1, judged=1, returns_refused=1), tally(("satisfied", "")), DEFAULT)
    assert scored.score == 80.0
    assert scored.components.return_quality.model_dump() == {
        "value": 0.0,
        "weight": 0.2,
        "numerator": 0,
        "denominator": 1,
    }
    assert scored.satisfaction_exempt == 0


def test_a27_an_exempt_matters_satisfaction_weight_moves_to_timeliness() -> None:
    """A27: with only exempt ratings (or none), the satisfaction weight goes to timeliness, so a
    dissatisfied mediation matter scores as if unrated; judged, the same rating would score lower."""
    figures = Figures(unit="WJ-POWER", on_time=1, judged=2, returns_refused=1)
    exempt = assess(figures, tally(("dissatisfied", "mediation")), DEFAULT)
    unrated = assess(figures, SatisfactionTally(), DEFAULT)
    judged = assess(figures, tally(("dissatisfied", "")), DEFAULT)
    assert exempt.score == unrated.score == 40.0 and judged.score == 20.0
    assert exempt.components.timeliness.weight == 0.8 and exempt.components.satisfaction.weight == 0.0
    assert exempt.satisfaction_exempt == 1

    # Half the ratings exempt: half the satisfaction weight moves.
    half = assess(figures, tally(("satisfied", ""), ("dissatisfied", "执法")), DEFAULT)
    assert (half.components.timeliness.weight, half.components.satisfaction.weight) == (0.6, 0.2)
    assert half.score == 50.0  # (0.6·0.5 + 0.2·0 + 0.2·1) / 1.0


def test_a27_nothing_measured_gives_no_score() -> None:
    scored = assess(Figures(), SatisfactionTally(), DEFAULT)
    assert scored.score is None
    assert scored.components.timeliness.value is None


def test_a27_a_component_without_weight_does_not_count() -> None:
    """Weighted on return quality only, a unit with no decided return has no score, whatever its timeliness."""
    only_returns = AssessmentWeights(timeliness=0, return_quality=1, satisfaction=0).normalised()
    assert assess(Figures(on_time=1, judged=1), SatisfactionTally(), only_returns).score is None


def test_a27_values_round_to_four_places_and_scores_to_two() -> None:
    third = component(1, 3, 1 / 3)
    assert (third.value, third.weight) == (0.3333, 0.3333)
    assert component(0, 0, 0.5).value is None
    scored = assess(Figures(on_time=1, judged=3), SatisfactionTally(), DEFAULT)
    assert scored.score == 33.33
