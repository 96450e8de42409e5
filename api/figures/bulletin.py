"""A26: the periodic bulletin: ticket volumes, and each member unit's handling performance (api/figures/)."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field
from sqlalchemy import and_, case, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.figures.common import Period, of_unit
from api.figures.rates import (
    AcceptanceFigures,
    RatingLine,
    acceptance_figures,
    rate_counts,
    rating_lines,
    receipts,
)
from api.unit_tree import MEMBER_TIER
from api.views import View
from db.api_models import UnitRow
from db.figure_models import FigureEventRow as FigureEvent
from db.models import TicketRow
from domain.figure_events import CARDS_COUNTED, EVENT_FIGURES
from domain.rates import RateCounts, Rates
from domain.timeline import EventKind
from domain.vocabulary import Card, Category, Channel, RatingOption


class Volumes(BaseModel):
    """Tickets registered in the period (A2: every channel lands in the same flow)."""

    total: int
    by_category: dict[str, int]
    by_channel: dict[str, int]


class UnitPerformance(BaseModel):
    unit: str
    name: str | None = Field(None, description="The unit's name, as registered; null if it is not.")
    received: int = Field(0, description="Tickets dispatched to the unit in the period (redos not counted).")
    concluded: int = Field(0, description="Tickets it leads, concluded in the period.")
    open: int = Field(0, description="Tickets it leads that are still open.")
    on_time: int = Field(0, description="Of concluded and open tickets: answer clock met while green (A17).")
    yellow: int = Field(
        0, description="Of concluded and open tickets: yellow card at conclusion or now (A22)."
    )
    red: int = Field(0, description="Of concluded and open tickets: red card at conclusion or now (A22).")
    yellow_cards: int = Field(
        0,
        description="A22: limits that turned yellow in the period while the unit held the ticket; a ticket "
        "re-dispatched since keeps them charged to this unit (A25).",
    )
    red_cards: int = Field(0, description="A22: limits that turned red in the period while the unit held it.")
    statutory_yellow_cards: int = Field(
        0,
        description="Of `yellow_cards`: on limits the regulation imposes (A14, A17; `limit_basis` statutory).",
    )
    statutory_red_cards: int = Field(0, description="Of `red_cards`: on limits the regulation imposes.")
    office_set_yellow_cards: int = Field(
        0, description="Of `yellow_cards`: on limits the hotline office set itself (the sign-for limit)."
    )
    office_set_red_cards: int = Field(0, description="Of `red_cards`: on limits the office set itself.")
    judged: int = Field(
        0, description="Tickets whose timeliness is settled: answered, or yellow/red already."
    )
    returns_applied: int = 0
    returns_approved: int = 0
    returns_refused: int = Field(0, description="A16: refused returns, automatic ones included.")
    overdue_returns: int = Field(0, description="A14.2/A14.3: returns applied after their window.")
    extensions_applied: int = 0
    extensions_approved: int = 0
    redos: int = Field(0, description="A24: redos ordered.")
    callbacks: int = Field(0, description="A24: callbacks recorded.")
    satisfaction: dict[str, int] = Field(
        default_factory=lambda: {o.value: 0 for o in RatingOption},
        description="A24: handling ratings given in the period, per option (every round; no answer in time "
        "counts as basically satisfied).",
    )
    rate_counts: RateCounts = Field(default_factory=RateCounts, description="The counts behind `rates`.")
    rates: Rates = Field(
        default_factory=lambda: RateCounts().rates(),
        description="响应率, 解决率, 满意率 (docs/reports.md writes out each formula).",
    )


class Bulletin(View):
    period: Period
    unit: str | None = Field(description="The unit the bulletin is restricted to, if any.")
    volumes: Volumes
    rates: Rates = Field(description="The three rates of every unit listed together: their counts summed.")
    acceptance: AcceptanceFigures = Field(
        description="A24: the acceptance stage (受理环节), the hotline's own intake, as rated; with `unit`, "
        "of the tickets that unit held when rated."
    )
    units: list[UnitPerformance] = Field(
        description="Every member unit (A6: tier 2, the units that lead tickets), with zeros where it had "
        "nothing in the period, and any other unit with figures; by unit id."
    )


async def bulletin(session: AsyncSession, period: Period, unit: str | None = None) -> Bulletin:
    figures, lines = await unit_figures(session, period, unit)
    # A26 reports on each unit: one with no tickets in the period is listed too, at zero, not left out.
    registered = await session.execute(
        select(UnitRow.id, UnitRow.name, UnitRow.tier).where(
            or_(UnitRow.tier == MEMBER_TIER, UnitRow.id.in_(list(figures))), *of_unit(UnitRow.id, unit)
        )
    )
    for unit_id, name, tier in registered:
        if tier == MEMBER_TIER:
            figures.setdefault(unit_id, UnitPerformance(unit=unit_id))
        figures[unit_id].name = name
    units = [figures[u] for u in sorted(figures)]
    city = RateCounts()
    for line in units:
        city = city.add(line.rate_counts)
    return Bulletin(
        period=period,
        unit=unit,
        volumes=await _volumes(session, period, unit),
        rates=city.rates(),
        acceptance=acceptance_figures(lines),
        units=units,
    )


async def unit_figures(
    session: AsyncSession, period: Period, unit: str | None, *, rates: bool = True
) -> tuple[dict[str, UnitPerformance], list[RatingLine]]:
    """The units with any figure in the period, and their figures; and the period's ratings. Without
    `rates` (the assessment weighs none of them), no receipts, ratings or rates are counted."""
    figures: dict[str, UnitPerformance] = {}
    if session.get_bind().dialect.name == "postgresql":
        # A period's receipts are sorted per ticket for the response rate: in memory, not on disk (bench B5:
        # a quarter's sort spilled at the default 4 MB). For this report's transaction only.
        await session.execute(text("SET LOCAL work_mem = '64MB'"))

    def of(unit_id: str) -> UnitPerformance:
        return figures.setdefault(unit_id, UnitPerformance(unit=unit_id))

    for unit_id, counts in await _ticket_figures(session, period, unit):
        for name, n in counts.items():
            setattr(of(unit_id), name, n)
    for unit_id, kind, n in await _event_counts(session, period, unit, EVENT_FIGURES):
        setattr(of(unit_id), EVENT_FIGURES[kind], n)
    for unit_id, card, statutory, n in await _card_counts(session, period, unit):
        line = of(unit_id)
        setattr(line, f"{card}_cards", getattr(line, f"{card}_cards") + n)
        basis = "statutory" if statutory else "office_set"
        setattr(line, f"{basis}_{card}_cards", n)
    if not rates:
        return figures, []
    received = [(u, int(t), int(r), int(s)) for u, t, r, s in await session.execute(receipts(period, unit))]
    for unit_id, tickets, _, _ in received:
        of(unit_id).received = tickets
    lines = await rating_lines(session, period, unit)
    for line in lines:
        if line.unit is not None:
            of(line.unit).satisfaction[line.handling] += line.n
    for unit_id, counts in rate_counts(received, lines).items():
        of(unit_id).rate_counts = counts
        of(unit_id).rates = counts.rates()
    return figures, lines


async def _volumes(session: AsyncSession, period: Period, unit: str | None) -> Volumes:
    query = (
        select(TicketRow.category, TicketRow.channel, func.count())
        .where(period.holds(TicketRow.registered_at), *of_unit(TicketRow.lead_unit, unit))
        .group_by(TicketRow.category, TicketRow.channel)
    )
    by_category = {c.value: 0 for c in Category}
    by_channel = {c.value: 0 for c in Channel}
    for category, channel, n in await session.execute(query):
        by_category[category] = by_category.get(category, 0) + n
        by_channel[channel] = by_channel.get(channel, 0) + n
    return Volumes(total=sum(by_category.values()), by_category=by_category, by_channel=by_channel)


async def _ticket_figures(
    session: AsyncSession, period: Period, unit: str | None
) -> Iterable[tuple[str, dict[str, int]]]:
    t = TicketRow
    # The answer limit's figures are columns the projection fills (bench B5: not the JSON state).
    answer_met = t.answer_met_at.is_not(None)
    answer_green = t.answer_card == Card.GREEN.value
    conditions = {
        "on_time": and_(answer_met, answer_green),
        "yellow": t.card == Card.YELLOW.value,
        "red": t.card == Card.RED.value,
        "judged": or_(answer_met, t.card != Card.GREEN.value),
    }
    counted = select(
        t.lead_unit, func.count(), *(func.count(case((c, 1))) for c in conditions.values())
    ).group_by(t.lead_unit)
    out: dict[str, dict[str, int]] = {}
    # Concluded in the period, and still open having been registered before its end: two queries, each read
    # from its own index alone (db/models.py FIGURE_COLUMNS), where their OR would read the ticket rows. So
    # neither names `concluded_at` beyond its condition: a partial index's predicate column is not in it.
    for name, which in (
        ("concluded", [period.holds(t.concluded_at)]),
        ("open", [t.concluded_at.is_(None), t.registered_at < period.end]),
    ):
        rows = await session.execute(
            counted.where(t.lead_unit.is_not(None), *which, *of_unit(t.lead_unit, unit))
        )
        for unit_id, tickets, *counts in rows:
            line = out.setdefault(str(unit_id), dict.fromkeys(("concluded", "open", *conditions), 0))
            line[name] += tickets
            for figure, n in zip(conditions, counts, strict=True):
                line[figure] += n
    return list(out.items())


async def _event_counts(
    session: AsyncSession, period: Period, unit: str | None, kinds: Iterable[str]
) -> Iterable[tuple[str, str, int]]:
    """Counted events per unit charged and kind (A14–A17, A24), from the narrow figure rows."""
    f = FigureEvent
    query = (
        select(f.unit, f.kind, func.count())
        .where(f.kind.in_(list(kinds)), period.holds(f.at), f.unit.is_not(None), *of_unit(f.unit, unit))
        .group_by(f.unit, f.kind)
    )
    return [(u, k, n) for u, k, n in await session.execute(query)]


async def _card_counts(
    session: AsyncSession, period: Period, unit: str | None
) -> Iterable[tuple[str, str, bool, int]]:
    """A22 card changes to yellow or red, stamped with the boundary crossed, charged to the holder then,
    and whether the limit is one the regulation imposes (A26 reports those apart)."""
    f = FigureEvent
    query = (
        select(f.unit, f.card, f.statutory, func.count())
        .where(
            f.kind == EventKind.CARD_CHANGED,
            period.holds(f.at),
            f.card.in_(CARDS_COUNTED),
            # A unit is charged with its own limits only, not the hotline's (A23 a line's acknowledgement).
            f.charged_to.is_(None),
            f.unit.is_not(None),
            *of_unit(f.unit, unit),
        )
        .group_by(f.unit, f.card, f.statutory)
    )
    return [(u, c, bool(s), n) for u, c, s, n in await session.execute(query)]
