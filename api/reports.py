"""Chapter 5 from the SQL read model: the A26 bulletin, the A27 assessment and the A25 supervision list.

Figures come from `tickets` and `timeline_events`, never from Temporal visibility (STYLE pattern 7). There
are two kinds:

- *Ticket figures* (concluded, on time, yellow, red) count the tickets a unit leads now (`lead_unit`) that
  were concluded in the period or are still open, with the card they froze at on conclusion or have now
  (A22: a concluded ticket's clocks stop; the read model keeps no older card). *On time* means the answer
  clock (A17) was met while green; a ticket may be on time on its answer and yellow on its sign-for.
- *Event figures* (received, cards shown, returns, extensions, redos, callbacks, ratings) count timeline
  events in the
  period, each charged to the unit that held the ticket when it happened: the lead of the latest
  `dispatched` event before it (A6: a sub-unit acts for its lead, which stays responsible; a return
  approved and re-dispatched stays charged to the unit that returned it).

A period is half-open, `[start, end)`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import ScalarSelect

from api.views import View
from db.models import TicketRow, TimelineEventRow
from db.session import count_rows
from domain.vocabulary import DISSATISFIED, Card, Category, Channel, RatingOption

Event = TimelineEventRow

# A27: matters handled by law, "not judged by satisfaction rate alone". `registration.domain` is free text:
# these values (trimmed, case-insensitive) mark a mediation or law-enforcement matter.
SATISFACTION_EXEMPT_DOMAINS = frozenset({"mediation", "law_enforcement", "调解", "执法"})

RATING_KINDS = ("rated", "rating_defaulted")
# timeline kind -> the bulletin figure it counts (A14–A17, A24).
EVENT_FIGURES = {
    "return_applied": "returns_applied",
    "return_approved": "returns_approved",
    "return_refused": "returns_refused",
    "overdue_return": "overdue_returns",
    "extension_applied": "extensions_applied",
    "extension_approved": "extensions_approved",
    "redo_ordered": "redos",
    "callback_recorded": "callbacks",
}


class Period(BaseModel):
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")

    def holds(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.end)


# -- A26 bulletin ----------------------------------------------------------------------------------------
class Volumes(BaseModel):
    """Tickets registered in the period (A2: every channel lands in the same flow)."""

    total: int
    by_category: dict[str, int]
    by_channel: dict[str, int]


class UnitPerformance(BaseModel):
    unit: str
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


class Bulletin(View):
    period: Period
    unit: str | None = Field(description="The unit the bulletin is restricted to, if any.")
    volumes: Volumes
    units: list[UnitPerformance]


async def bulletin(session: AsyncSession, period: Period, unit: str | None = None) -> Bulletin:
    figures = await unit_figures(session, period, unit)
    return Bulletin(
        period=period,
        unit=unit,
        volumes=await _volumes(session, period, unit),
        units=[figures[u] for u in sorted(figures)],
    )


async def unit_figures(session: AsyncSession, period: Period, unit: str | None) -> dict[str, UnitPerformance]:
    figures: dict[str, UnitPerformance] = {}

    def of(unit_id: str) -> UnitPerformance:
        return figures.setdefault(unit_id, UnitPerformance(unit=unit_id))

    for unit_id, counts in await _ticket_figures(session, period, unit):
        for name, n in counts.items():
            setattr(of(unit_id), name, n)
    for unit_id, received in await _received(session, period, unit):
        of(unit_id).received = received
    for unit_id, kind, n in await _event_counts(session, period, unit, EVENT_FIGURES):
        setattr(of(unit_id), EVENT_FIGURES[kind], n)
    for unit_id, option, n in await _rating_counts(session, period, unit):
        of(unit_id).satisfaction[option] += n
    for unit_id, card, n in await _card_counts(session, period, unit):
        setattr(of(unit_id), f"{card}_cards", n)
    return figures


async def _volumes(session: AsyncSession, period: Period, unit: str | None) -> Volumes:
    query = (
        select(TicketRow.category, TicketRow.channel, func.count())
        .where(period.holds(TicketRow.registered_at), *_led_by(unit))
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
    answer_met = t.state[("clocks", "answer", "met_at")].as_string().is_not(None)
    answer_green = t.state[("clocks", "answer", "card")].as_string() == Card.GREEN.value
    conditions = {
        "concluded": t.concluded_at.is_not(None),
        "open": t.concluded_at.is_(None),
        "on_time": and_(answer_met, answer_green),
        "yellow": t.card == Card.YELLOW.value,
        "red": t.card == Card.RED.value,
        "judged": or_(answer_met, t.card != Card.GREEN.value),
    }
    query = (
        select(t.lead_unit, *(func.count(case((c, 1))) for c in conditions.values()))
        .where(
            t.lead_unit.is_not(None),
            or_(period.holds(t.concluded_at), and_(t.concluded_at.is_(None), t.registered_at < period.end)),
            *_led_by(unit),
        )
        .group_by(t.lead_unit)
    )
    rows = await session.execute(query)
    return [(str(unit_id), dict(zip(conditions, counts, strict=True))) for unit_id, *counts in rows]


async def _received(session: AsyncSession, period: Period, unit: str | None) -> Iterable[tuple[str, int]]:
    lead = Event.data["lead_unit"].as_string()
    query = (
        select(lead, func.count(Event.ticket_no.distinct()))
        .where(
            Event.kind == "dispatched",
            period.holds(Event.at),
            # A24: a redo goes back to the same unit; it is not a new receipt.
            Event.data["redo"].as_boolean().is_not(true()),
            *([lead == unit] if unit is not None else []),
        )
        .group_by(lead)
    )
    return [(u, n) for u, n in await session.execute(query)]


def _holder(event: Any) -> ScalarSelect[str]:
    """The unit holding the ticket when `event` happened: the lead of the latest dispatch before it."""
    dispatch = aliased(TimelineEventRow)
    return (
        select(dispatch.data["lead_unit"].as_string())
        .where(dispatch.ticket_no == event.ticket_no, dispatch.kind == "dispatched", dispatch.seq < event.seq)
        .order_by(dispatch.seq.desc())
        .limit(1)
        .scalar_subquery()
    )


def _charged_events(condition: ColumnElement[bool], *columns: Any) -> Select[Any]:
    return select(Event.ticket_no, Event.seq, Event.kind, _holder(Event).label("unit"), *columns).where(
        condition
    )


async def _event_counts(
    session: AsyncSession, period: Period, unit: str | None, kinds: Iterable[str]
) -> Iterable[tuple[str, str, int]]:
    events = _charged_events(and_(Event.kind.in_(list(kinds)), period.holds(Event.at))).subquery()
    query = (
        select(events.c.unit, events.c.kind, func.count())
        .where(events.c.unit.is_not(None), *([events.c.unit == unit] if unit is not None else []))
        .group_by(events.c.unit, events.c.kind)
    )
    return [(u, k, n) for u, k, n in await session.execute(query)]


async def _card_counts(
    session: AsyncSession, period: Period, unit: str | None
) -> Iterable[tuple[str, str, int]]:
    """A22 card changes to yellow or red, stamped with the boundary crossed, charged to the holder then."""
    after = Event.data["after"].as_string()
    changes = _charged_events(
        and_(
            Event.kind == "card_changed",
            after.in_([Card.YELLOW.value, Card.RED.value]),
            period.holds(Event.at),
        ),
        after.label("card"),
    ).subquery()
    query = (
        select(changes.c.unit, changes.c.card, func.count())
        .where(changes.c.unit.is_not(None), *([changes.c.unit == unit] if unit is not None else []))
        .group_by(changes.c.unit, changes.c.card)
    )
    return [(u, c, n) for u, c, n in await session.execute(query)]


def _handling_option() -> ColumnElement[str]:
    # A24: no answer within 24 hours reads as basically satisfied (`rating_defaulted` carries no option).
    return case(
        (Event.kind == "rating_defaulted", RatingOption.BASICALLY_SATISFIED.value),
        else_=Event.data[("handling", "option")].as_string(),
    )


def _ratings(period: Period) -> Select[Any]:
    return _charged_events(
        and_(Event.kind.in_(RATING_KINDS), period.holds(Event.at)), _handling_option().label("option")
    )


async def _rating_counts(
    session: AsyncSession, period: Period, unit: str | None
) -> Iterable[tuple[str, str, int]]:
    ratings = _ratings(period).subquery()
    query = (
        select(ratings.c.unit, ratings.c.option, func.count())
        .where(ratings.c.unit.is_not(None), *([ratings.c.unit == unit] if unit is not None else []))
        .group_by(ratings.c.unit, ratings.c.option)
    )
    return [(u, o, n) for u, o, n in await session.execute(query)]


def _led_by(unit: str | None) -> list[ColumnElement[bool]]:
    return [TicketRow.lead_unit == unit] if unit is not None else []


# -- A27 assessment --------------------------------------------------------------------------------------
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


class Assessment(View):
    period: Period
    weights: AssessmentWeights = Field(description="The configured weights, normalised.")
    satisfaction_exempt_domains: list[str]
    units: list[UnitAssessment]


class SatisfactionTally(BaseModel):
    satisfied: int = 0
    judged: int = 0
    exempt: int = 0


async def assessment(session: AsyncSession, period: Period, weights: AssessmentWeights) -> Assessment:
    figures = await unit_figures(session, period, None)
    satisfaction = await _final_ratings(session, period)
    normalised = weights.normalised()
    units = sorted(set(figures) | set(satisfaction))
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


def assess(
    figures: UnitPerformance, satisfaction: SatisfactionTally, weights: AssessmentWeights
) -> UnitAssessment:
    rated = satisfaction.judged + satisfaction.exempt
    # A27: the satisfaction weight counts only for ratings it may judge; the rest (mediation and
    # law-enforcement matters, or no rating at all) moves to timeliness.
    satisfaction_weight = weights.satisfaction * satisfaction.judged / rated if rated else 0.0
    decided = figures.returns_approved + figures.returns_refused
    components = Components(
        timeliness=_component(
            figures.on_time, figures.judged, weights.timeliness + weights.satisfaction - satisfaction_weight
        ),
        return_quality=_component(figures.returns_approved, decided, weights.return_quality),
        satisfaction=_component(satisfaction.satisfied, satisfaction.judged, satisfaction_weight),
    )
    counted = [
        c
        for c in (components.timeliness, components.return_quality, components.satisfaction)
        if c.value is not None and c.weight > 0
    ]
    total = sum(c.weight for c in counted)
    score = round(100 * sum(c.weight * (c.value or 0.0) for c in counted) / total, 2) if total else None
    return UnitAssessment(
        unit=figures.unit, score=score, components=components, satisfaction_exempt=satisfaction.exempt
    )


def _component(numerator: int, denominator: int, weight: float) -> Component:
    value = round(numerator / denominator, 4) if denominator else None
    return Component(value=value, weight=round(weight, 4), numerator=numerator, denominator=denominator)


def satisfaction_exempt(domain: str) -> bool:
    return domain.strip().lower() in SATISFACTION_EXEMPT_DOMAINS


async def _final_ratings(session: AsyncSession, period: Period) -> dict[str, SatisfactionTally]:
    """Each ticket's last handling rating in the period (A24: the second rating is final)."""
    latest = func.row_number().over(partition_by=Event.ticket_no, order_by=Event.seq.desc())
    ratings = _ratings(period).add_columns(latest.label("latest")).subquery()
    query = (
        select(ratings.c.unit, ratings.c.option, TicketRow.domain, func.count())
        .join(TicketRow, TicketRow.ticket_no == ratings.c.ticket_no)
        .where(ratings.c.latest == 1, ratings.c.unit.is_not(None))
        .group_by(ratings.c.unit, ratings.c.option, TicketRow.domain)
    )
    out: dict[str, SatisfactionTally] = defaultdict(SatisfactionTally)
    for unit, option, domain, n in await session.execute(query):
        tally = out[unit]
        if satisfaction_exempt(domain):
            tally.exempt += n
        else:
            tally.judged += n
            tally.satisfied += 0 if option in DISSATISFIED else n
    return dict(out)


