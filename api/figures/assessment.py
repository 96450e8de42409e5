"""A27: the weighted assessment of units: the counts from SQL, the arithmetic in domain/assessment.py."""

from __future__ import annotations

from collections import defaultdict

from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.figures.bulletin import UnitPerformance, unit_figures
from api.figures.common import Period
from api.figures.rates import final_in
from api.views import View
from db.figure_models import FigureEventRow as FigureEvent
from domain.assessment import (
    SATISFACTION_EXEMPT_DOMAINS,
    AssessmentWeights,
    SatisfactionTally,
    UnitAssessment,
    assess,
)
from domain.figure_events import RATING_KINDS


class Assessment(View):
    period: Period
    weights: AssessmentWeights = Field(description="The configured weights, normalised.")
    satisfaction_exempt_domains: list[str]
    units: list[UnitAssessment]


async def assessment(
    session: AsyncSession, period: Period, weights: AssessmentWeights, within: frozenset[str] | None = None
) -> Assessment:
    """Every unit with figures in the period; `within`: only these (A4, a county office's county)."""
    figures, _ = await unit_figures(session, period, None, rates=False)
    satisfaction = await _final_ratings(session, period)
    normalised = weights.normalised()
    units = sorted(u for u in set(figures) | set(satisfaction) if within is None or u in within)
    return Assessment(
        period=period,
        weights=normalised,
        satisfaction_exempt_domains=sorted(SATISFACTION_EXEMPT_DOMAINS),
        units=[
            assess(
                figures.get(u, UnitPerformance(unit=u)), satisfaction.get(u, SatisfactionTally()), normalised
            )
            for u in units
        ],
    )


async def _final_ratings(session: AsyncSession, period: Period) -> dict[str, SatisfactionTally]:
    """Each ticket's last handling rating in the period (A24: the second rating is final), with the ticket's
    domain (A27 exemptions) as its figure row carries it."""
    f = FigureEvent
    query = (
        select(f.unit, f.option, f.domain, func.count())
        .where(f.kind.in_(RATING_KINDS), period.holds(f.at), final_in(period), f.unit.is_not(None))
        .group_by(f.unit, f.option, f.domain)
    )
    out: dict[str, SatisfactionTally] = defaultdict(SatisfactionTally)
    for unit, option, domain, n in await session.execute(query):
        out[unit].count(option, domain, n)
    return dict(out)
