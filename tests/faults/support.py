"""F1–F3: the worker as OS processes on a real dev server, its database, and the tickets they drive.

The worker runs as its own OS process (bench/common.py `WorkerProcess`), so these helpers talk to the
workflows only through the Temporal client (start, update, query, describe) and to SQL through their own
engine, as the API would. The worker's database (`AppDatabase`) is a SQLite file or, for F3 on PostgreSQL,
a fresh database created and dropped around the test; each can be taken away for a while (an outage).
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client, WorkflowHandle

from bench.common import (
    DevServer,
    WorkerProcess,
    prepare_app_db,
    registration,
    start_ticket,
    tiny_rule_set,
    unit_actor,
    until,
)
from db.models import NoticeRow, TicketRow, TimelineEventRow
from db.session import SQLITE_BUSY_TIMEOUT_MS, make_engine, make_session_maker
from domain.commands import ApplyClosure, ContactAttempt, PointAnswer, Rate, Review, SignFor
from domain.ticket import TicketState
from domain.vocabulary import Stage
from tests.driver import OPERATOR
from tests.support import postgres_url
from workflows.ticket import TicketWorkflow

UNIT = "U1"
# The closure path of A20/A24, one event each: any repeat is an action or a projection applied twice.
CLOSURE_PATH = [
    "registered",
    "dispatched",
    "signed_for",
    "contact_attempted",
    "requester_answered",
    "closure_applied",
    "closure_approved",
    "rating_requested",
    "rated",
    "concluded",
]


@dataclass
class Tickets:
    """Tickets on one task queue, their handles by ticket number, and the read model's sessions."""

    client: Client
    task_queue: str
    sessions: async_sessionmaker[AsyncSession]
    prefix: str
    handles: dict[str, WorkflowHandle[Any, Any]] = field(default_factory=dict)

    @property
    def numbers(self) -> list[str]:
        return list(self.handles)

    # -- starting and acting ---------------------------------------------------------------------
    async def start(self, count: int, *, rule_set_id: str | None = None) -> list[str]:
        """Start tickets registered and dispatched to U1 in one step; return without waiting for them."""
        first = len(self.handles)
        numbers = [f"{self.prefix}-{i:04d}" for i in range(first, first + count)]
        handles = await asyncio.gather(
            *(
                start_ticket(
                    self.client, self.task_queue, registration(no, dispatch_to=UNIT, rule_set_id=rule_set_id)
                )
                for no in numbers
            )
        )
        self.handles.update(zip(numbers, handles, strict=True))
        return numbers

    async def register(self, count: int, *, rule_set_id: str | None = None, timeout: float = 30) -> list[str]:
        """Start tickets and wait until the read model shows every one dispatched (its limits running).

        Waiting on SQL rather than on queries keeps the worker free for the tickets themselves.
        """
        numbers = await self.start(count, rule_set_id=rule_set_id)

        async def all_dispatched() -> bool:
            async with self.sessions() as session:
                shown = await session.scalar(
                    select(func.count())
                    .select_from(TicketRow)
                    .where(TicketRow.ticket_no.in_(numbers), TicketRow.stage == Stage.DISPATCHED.value)
                )
            return shown == len(numbers)

        await until(all_dispatched, timeout=timeout, interval=0.2, what=f"{count} tickets dispatched")
        return numbers

    async def state(self, ticket_no: str) -> TicketState:
        state: TicketState = await self.handles[ticket_no].query(TicketWorkflow.state)
        return state

    async def states(self, numbers: list[str] | None = None) -> dict[str, TicketState]:
        numbers = self.numbers if numbers is None else numbers
        states = await asyncio.gather(*(self.state(no) for no in numbers))
        return dict(zip(numbers, states, strict=True))

    async def wait_all(self, numbers: list[str], predicate: Any, *, timeout: float, what: str) -> None:
        async def one(no: str) -> None:
            await until(
                lambda: self._holds(no, predicate), timeout=timeout, interval=0.3, what=f"{no} {what}"
            )

        await asyncio.gather(*(one(no) for no in numbers))

    async def _holds(self, ticket_no: str, predicate: Any) -> bool:
        return bool(predicate(await self.state(ticket_no)))

    async def act(self, ticket_no: str, update: Any, cmd: Any) -> TicketState:
        answer = await self.handles[ticket_no].execute_update(update, cmd)
        if isinstance(answer, TicketState):
            return answer
        return await self.state(ticket_no)  # a small ActionResult (SLIM_RESULT): the state read after it

    async def sign_for(self, ticket_no: str) -> TicketState:
        return await self.act(ticket_no, TicketWorkflow.sign_for, SignFor(actor=unit_actor(UNIT)))

    async def close(self, ticket_no: str) -> TicketState:
        """From handling to concluded: the requester told, closure applied and approved, rated (A20, A24)."""
        unit = unit_actor(UNIT)
        state = await self.act(
            ticket_no,
            TicketWorkflow.record_contact,
            ContactAttempt(actor=unit, at=datetime.now(UTC), reached=True),
        )
        answers = [PointAnswer(point=p, answer=f"Done: {p}") for p in state.registration.points()]
        await self.act(
            ticket_no,
            TicketWorkflow.apply_closure,
            ApplyClosure(
                actor=unit,
                answers=answers,
                handled_at=state.registration.received_at,
                process="Sent a crew on site",
                result="Repaired",
                basis="城市照明管理规定 第十条",
            ),
        )
        await self.act(ticket_no, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))
        return await self.act(
            ticket_no, TicketWorkflow.rate, Rate(acceptance=["satisfied"], handling=["satisfied"])
        )

    # -- what is in flight -----------------------------------------------------------------------
    async def in_flight(self) -> Counter[str]:
        """Pending workflow tasks and activities (by state and attempt) across the tickets, from describe."""
        counts: Counter[str] = Counter()
        descriptions = await asyncio.gather(*(h.describe() for h in self.handles.values()))
        for d in descriptions:
            raw = d.raw_description
            if raw.HasField("pending_workflow_task"):
                counts["workflow_task"] += 1
            for activity in raw.pending_activities:
                counts[f"{activity.activity_type.name}:{PendingActivityState.Name(activity.state)}"] += 1
                if activity.attempt > 1 or activity.HasField("last_failure"):
                    counts["activity_retrying"] += 1
        return counts

    # -- the read model against the workflows -----------------------------------------------------
    async def divergences(self, numbers: list[str] | None = None) -> list[str]:
        """Where the read model differs from the workflows' own state; empty when it has converged.

        Per ticket: the row's revision, stage and card equal the queried state's; the timeline rows are
        exactly the workflow's events (same ids, seq 1..n, each once); one notice per event and recipient.
        """
        states = await self.states(numbers)
        async with self.sessions() as session:
            rows = {
                r.ticket_no: r
                for r in await session.scalars(select(TicketRow).where(TicketRow.ticket_no.in_(states)))
            }
            events = (
                await session.execute(
                    select(TimelineEventRow.ticket_no, TimelineEventRow.id, TimelineEventRow.seq).where(
                        TimelineEventRow.ticket_no.in_(states)
                    )
                )
            ).all()
            notices = Counter(
                (
                    await session.scalars(select(NoticeRow.ticket_no).where(NoticeRow.ticket_no.in_(states)))
                ).all()
            )
        by_ticket: dict[str, list[tuple[str, int]]] = {}
        for ticket_no, event_id, seq in events:
            by_ticket.setdefault(ticket_no, []).append((event_id, seq))
        problems: list[str] = []
        for no, s in states.items():
            row = rows.get(no)
            if row is None:
                problems.append(f"{no}: no row")
                continue
            wanted = (s.revision, s.stage.value, s.card().value)
            if (row.revision, row.stage, row.card) != wanted:
                problems.append(f"{no}: row {(row.revision, row.stage, row.card)} != workflow {wanted}")
            recorded = by_ticket.get(no, [])
            ids = [event_id for event_id, _ in recorded]
            if len(ids) != len(set(ids)) or sorted(seq for _, seq in recorded) != list(
                range(1, len(recorded) + 1)
            ):
                problems.append(f"{no}: timeline rows repeat an id or a seq: {sorted(recorded)}")
            if sorted(ids) != sorted(e.id for e in s.timeline):
                problems.append(f"{no}: {len(ids)} timeline rows != {len(s.timeline)} workflow events")
            expected_notices = sum(len(dict.fromkeys(e.notify)) for e in s.timeline)
            if notices[no] != expected_notices:
                problems.append(f"{no}: {notices[no]} notices != {expected_notices}")
        return problems

    async def converge(self, numbers: list[str] | None = None, *, timeout: float) -> None:
        """Wait until the read model matches every workflow; fail with what still differs."""
        last: list[str] = []

        async def converged() -> bool:
            nonlocal last
            last = await self.divergences(numbers)
            return not last

        try:
            await until(converged, timeout=timeout, interval=0.5, what="read model convergence")
        except TimeoutError as err:
            raise AssertionError(f"read model never converged: {last[:10]} ({len(last)} tickets)") from err