# -- A25 supervision -------------------------------------------------------------------------------------
class Signal(StrEnum):
    """A25: signs of poor handling the office may refer for discipline."""

    OVERDUE_RETURN = "overdue_return"  # A14.2/A14.3 逾期退回
    IMPROPER_RETURN = "improper_return"  # A16: a return the hotline refused
    RED_CARD = "red_card"  # A22: more than 2 WD past a limit
    REDO_ORDERED = "redo_ordered"  # A24: the requester was dissatisfied and the hotline ordered a redo


_SIGNAL_OF_KIND = {
    "overdue_return": Signal.OVERDUE_RETURN,
    "return_refused": Signal.IMPROPER_RETURN,
    "card_changed": Signal.RED_CARD,
    "redo_ordered": Signal.REDO_ORDERED,
}


class SupervisionLine(BaseModel):
    event_id: str
    at: datetime
    ticket_no: str
    unit: str | None = Field(description="The unit holding the ticket when it happened.")
    signal: Signal
    rule: str | None = Field(
        description="The rule recorded with the event, e.g. `A16.1` for a refused return."
    )
    return_id: str | None = None
    clock: str | None = Field(None, description="For a red card: the limit that passed (A22).")
    reason: str | None = None


class SupervisionPage(View):
    total: int
    limit: int
    offset: int
    items: list[SupervisionLine]


