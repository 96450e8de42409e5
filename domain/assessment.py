"""A27: the objective, weighted assessment of units, as arithmetic on counts the read model gives.

No SQL here: api/figures/ counts the tickets and ratings, this module turns a unit's counts into
components and a score, so the weighting, A27's move of the satisfaction weight and the rounding can be
checked without a database.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field, model_validator

from domain.vocabulary import DISSATISFIED

# A27: matters handled by law, "not judged by satisfaction rate alone". `registration.domain` is free text:
# these values (trimmed, case-insensitive) mark a mediation or law-enforcement matter.
SATISFACTION_EXEMPT_DOMAINS = frozenset({"mediation", "law_enforcement", "调解", "执法"})

# Shown rounded: a component's value and weight to 4 places, a score (0–100) to 2.
VALUE_PLACES = 4
SCORE_PLACES = 2


def satisfaction_exempt(domain: str) -> bool:
    """A27: a mediation or law-enforcement matter, left out of the satisfaction rate."""
    return domain.strip().lower() in SATISFACTION_EXEMPT_DOMAINS


class AssessmentWeights(BaseModel):
    """A27: how much each component counts. Any non-negative numbers; they are normalised to sum to 1.

    The regulation fixes no weights: the defaults (timeliness 0.4, return quality 0.2, satisfaction 0.4)
    are the service's own, to be set by the hotline office."""

    timeliness: float = Field(
        0.4, ge=0, le=100, description="Share of judged tickets answered on time (A17)."
    )
    return_quality: float = Field(
        0.2,
        ge=0,
        le=100,
        description="Share of decided returns that were approved: refused ones count against "
        "(A16, A25 improper returns).",
    )
    satisfaction: float = Field(
        0.4,
        ge=0,
        le=100,
        description="Share of rated tickets not rated (very) dissatisfied (A24); "
        "mediation and law-enforcement matters are left out and their weight goes to timeliness (A27).",
    )

    @model_validator(mode="after")
    def _some_weight(self) -> AssessmentWeights:
        if self.timeliness + self.return_quality + self.satisfaction <= 0:
            raise ValueError("at least one weight must be positive")
        return self

    def normalised(self) -> AssessmentWeights:
        total = self.timeliness + self.return_quality + self.satisfaction
        return AssessmentWeights(
            timeliness=self.timeliness / total,
            return_quality=self.return_quality / total,
            satisfaction=self.satisfaction / total,
        )


class Component(BaseModel):
    value: float | None = Field(
        description="numerator / denominator, 0–1; null when there is nothing to measure."
    )
    weight: float = Field(description="The weight it carries in this unit's score, after A27's move.")
    numerator: int
    denominator: int


class Components(BaseModel):
    timeliness: Component
    return_quality: Component
    satisfaction: Component


class UnitAssessment(BaseModel):
    unit: str
    score: float | None = Field(
        description="0–100: Σ value × weight over the components that have a value, divided by their weights; "
        "null when none has."
    )
    components: Components
    satisfaction_exempt: int = Field(
        description="A27: rated mediation or law-enforcement tickets, left out of the satisfaction rate."
    )


class SatisfactionTally(BaseModel):
    """A unit's rated tickets, each by its final handling rating (A24: the second rating is final)."""

    satisfied: int = 0
    judged: int = 0
    exempt: int = 0

    def count(self, option: str, domain: str, tickets: int = 1) -> None:
        """A27: a mediation or law-enforcement matter is counted as exempt, not judged; A24: a judged one
        satisfies unless rated (very) dissatisfied."""
        if satisfaction_exempt(domain):
            self.exempt += tickets
            return
        self.judged += tickets
        if option not in DISSATISFIED:
            self.satisfied += tickets


class HandlingFigures(Protocol):
    """The counts of a unit's handling that the assessment weighs (the bulletin's UnitPerformance has them)."""

    @property
    def unit(self) -> str: ...
    @property
    def on_time(self) -> int: ...
    @property
    def judged(self) -> int: ...
    @property
    def returns_approved(self) -> int: ...
    @property
    def returns_refused(self) -> int: ...


def assess(
    figures: HandlingFigures, satisfaction: SatisfactionTally, weights: AssessmentWeights
) -> UnitAssessment:
    """A27: one unit's components and score, `weights` already normalised."""
    rated = satisfaction.judged + satisfaction.exempt
    # A27: the satisfaction weight counts only for ratings it may judge; the rest (mediation and
    # law-enforcement matters, or no rating at all) moves to timeliness.
    satisfaction_weight = weights.satisfaction * satisfaction.judged / rated if rated else 0.0
    decided = figures.returns_approved + figures.returns_refused
    components = Components(
        timeliness=component(
            figures.on_time, figures.judged, weights.timeliness + weights.satisfaction - satisfaction_weight
        ),
        return_quality=component(figures.returns_approved, decided, weights.return_quality),
        satisfaction=component(satisfaction.satisfied, satisfaction.judged, satisfaction_weight),
    )
    return UnitAssessment(
        unit=figures.unit,
        score=score(components),
        components=components,
        satisfaction_exempt=satisfaction.exempt,
    )


def component(numerator: int, denominator: int, weight: float) -> Component:
    value = round(numerator / denominator, VALUE_PLACES) if denominator else None
    return Component(
        value=value, weight=round(weight, VALUE_PLACES), numerator=numerator, denominator=denominator
    )


def score(components: Components) -> float | None:
    """0–100 over the components that measure something and carry weight; None when none does."""
    counted = [
        c
        for c in (components.timeliness, components.return_quality, components.satisfaction)
        if c.value is not None and c.weight > 0
    ]
    total = sum(c.weight for c in counted)
    if not total:
        return None
    return round(100 * sum(c.weight * (c.value or 0.0) for c in counted) / total, SCORE_PLACES)
