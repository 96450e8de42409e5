"""A25: the list of poor-handling signals the hotline office may refer for discipline (api/figures/)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.figures.common import Event, Period, charged_events
from api.views import View
from db.models import TicketRow
from db.session import count_rows
from domain.clocks import ChargedTo
from domain.timeline import CardChanged, EventKind
from domain.vocabulary import Card


class Signal(StrEnum):
    """A25: signs of poor handling the office may refer for discipline, and the office's own lateness."""

    OVERDUE_RETURN = "overdue_return"  # A14.2/A14.3 逾期退回
    IMPROPER_RETURN = "improper_return"  # A16: a return the hotline refused
    RED_CARD = "red_card"  # A22: more than 2 WD past a limit
    REDO_ORDERED = "redo_ordered"  # A24: the requester was dissatisfied and the hotline ordered a redo
    SUPERVISION_ORDERED = "supervision_ordered"  # A25: the hotline issued an order (督办/催办) to the unit
    SUPERVISION_OVERDUE = "supervision_overdue"  # A25, A22: an order's time passed unanswered (yellow)
    # The hotline's own limits (a review, a callback, a coordination, a line's acknowledgement) passed: a
    # card charged to the hotline office, never to the unit (`charged_to` says so).
    HOTLINE_OVERDUE = "hotline_overdue"


_SIGNAL_OF_KIND = {
    EventKind.OVERDUE_RETURN.value: Signal.OVERDUE_RETURN,
    EventKind.RETURN_REFUSED.value: Signal.IMPROPER_RETURN,
    EventKind.REDO_ORDERED.value: Signal.REDO_ORDERED,
    EventKind.SUPERVISION_ORDERED.value: Signal.SUPERVISION_ORDERED,
}
_ORDER_CLOCKS = "supervision:%"  # domain/stages/supervision.py clock_name
_HOTLINE = ChargedTo.HOTLINE.value


def _card_condition(signal: Signal) -> ColumnElement[bool]:
    """The card changes that are this signal: the unit's red cards, an order's yellow, the office's yellow."""
    after = Event.data[CardChanged.key("after")].as_string()
    charged_to = Event.data[CardChanged.key("charged_to")].as_string()
    clock = Event.data[CardChanged.key("clock")].as_string()
    chosen = {
        Signal.RED_CARD: and_(after == Card.RED.value, charged_to.is_(None)),  # the unit's own limits
        Signal.SUPERVISION_OVERDUE: and_(after == Card.YELLOW.value, clock.like(_ORDER_CLOCKS)),
        Signal.HOTLINE_OVERDUE: and_(after == Card.YELLOW.value, charged_to == _HOTLINE),
    }[signal]
    return and_(Event.kind == EventKind.CARD_CHANGED, chosen)


_CARD_SIGNALS = (Signal.RED_CARD, Signal.SUPERVISION_OVERDUE, Signal.HOTLINE_OVERDUE)


def _signal_of(kind: str, data: dict[str, Any]) -> Signal:
    if kind != EventKind.CARD_CHANGED.value:
        return _SIGNAL_OF_KIND[kind]
    if data.get("charged_to") == _HOTLINE:
        return Signal.HOTLINE_OVERDUE
    return Signal.SUPERVISION_OVERDUE if data.get("after") == Card.YELLOW.value else Signal.RED_CARD


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
    clock: str | None = Field(
        None, description="For a card: the limit that passed (A22), e.g. `answer`, `supervision:S2`."
    )
    charged_to: str | None = Field(
        None, description="`hotline` for the office's own limits; null where the unit is charged."
    )
    order_id: str | None = Field(None, description="For a supervision order: its id (`S1` …).")
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
    units: frozenset[str] | None = None,
    include_confidential: bool,
    limit: int,
    offset: int,
) -> SupervisionPage:
    kinds = [k for k, s in _SIGNAL_OF_KIND.items() if signal is None or s == signal]
    # A unit's list (`unit=`) is what may be referred about that unit: the office's own lateness is not.
    cards = [
        _card_condition(s)
        for s in _CARD_SIGNALS
        if (signal is None or s == signal) and not (unit is not None and s == Signal.HOTLINE_OVERDUE)
    ]
    signalled = or_(Event.kind.in_(kinds), *cards)
    events = charged_events(
        and_(signalled, *([period.holds(Event.at)] if period else [])),
        Event.id,
        Event.at,
        Event.rule,
        Event.data,
    ).subquery()
    query = select(events).join(TicketRow, TicketRow.ticket_no == events.c.ticket_no)
    if unit is not None:
        query = query.where(events.c.unit == unit)
    if units is not None:  # A4: a county office's county
        query = query.where(events.c.unit.in_(sorted(units)))
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
        signal=_signal_of(row["kind"], data),
        rule=row["rule"],
        return_id=data.get("return_id"),
        clock=data.get("clock"),
        charged_to=data.get("charged_to"),
        order_id=data.get("order_id"),
        reason=data.get("reason") or None,
    )