# F2: a sign-for limit of seconds, so the card turns yellow while the server is down (A22).
TINY = tiny_rule_set("tiny", sign_for_seconds=20)


@dataclass
class AppDatabase:
    """The worker's database: its URL, the test's own sessions, and a way to take it away for a while."""

    backend: str
    url: str
    sessions: async_sessionmaker[AsyncSession]
    outage: Callable[[], AbstractAsyncContextManager[None]]
    # How long an outage must last before the worker's calls fail rather than merely wait.
    min_outage_seconds: float


@asynccontextmanager
async def sqlite_app_db(tmp_path: Path) -> AsyncIterator[AppDatabase]:
    path = tmp_path / "app" / "hotline.db"
    url = f"sqlite+aiosqlite:///{path}"
    await prepare_app_db(url, [TINY])
    engine = make_engine(url)

    @asynccontextmanager
    async def write_lock() -> AsyncIterator[None]:
        # WAL mode lets readers through; every write waits the busy timeout, then fails ("database is
        # locked") and Temporal retries the activity.
        conn = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
        await asyncio.to_thread(conn.execute, "BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()

    try:
        yield AppDatabase(
            "sqlite",
            url,
            make_session_maker(engine),
            write_lock,
            min_outage_seconds=SQLITE_BUSY_TIMEOUT_MS / 1000 + 3,
        )
    finally:
        await engine.dispose()


@asynccontextmanager
async def postgres_app_db() -> AsyncIterator[AppDatabase]:
    pg_url = postgres_url()
    name = f"hotline_faults_{uuid.uuid4().hex[:12]}"
    admin = make_engine(pg_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)

    @asynccontextmanager
    async def refuse_connections() -> AsyncIterator[None]:
        # New connections are refused (even a superuser's) and the open ones are cut.
        async with admin.connect() as conn:
            await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        try:
            yield
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))

    try:
        await prepare_app_db(url, [TINY])
        yield AppDatabase(
            "postgresql", url, make_session_maker(engine), refuse_connections, min_outage_seconds=6
        )
    finally:
        await engine.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


class Workers:
    """Starts worker processes on one task queue; kills whatever is left at teardown."""

    def __init__(self, server: DevServer, client: Client, tmp_path: Path) -> None:
        self.server, self.client, self.tmp_path = server, client, tmp_path
        self.task_queue = f"faults-{uuid.uuid4().hex[:8]}"
        self.started: list[WorkerProcess] = []

    async def start(self, database_url: str) -> WorkerProcess:
        log = self.tmp_path / f"worker-{len(self.started) + 1}.log"
        worker = WorkerProcess.tickets(self.server.address, database_url, self.task_queue, log)
        self.started.append(worker)
        return await worker.start_ready(self.client)

    def tickets(self, db: AppDatabase, prefix: str) -> Tickets:
        """A driver for tickets on this task queue, numbered `<prefix>-<run>-<n>`."""
        return Tickets(self.client, self.task_queue, db.sessions, prefix=f"{prefix}-{uuid.uuid4().hex[:6]}")

    def cleanup(self) -> None:
        for worker in self.started:
            worker.kill()
            print(f"--- {worker.log_file.name} (pid {worker.pid}, tail)\n{worker.log_tail(30)}")
