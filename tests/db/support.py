"""Helpers of the read-model tests: registrations, events and ticket states to project, activity calls, and
the read model's rows as plain values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from db.figure_models import FigureEventRow, RunningLimitRow
from db.models import (
    NoticeRow,
    TerminatedMatterRow,
    TicketRow,
    TicketUnitRow,
    TimelineEventRow,
)
from domain.commands import FileTerminationNotice, Registration, Requester
from domain.rulesets import CITY, RuleSet
from domain.ticket import TicketState, TimelineEvent
from domain.vocabulary import Category, Channel, Stage
from tests.driver import OPERATOR

Sessions = async_sessionmaker[AsyncSession]
RECEIVED = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # Wed 10:00 Asia/Shanghai


async def run(fn: Callable[..., Any], *args: Any) -> Any:
    """Call an activity method in an activity context, as a worker would."""
    return await ActivityEnvironment().run(fn, *args)


def registration(ticket_no: str = "T-20260930-0001", **overrides: Any) -> Registration:
    data: dict[str, Any] = {
        "ticket_no": ticket_no,
        "channel": Channel.PHONE,
        "category": Category.COMPLAINT,
        "requester": Requester(name="张三", phone="13800000000"),
        "content": "Noise from a building site at night",
        "location": "武江区",
        "received_at": RECEIVED,
        "registered_by": OPERATOR,
    }
    return Registration(**(data | overrides))


def event(
    ticket_no: str, seq: int, *, notify: list[str] | None = None, kind: str = "registered"
) -> TimelineEvent:
    return TimelineEvent(
        id=f"{ticket_no}-ev-{seq}",
        seq=seq,
        at=RECEIVED.replace(minute=seq),
        kind=kind,
        actor=OPERATOR.id,
        rule="A12",
        data={"seq": seq, "when": RECEIVED},  # a datetime inside data must survive as JSON
        notify=notify or [],
    )


def ticket_state(
    ticket_no: str = "T-20260930-0001",
    *,
    revision: int = 1,
    events: int = 1,
    stage: Stage = Stage.REGISTERED,
    rule_set: RuleSet = CITY,
    termination: FileTerminationNotice | None = None,
    notify: list[str] | None = None,
) -> TicketState:
    return TicketState(
        ticket_no=ticket_no,
        registration=registration(ticket_no),
        rule_set=rule_set,
        stage=stage,
        timeline=[event(ticket_no, seq, notify=notify) for seq in range(1, events + 1)],
        termination=termination,
        revision=revision,
    )


async def count(sessions: Sessions, model: type[Any]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def rows(sessions: Sessions, model: type[Any], *skip: str) -> list[dict[str, Any]]:
    """Every row of a table as plain values, in primary-key order, without the `skip` columns."""
    table = model.__table__
    async with sessions() as session:
        result = await session.execute(select(table).order_by(*table.primary_key.columns))
        return [{k: v for k, v in row._mapping.items() if k not in skip} for row in result]


async def snapshot(sessions: Sessions) -> dict[str, list[dict[str, Any]]]:
    return {
        "tickets": await rows(sessions, TicketRow, "updated_at"),
        "units": await rows(sessions, TicketUnitRow),
        "limits": await rows(sessions, RunningLimitRow),
        "figures": await rows(sessions, FigureEventRow),
        "events": await rows(sessions, TimelineEventRow),
        "notices": await rows(sessions, NoticeRow),
        "terminated": await rows(sessions, TerminatedMatterRow),
    }
