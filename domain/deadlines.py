"""Deadlines as data: absolute instants computed outside workflow code (STYLE: patterns 2).

The workflow asks for a plan through an activity; the activity runs `plan` with the calendar it loaded
from the database, so history records the instants and a later calendar change cannot break replay.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from domain.calendar import WorkingCalendar
from domain.rulesets import Period


class PlanItem(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    anchor_at: datetime
    period: Period
    # False: a period from receipt (the day of receipt not counted). True: a period that follows a limit
    # ending at `anchor_at` (an extension adds its days after the original limit's last day).
    after_limit: bool = False
    # Further periods chained after the first one (an approved extension, A17).
    then: list[Period] = Field(default_factory=list)


class PlanRequest(BaseModel):
    model_config = ConfigDict(frozen=True)
    items: list[PlanItem]
    red_after_working_days: int = Field(2, ge=1)


class PlannedDeadline(BaseModel):
    model_config = ConfigDict(frozen=True)
    due_at: datetime
    # A22: red once more than N working days have passed since the limit.
    red_at: datetime
    # True where a counted day lies in a year whose holidays are not loaded yet.
    provisional: bool


def _one(
    calendar: WorkingCalendar, anchor: datetime, period: Period, after_limit: bool
) -> tuple[datetime, bool]:
    if period.hours is not None:
        # Hour limits are natural hours from the moment of receipt ("Counting time").
        return anchor + timedelta(hours=period.hours), False
    days = period.working_days or 0
    deadline = (
        calendar.end_of_working_days_after(anchor, days)
        if after_limit
        else calendar.working_days_deadline(anchor, days)
    )
    return deadline.due_at, deadline.provisional


def _due(calendar: WorkingCalendar, item: PlanItem) -> tuple[datetime, bool]:
    due, provisional = _one(calendar, item.anchor_at, item.period, item.after_limit)
    for period in item.then:
        due, later_provisional = _one(calendar, due, period, True)
        provisional = provisional or later_provisional
    return due, provisional


def plan(calendar: WorkingCalendar, request: PlanRequest) -> dict[str, PlannedDeadline]:
    planned: dict[str, PlannedDeadline] = {}
    for item in request.items:
        due_at, provisional = _due(calendar, item)
        red = calendar.end_of_working_days_after(due_at, request.red_after_working_days)
        planned[item.name] = PlannedDeadline(
            due_at=due_at, red_at=red.due_at, provisional=provisional or red.provisional
        )
    return planned
