"""The three rates per unit (domain/rates.py: 响应率, 解决率, 满意率) and the acceptance stage's ratings, from
the timeline (api/figures/)."""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel, Field
from sqlalchemy import Select, case, exists, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.figures.common import Event, Period, final_ratings, of_unit, ratings
from domain.rates import SATISFIED_OPTIONS, Rate, RateCounts, rate
from domain.ticket import SIGN_FOR
from domain.timeline import CardChanged, Dispatched, EventKind
from domain.vocabulary import Card, RatingOption

_SATISFIED = [o.value for o in SATISFIED_OPTIONS]


class AcceptanceFigures(BaseModel):
    """A24: the acceptance stage (受理环节), the hotline's own intake, as the requesters rated it."""

    ratings: dict[str, int] = Field(
        default_factory=lambda: {o.value: 0 for o in RatingOption},
        description="Acceptance ratings given in the period, per option (every round; no answer in time "
        "counts as basically satisfied).",
    )
    satisfaction: Rate = Field(
        default_factory=lambda: rate(0, 0),
        description="满意率 of the acceptance stage: final ratings in the period that are very satisfied, "
        "satisfied or basically satisfied ÷ final ratings.",
    )


async def rate_counts(session: AsyncSession, period: Period, unit: str | None) -> dict[str, RateCounts]:
    counts: dict[str, RateCounts] = defaultdict(RateCounts)
    for u, received, responded in await session.execute(_responses(period, unit)):
        counts[u].received, counts[u].responded = received, responded
    final = final_ratings(period).subquery()
    query = (
        select(
            final.c.unit,
            func.count(final.c.resolved),
            func.count(case((final.c.resolved.is_(true()), 1))),
            func.count(),
            func.count(case((final.c.option.in_(_SATISFIED), 1))),
        )
        .where(final.c.unit.is_not(None), *of_unit(final.c.unit, unit))
        .group_by(final.c.unit)
    )
    for u, asked, resolved, rated, satisfied in await session.execute(query):
        c = counts[u]
        c.resolution_asked, c.resolved, c.rated, c.satisfied = asked, resolved, rated, satisfied
    return dict(counts)


def _responses(period: Period, unit: str | None) -> Select[tuple[str, int, int]]:
    """响应率 per unit: receipts in the period, and those signed for before the sign-for card turned."""
    signed, between, card = aliased(Event), aliased(Event), aliased(Event)
    lead = Event.data[Dispatched.key("lead_unit")].as_string()
    # The first sign-for after this receipt, by the unit receiving it, with no other receipt between.
    in_time = exists().where(
        signed.ticket_no == Event.ticket_no,
        signed.kind == EventKind.SIGNED_FOR,
        signed.seq > Event.seq,
        signed.unit == lead,
        ~exists()
        .where(
            between.ticket_no == Event.ticket_no,
            between.kind == EventKind.DISPATCHED,
            between.seq > Event.seq,
            between.seq < signed.seq,
        )
        .correlate_except(between),
        ~exists()
        .where(
            card.ticket_no == Event.ticket_no,
            card.kind == EventKind.CARD_CHANGED,
            card.seq > Event.seq,
            card.seq < signed.seq,
            card.data[CardChanged.key("clock")].as_string() == SIGN_FOR,
            card.data[CardChanged.key("after")].as_string().in_([Card.YELLOW.value, Card.RED.value]),
        )
        .correlate_except(card),
    )
    return (
        select(lead, func.count(), func.count(case((in_time, 1))))
        .where(
            Event.kind == EventKind.DISPATCHED,
            period.holds(Event.at),
            # A24: a redo goes back to the same unit, signed for at once; it is not a new receipt.
            Event.data[Dispatched.key("redo")].as_boolean().is_not(true()),
            *of_unit(lead, unit),
        )
        .group_by(lead)
    )


async def acceptance_figures(session: AsyncSession, period: Period, unit: str | None) -> AcceptanceFigures:
    """The acceptance stage's ratings; with `unit`, of the tickets that unit held when rated."""
    figures = AcceptanceFigures()
    given = ratings(period).subquery()
    per_option = (
        select(given.c.acceptance, func.count())
        .where(*of_unit(given.c.unit, unit))
        .group_by(given.c.acceptance)
    )
    for option, n in await session.execute(per_option):
        figures.ratings[option] = figures.ratings.get(option, 0) + n
    final = final_ratings(period).subquery()
    satisfied = func.count(case((final.c.acceptance.in_(_SATISFIED), 1)))
    row = (await session.execute(select(satisfied, func.count()).where(*of_unit(final.c.unit, unit)))).one()
    figures.satisfaction = rate(row[0], row[1])
    return figures
