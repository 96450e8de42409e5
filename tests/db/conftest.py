"""Read-model fixtures: a fresh database per test on SQLite and, when configured, on PostgreSQL.

PostgreSQL: set HOTLINE_TEST_DATABASE_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test). Each test
gets its own schema (a unique name, put first on the connection's search_path) and drops it afterwards,
so runs never see each other's rows and nothing is left behind in the database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.hotline import HotlineActivities
from db.session import create_schema, make_engine, make_session_maker
from domain.commands import Actor, FileTerminationNotice, Registration, Requester
from domain.rulesets import CITY, RuleSet
from domain.ticket import TicketState, TimelineEvent
from domain.vocabulary import ActorKind, Category, Channel, Stage

PG_URL = os.environ.get("HOTLINE_TEST_DATABASE_URL")
OPERATOR = Actor(kind=ActorKind.OPERATOR, id="op-1", name="Operator One")
RECEIVED = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # Wed 10:00 Asia/Shanghai
# Every database test runs on SQLite, and on PostgreSQL when HOTLINE_TEST_DATABASE_URL is set.
BOTH_DATABASES = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(PG_URL is None, reason="HOTLINE_TEST_DATABASE_URL not set"),
        ],
    ),
]


@pytest.fixture(params=BOTH_DATABASES)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        # A nested folder also checks that make_engine creates it.
        eng = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'hotline.db'}")
        await create_schema(eng)
        yield eng
        await eng.dispose()
        return

    async with isolated_postgres_engine() as eng:
        await create_schema(eng)
        yield eng


@asynccontextmanager
async def isolated_postgres_engine() -> AsyncIterator[AsyncEngine]:
    """An engine on a schema of its own, dropped afterwards: test runs never see each other's rows."""
    assert PG_URL is not None
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = make_engine(PG_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = make_engine(PG_URL, connect_args={"server_settings": {"search_path": schema}})
    try:
        yield eng
    finally:
        await eng.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_session_maker(engine)


@pytest.fixture
def acts(sessions: async_sessionmaker[AsyncSession]) -> HotlineActivities:
    return HotlineActivities(sessions)


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
