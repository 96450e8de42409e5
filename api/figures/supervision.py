"""A25: the list of poor-handling signals the hotline office may refer for discipline (api/figures/)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.figures.common import Event, Period, charged_events
from api.views import View
from db.models import TicketRow
from db.session import count_rows
from domain.timeline import CardChanged, EventKind
from domain.vocabulary import Card


class Signal(StrEnum):
    """A25: signs of poor handling the office may refer for discipline."""

    OVERDUE_RETURN = "overdue_return"  # A14.2/A14.3 逾期退回
    IMPROPER_RETURN = "improper_return"  # A16: a return the hotline refused
    RED_CARD = "red_card"  # A22: more than 2 WD past a limit
    REDO_ORDERED = "redo_ordered"  # A24: the requester was dissatisfied and the hotline ordered a redo


_SIGNAL_OF_KIND = {
    EventKind.OVERDUE_RETURN.value: Signal.OVERDUE_RETURN,
    EventKind.RETURN_REFUSED.value: Signal.IMPROPER_RETURN,
    EventKind.CARD_CHANGED.value: Signal.RED_CARD,
    EventKind.REDO_ORDERED.value: Signal.REDO_ORDERED,
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
    units: frozenset[str] | None = None,
    include_confidential: bool,
    limit: int,
    offset: int,
) -> SupervisionPage:
    kinds = [k for k, s in _SIGNAL_OF_KIND.items() if signal is None or s == signal]
    red = or_(
        Event.kind != EventKind.CARD_CHANGED,
        and_(
            Event.data[CardChanged.key("after")].as_string() == Card.RED.value,
            Event.data[CardChanged.key("charged_to")].as_string().is_(None),  # the unit's own limits
        ),
    )
    events = charged_events(
        and_(Event.kind.in_(kinds), red, *([period.holds(Event.at)] if period else [])),
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
        signal=_SIGNAL_OF_KIND[row["kind"]],
        rule=row["rule"],
        return_id=data.get("return_id"),
        clock=data.get("clock"),
        reason=data.get("reason") or None,
    )
