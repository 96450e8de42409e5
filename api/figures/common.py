"""What the reports share: the period, and timeline events charged to the unit holding the ticket (A6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, and_, or_, select

from db.models import TicketRow, TimelineEventRow

Event = TimelineEventRow


class Period(BaseModel):
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")

    def holds(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.end)


def of_unit(column: Any, unit: str | None) -> list[ColumnElement[bool]]:
    """The condition restricting `column` to one unit, if one is asked for."""
    return [column == unit] if unit is not None else []


def in_tree(
    scope: frozenset[str] | None,
    lead_unit: Any = TicketRow.lead_unit,
    forwarded_to: Any = TicketRow.forwarded_to,
) -> list[ColumnElement[bool]]:
    """Tickets a unit tree (A6) leads or was forwarded: the condition, or none for every ticket; on another
    table's copy of the two columns if given (running_limits)."""
    if scope is None:
        return []
    members = sorted(scope)
    return [or_(lead_unit.in_(members), forwarded_to.in_(members))]


def charged_events(condition: ColumnElement[bool], *columns: Any) -> Select[Any]:
    """Events with the unit holding the ticket when each happened (A6), as the projection stored it."""
    return select(Event.ticket_no, Event.seq, Event.kind, Event.unit.label("unit"), *columns).where(condition)
