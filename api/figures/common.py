"""What the reports share: the period, and timeline events charged to the unit holding the ticket (A6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, and_, case, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import ScalarSelect

from db.models import TicketRow, TimelineEventRow
from domain.timeline import RATING_SETTLED, Dispatched, EventKind, Rated, StageRatingPayload
from domain.vocabulary import DEFAULTED_RATING

Event = TimelineEventRow

RATING_KINDS = tuple(k.value for k in RATING_SETTLED)


class Period(BaseModel):
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")

    def holds(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.end)


def of_unit(column: Any, unit: str | None) -> list[ColumnElement[bool]]:
    """The condition restricting `column` to one unit, if one is asked for."""
    return [column == unit] if unit is not None else []


def in_tree(scope: frozenset[str] | None) -> list[ColumnElement[bool]]:
    """Tickets a unit tree (A6) leads or was forwarded: the condition, or none for every ticket."""
    if scope is None:
        return []
    members = sorted(scope)
    return [or_(TicketRow.lead_unit.in_(members), TicketRow.forwarded_to.in_(members))]


def _holder(event: Any) -> ScalarSelect[str]:
    """The unit holding the ticket when `event` happened: the lead of the latest dispatch before it."""
    dispatch = aliased(TimelineEventRow)
    return (
        select(dispatch.data[Dispatched.key("lead_unit")].as_string())
        .where(
            dispatch.ticket_no == event.ticket_no,
            dispatch.kind == EventKind.DISPATCHED,
            dispatch.seq < event.seq,
        )
        .order_by(dispatch.seq.desc())
        .limit(1)
        .scalar_subquery()
    )


def charged_events(condition: ColumnElement[bool], *columns: Any) -> Select[Any]:
    return select(Event.ticket_no, Event.seq, Event.kind, _holder(Event).label("unit"), *columns).where(
        condition
    )


def _handling_option() -> ColumnElement[str]:
    # A24: a defaulted rating counts as DEFAULTED_RATING (`rating_defaulted` carries no option).
    return case(
        (Event.kind == EventKind.RATING_DEFAULTED, DEFAULTED_RATING.value),
        else_=Event.data[(Rated.key("handling"), StageRatingPayload.key("option"))].as_string(),
    )


def ratings(period: Period) -> Select[Any]:
    """Handling ratings given in the period (A24), each with its option, charged to the unit then."""
    return charged_events(
        and_(Event.kind.in_(RATING_KINDS), period.holds(Event.at)), _handling_option().label("option")
    )
