"""The three rates per unit (domain/rates.py: 响应率, 解决率, 满意率) and the acceptance stage's ratings, from
the timeline (api/figures/). Each reads the period's events once, through the index on (kind, at)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel, Field
from sqlalchemy import Select, and_, case, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from api.figures.common import Event, Period, of_unit, ratings
from domain.rates import SATISFIED_OPTIONS, Rate, RateCounts, rate
from domain.ticket import SIGN_FOR
from domain.timeline import CardChanged, Dispatched, EventKind
from domain.vocabulary import RatingOption

_SATISFIED = frozenset(o.value for o in SATISFIED_OPTIONS)
# How long after its receipt a sign-for is looked for: far longer than any sign-for limit (1 WD).
SIGN_FOR_HORIZON = timedelta(days=31)


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


@dataclass(frozen=True)
class RatingLine:
    """Ratings in the period with the same unit, options and answer to 是否解决; `final` if each is its
    ticket's last in the period (A24: the second rating is final)."""

    unit: str | None
    handling: str
    acceptance: str
    resolved: bool | None
    final: bool
    n: int


async def rating_lines(session: AsyncSession, period: Period, unit: str | None) -> list[RatingLine]:
    """The period's ratings, read once for every figure made of them."""
    latest = func.row_number().over(partition_by=Event.ticket_no, order_by=Event.seq.desc())
    given = ratings(period).add_columns(latest.label("latest")).subquery()
    final = given.c.latest == 1
    keys = (given.c.unit, given.c.option, given.c.acceptance, given.c.resolved, final)
    query = select(*keys, func.count()).where(*of_unit(given.c.unit, unit)).group_by(*keys)
    return [RatingLine(u, h, a, r, bool(f), n) for u, h, a, r, f, n in await session.execute(query)]


def acceptance_figures(lines: list[RatingLine]) -> AcceptanceFigures:
    figures = AcceptanceFigures()
    for line in lines:
        figures.ratings[line.acceptance] = figures.ratings.get(line.acceptance, 0) + line.n
    final = [line for line in lines if line.final]
    satisfied = sum(line.n for line in final if line.acceptance in _SATISFIED)
    figures.satisfaction = rate(satisfied, sum(line.n for line in final))
    return figures


def rate_counts(receipts: list[tuple[str, int, int, int]], lines: list[RatingLine]) -> dict[str, RateCounts]:
    """Each unit's counts behind its rates: its receipts (`receipts`' rows) and its final ratings."""
    counts: dict[str, RateCounts] = defaultdict(RateCounts)
    for u, _tickets, received, responded in receipts:
        counts[u].received, counts[u].responded = received, responded
    for line in lines:
        if line.unit is None or not line.final:
            continue
        c = counts[line.unit]
        c.rated += line.n
        c.satisfied += line.n if line.handling in _SATISFIED else 0
        c.resolution_asked += line.n if line.resolved is not None else 0
        c.resolved += line.n if line.resolved else 0
    return dict(counts)


def receipts(period: Period, unit: str | None) -> Select[tuple[str, int, int, int]]:
    """Per unit: the tickets it received in the period, its receipts (a ticket may come back) and those
    signed for before the sign-for card turned (响应率).

    One pass over the receipts, sign-fors and sign-for cards from the period's start to a month past its
    end: a receipt was signed for in time when the next of those events on its ticket is a sign-for by
    the unit it went to (not its sign-for card turning, not another receipt)."""
    lead = Event.data[Dispatched.key("lead_unit")].as_string()
    clock = Event.data[CardChanged.key("clock")].as_string()
    order = {"partition_by": Event.ticket_no, "order_by": Event.seq}
    steps = (
        select(
            Event.ticket_no,
            Event.kind,
            Event.at,
            lead.label("lead"),
            Event.data[Dispatched.key("redo")].as_boolean().label("redo"),
            func.lead(Event.kind).over(**order).label("next_kind"),
            func.lead(Event.unit).over(**order).label("next_unit"),
        )
        .where(
            Event.kind.in_([EventKind.DISPATCHED, EventKind.SIGNED_FOR, EventKind.CARD_CHANGED]),
            Event.at >= period.start,
            Event.at < period.end + SIGN_FOR_HORIZON,
            or_(Event.kind != EventKind.CARD_CHANGED, clock == SIGN_FOR),
        )
        .subquery()
    )
    in_time = and_(steps.c.next_kind == EventKind.SIGNED_FOR, steps.c.next_unit == steps.c.lead)
    return (
        select(
            steps.c.lead,
            func.count(steps.c.ticket_no.distinct()),
            func.count(),
            func.count(case((in_time, 1))),
        )
        .where(
            steps.c.kind == EventKind.DISPATCHED,
            period.holds(steps.c.at),
            # A24: a redo goes back to the same unit, signed for at once; it is not a new receipt.
            steps.c.redo.is_not(true()),
            *of_unit(steps.c.lead, unit),
        )
        .group_by(steps.c.lead)
    )