async def supervision(
    session: AsyncSession,
    *,
    period: Period | None,
    unit: str | None,
    signal: Signal | None,
    include_confidential: bool,
    limit: int,
    offset: int,
) -> SupervisionPage:
    kinds = [k for k, s in _SIGNAL_OF_KIND.items() if signal is None or s == signal]
    red = or_(Event.kind != "card_changed", Event.data["after"].as_string() == Card.RED.value)
    events = _charged_events(
        and_(Event.kind.in_(kinds), red, *([period.holds(Event.at)] if period else [])),
        Event.id,
        Event.at,
        Event.rule,
        Event.data,
    ).subquery()
    query = select(events).join(TicketRow, TicketRow.ticket_no == events.c.ticket_no)
    if unit is not None:
        query = query.where(events.c.unit == unit)
    if not include_confidential:
        # A32: as in the ticket list, a confidential requester's ticket is shown to cleared staff only.
        query = query.where(TicketRow.requester_confidential.is_(False))
    total = await count_rows(session, query)
    rows = await session.execute(
        query.order_by(events.c.at, events.c.ticket_no, events.c.seq).limit(limit).offset(offset)
    )
    return SupervisionPage(total=total, limit=limit, offset=offset, items=[_line(r._mapping) for r in rows])


def _line(row: Any) -> SupervisionLine:
    data: dict[str, Any] = row["data"] or {}
    return SupervisionLine(
        event_id=row["id"],
        at=row["at"],
        ticket_no=row["ticket_no"],
        unit=row["unit"],
        signal=_SIGNAL_OF_KIND[row["kind"]],
        rule=row["rule"],
        return_id=data.get("return_id"),
        clock=data.get("clock"),
        reason=data.get("reason") or None,
    )
