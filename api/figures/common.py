"""What the reports share: the period, and timeline events charged to the unit holding the ticket (A6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select

from db.models import TicketRow, TimelineEventRow
from domain.timeline import RATING_SETTLED, EventKind, Rated, StageRatingPayload
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


def charged_events(condition: ColumnElement[bool], *columns: Any) -> Select[Any]:
    """Events with the unit holding the ticket when each happened (A6), as the projection stored it."""
    return select(Event.ticket_no, Event.seq, Event.kind, Event.unit.label("unit"), *columns).where(condition)


def _option(stage: str) -> ColumnElement[str]:
    # A24: a defaulted rating counts as DEFAULTED_RATING (`rating_defaulted` carries no option).
    return case(
        (Event.kind == EventKind.RATING_DEFAULTED, DEFAULTED_RATING.value),
        else_=Event.data[(Rated.key(stage), StageRatingPayload.key("option"))].as_string(),
    )


def ratings(period: Period) -> Select[Any]:
    """Ratings given in the period (A24), each with both stages' options — `option` the handling stage
    (办理环节, the unit's), `acceptance` the hotline's intake (受理环节) — and whether the requester said
    the matter was resolved (是否解决; null when not asked: a defaulted rating, an older client),
    charged to the unit holding the ticket then."""
    return charged_events(
        and_(Event.kind.in_(RATING_KINDS), period.holds(Event.at)),
        _option("handling").label("option"),
        _option("acceptance").label("acceptance"),
        Event.data[Rated.key("resolved")].as_boolean().label("resolved"),
    )


def final_ratings(period: Period) -> Select[Any]:
    """Each ticket's last rating in the period (A24: the second rating is final), as `ratings` gives it."""
    latest = func.row_number().over(partition_by=Event.ticket_no, order_by=Event.seq.desc())
    given = ratings(period).add_columns(latest.label("latest")).subquery()
    return select(given).where(given.c.latest == 1)
