"""The three rates per unit (domain/rates.py: 响应率, 解决率, 满意率) and the acceptance stage's ratings, from
the narrow figure rows the projection writes (domain/figure_events.py), through their index on (kind, at)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.figures.common import Period, of_unit
from db.figure_models import FigureEventRow as FigureEvent
from domain.figure_events import RATING_KINDS
from domain.rates import SATISFIED_OPTIONS, Rate, RateCounts, rate
from domain.timeline import EventKind
from domain.vocabulary import RatingOption

_SATISFIED = frozenset(o.value for o in SATISFIED_OPTIONS)


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
    """The period's ratings, read once for every figure made of them: a rating is its ticket's final one in
    the period when no later rating superseded it before the period's end (A24)."""
    f = FigureEvent
    final = final_in(period)
    keys = (f.unit, f.option, f.acceptance, f.resolved, final)
    query = (
        select(*keys, func.count())
        .where(f.kind.in_(RATING_KINDS), period.holds(f.at), *of_unit(f.unit, unit))
        .group_by(*keys)
    )
    return [RatingLine(u, h, a, r, bool(fi), n) for u, h, a, r, fi, n in await session.execute(query)]


def final_in(period: Period) -> ColumnElement[bool]:
    """A24: the second rating is final — a rating given in `period` is final there unless its ticket was
    rated again before the period ended."""
    f = FigureEvent
    return or_(f.superseded_at.is_(None), f.superseded_at >= period.end)


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
    signed for before the sign-for card turned (响应率): the receipts' rows settle whether they were
    (domain/figure_events.py), when the ticket's next step is projected. Counted per ticket first, then per
    unit: a hash of the period's receipts, where a distinct count would sort them (bench B5)."""
    f = FigureEvent
    per_ticket = (
        select(
            f.unit.label("unit"),
            func.count().label("receipts"),
            func.count(case((f.responded.is_(True), 1))).label("responded"),
        )
        .where(
            f.kind == EventKind.DISPATCHED,
            period.holds(f.at),
            # A24: a redo goes back to the same unit, signed for at once; it is not a new receipt.
            f.redo.is_not(True),
            f.unit.is_not(None),
            *of_unit(f.unit, unit),
        )
        .group_by(f.unit, f.ticket_no)
        .subquery()
    )
    return select(
        per_ticket.c.unit,
        func.count(),
        func.sum(per_ticket.c.receipts),
        func.sum(per_ticket.c.responded),
    ).group_by(per_ticket.c.unit)
