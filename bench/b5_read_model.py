"""B5: the read model at a province's scale, on PostgreSQL (issue 15).

    HOTLINE_BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/hotline_b5 \\
        .venv/bin/python -m bench.b5_read_model [--tickets 1000000] [--reuse]

Builds the schema from the models (the one `alembic upgrade head` builds: tests/db/test_migrations.py),
loads `--tickets` tickets with their timeline events and units (bench/b5_data.py: the projection's own row
builders over lives played through the domain) with COPY, secondary indexes dropped during the load and
built after it, then VACUUM ANALYZE, as a read model long in service would be. `--reuse` times an already
loaded database again. Then it times, through the API's own functions (not hand-written SQL):

- the first page of a unit's working queue (`GET /tickets?open=true` as the unit's staff): a big member
  unit alone (`unit=`), a small one, and a big member unit's tree (A6: with its sub-units);
- the office's first page (every ticket, newest first) and the open-and-red list (`card=red&open=true`);
- a month's bulletin for all units (A26), a quarter's assessment (A27), the supervision list (A25);
- a ticket's timeline and the requester's progress from the read model (the fallback of
  `Runtime.ticket_state` when Temporal no longer keeps the history).

It prints p50/p95 of each against the goals, and the table sizes per ticket.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg
from sqlalchemy import ForeignKeyConstraint, PrimaryKeyConstraint, UniqueConstraint, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.schema import AddConstraint

import db.api_models
import db.delivery_models
import db.linkage_models  # noqa: F401
from api.auth import Caller, Role
from api.figures.assessment import assessment
from api.figures.bulletin import bulletin
from api.figures.common import Period
from api.figures.dashboard import dashboard
from api.figures.supervision import supervision
from api.public_schemas import PublicTicketView
from api.routes.tickets import list_tickets
from api.runtime import Runtime
from api.unit_tree import unit_scope
from bench.b5_data import (
    EVENT_COLUMNS,
    FIGURE_COLUMNS,
    LIMIT_COLUMNS,
    NOW,
    TICKET_COLUMNS,
    UNIT_COLUMNS,
    Province,
    batches,
)
from bench.common import percentile
from db.models import Base, TicketRow, TimelineEventRow
from db.session import make_engine, make_session_maker
from domain.assessment import AssessmentWeights
from domain.vocabulary import Card

READ_MODEL = ("tickets", "timeline_events", "ticket_units", "running_limits", "figure_events")
SHANGHAI_MONTH = Period(start=NOW - timedelta(days=30), end=NOW)  # November 2026 in Shanghai
SHANGHAI_QUARTER = Period(start=NOW - timedelta(days=91), end=NOW)  # September–November
GOALS = {"queue": 0.050, "dashboard": 0.050, "bulletin": 2.0, "assessment": 5.0}


def _pg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def load(url: str, n: int) -> None:
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    await engine.dispose()
    pg = await asyncpg.connect(_pg_dsn(url))
    try:
        # Bulk-loaded bare: indexes and constraints (keys, uniques, foreign keys) are built after the load,
        # in one sort each, rather than row by row.
        tables = [Base.metadata.tables[t] for t in READ_MODEL]
        indexes = [i for t in tables for i in t.indexes]
        keys = [
            c for t in tables for c in t.constraints if isinstance(c, PrimaryKeyConstraint | UniqueConstraint)
        ]
        foreign = [
            c
            for t in Base.metadata.sorted_tables
            for c in t.constraints
            if isinstance(c, ForeignKeyConstraint) and c.referred_table.name in READ_MODEL
        ]
        constraints = keys + foreign  # added back in this order, dropped in the other
        for index in indexes:
            await pg.execute(f"DROP INDEX {index.name}")
        for c in reversed(constraints):
            await pg.execute(f"ALTER TABLE {c.table.name} DROP CONSTRAINT {c.name}")
        created = NOW - timedelta(days=400)
        await pg.copy_records_to_table(
            "units",
            records=Province.make().unit_rows(created),
            columns=["id", "name", "tier", "parent_id", "kind", "created_at", "deactivated_at"],
        )
        started, done = time.perf_counter(), 0
        for batch in batches(n, 20_000):
            await pg.copy_records_to_table("tickets", records=batch.tickets, columns=TICKET_COLUMNS)
            await pg.copy_records_to_table("timeline_events", records=batch.events, columns=EVENT_COLUMNS)
            await pg.copy_records_to_table("ticket_units", records=batch.units, columns=UNIT_COLUMNS)
            await pg.copy_records_to_table("running_limits", records=batch.limits, columns=LIMIT_COLUMNS)
            await pg.copy_records_to_table("figure_events", records=batch.figures, columns=FIGURE_COLUMNS)
            done += len(batch.tickets)
            if done % 100_000 == 0 or done == n:
                print(f"  loaded {done:,} tickets in {time.perf_counter() - started:.0f} s", flush=True)
        engine = make_engine(url)
        async with engine.begin() as conn:
            for constraint in constraints:
                await conn.execute(AddConstraint(constraint))
            for index in indexes:
                await conn.run_sync(lambda c, i=index: i.create(c))
        await engine.dispose()
        print(f"  indexes built at {time.perf_counter() - started:.0f} s", flush=True)
        for table in ("units", *READ_MODEL):
            await pg.execute(f"VACUUM ANALYZE {table}")
        print(f"  vacuumed and analysed at {time.perf_counter() - started:.0f} s", flush=True)
    finally:
        await pg.close()


async def sizes(url: str) -> list[tuple[str, str]]:
    pg = await asyncpg.connect(_pg_dsn(url))
    try:
        tickets = await pg.fetchval("SELECT count(*) FROM tickets")
        rows = []
        total = 0
        for table in READ_MODEL:
            size = await pg.fetchval("SELECT pg_total_relation_size($1)", table)
            count = await pg.fetchval(f"SELECT count(*) FROM {table}")
            total += size
            rows.append(
                (
                    table,
                    (
                        f"{count:,} rows, {size / 2**20:,.0f} MiB, {size / tickets:,.0f} B and "
                        f"{count / tickets:.2f} rows per ticket"
                    ),
                )
            )
        rows.append(("read model", f"{total / 2**30:.2f} GiB, {total / tickets / 1024:.2f} KiB per ticket"))
        return rows
    finally:
        await pg.close()


def unit_caller(unit: str) -> Caller:
    return Caller(
        credential_id=1, role=Role.UNIT_STAFF, name="bench", unit_id=unit, confidential_clearance=False
    )


OFFICE = Caller(credential_id=2, role=Role.OPERATOR, name="bench", unit_id=None, confidential_clearance=True)


class _NoTemporal:
    """Runtime.ticket_state asks Temporal first: here it holds no history, as past retention."""

    async def ticket_state(self, ticket_no: str) -> None:
        return None


def queries(
    sessions: async_sessionmaker[AsyncSession], probe: dict[str, str]
) -> dict[str, Callable[[], Awaitable[Any]]]:
    runtime = Runtime(settings=None, temporal=_NoTemporal(), session_maker=sessions)  # type: ignore[arg-type]

    def listing(caller: Caller, **kw: Any) -> Callable[[], Awaitable[Any]]:
        async def run() -> Any:
            async with sessions() as session:
                return await list_tickets(caller=caller, session=session, **kw)  # type: ignore[arg-type]

        return run

    def figures(f: Callable[[AsyncSession], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
        async def run() -> Any:
            async with sessions() as session:
                return await f(session)

        return run

    async def timeline() -> Any:
        async with sessions() as session:
            stmt = select(TimelineEventRow).where(TimelineEventRow.ticket_no == probe["ticket"])
            return (await session.scalars(stmt.order_by(TimelineEventRow.seq))).all()

    async def progress() -> Any:
        state = await runtime.ticket_state(probe["ticket"])
        assert state is not None
        return PublicTicketView.of(state)

    async def big_tree_dashboard(session: AsyncSession) -> Any:
        scope = await unit_scope(session, probe["big"])
        return await dashboard(session, NOW, unit=probe["big"], scope=scope, cleared=False)

    big, small, office = unit_caller(probe["big"]), unit_caller(probe["small"]), OFFICE
    return {
        "queue: a big unit alone": listing(big, unit=probe["big"], open=True),
        "queue: a small unit": listing(small, open=True),
        "queue: a big unit's tree": listing(big, open=True),
        "queue: a big unit alone, whole history": listing(big, unit=probe["big"]),
        "queue: the office's first page": listing(office),
        "queue: the office's open tickets": listing(office, open=True),
        "dashboard: open and red": listing(office, card=Card.RED, open=True),
        # GET /reports/dashboard: the cards of open tickets per unit and tier, and what falls due.
        "dashboard: the office": figures(lambda s: dashboard(s, NOW, unit=None, scope=None, cleared=True)),
        "dashboard: a big unit's tree": figures(big_tree_dashboard),
        "bulletin: a month, all units": figures(lambda s: bulletin(s, SHANGHAI_MONTH)),
        "assessment: a quarter": figures(lambda s: assessment(s, SHANGHAI_QUARTER, AssessmentWeights())),
        "supervision: a month, first page": figures(
            lambda s: supervision(
                s,
                period=SHANGHAI_MONTH,
                unit=None,
                signal=None,
                include_confidential=True,
                limit=200,
                offset=0,
            )
        ),
        "a ticket's timeline": timeline,
        "the requester's progress": progress,
    }


def _goal(name: str) -> float | None:
    return next((g for k, g in GOALS.items() if name.startswith(k)), None)


async def measure(url: str, quick: bool, only: str = "") -> list[tuple[str, str]]:
    engine = make_engine(url)
    sessions = make_session_maker(engine)
    async with sessions() as session:
        big = await session.scalar(
            text(
                "SELECT unit FROM ticket_units WHERE role = 'lead' GROUP BY unit ORDER BY count(*) DESC LIMIT 1"
            )
        )
        small = await session.scalar(
            text(
                "SELECT id FROM units WHERE tier = 3 AND id IN (SELECT unit FROM ticket_units) ORDER BY id DESC LIMIT 1"
            )
        )
        ticket = await session.scalar(
            select(TicketRow.ticket_no).where(TicketRow.concluded_at.is_not(None)).limit(1)
        )
    probe = {"big": str(big), "small": str(small), "ticket": str(ticket)}
    # As the served API does once started (api/app.py `_freeze_heap`): what the imports made is no longer
    # walked by every full collection, which would otherwise land in some query's time.
    gc.collect()
    gc.freeze()
    print(f"  big unit {big}, small unit {small}, ticket {ticket}", flush=True)
    rows = []
    for name, run in queries(sessions, probe).items():
        if not name.startswith(only):
            continue
        slow = name.split(":")[0] in ("bulletin", "assessment")
        times = []
        for i in range((3 if quick else 5) if slow else (10 if quick else 40)):
            started = time.perf_counter()
            await run()
            if i or slow:  # the first of the fast ones warms the connection and the statement cache
                times.append(time.perf_counter() - started)
        p50, p95 = percentile(times, 50), percentile(times, 95)
        goal = _goal(name)
        verdict = (
            "" if goal is None else f"  goal p95 < {goal * 1000:,.0f} ms: {'met' if p95 < goal else 'MISSED'}"
        )
        rows.append(
            (name, f"p50 {p50 * 1000:,.1f} ms, p95 {p95 * 1000:,.1f} ms ({len(times)} runs){verdict}")
        )
        print(f"  {name}: {rows[-1][1]}", flush=True)
    await engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="time an already loaded database")
    parser.add_argument("--quick", action="store_true", help="fewer runs per query")
    parser.add_argument("--only", default="", help="time only the queries whose name starts so")
    args = parser.parse_args()
    url = os.environ.get(
        "HOTLINE_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/hotline_b5"
    )
    if make_url(url).get_backend_name() != "postgresql":
        raise SystemExit("B5 measures PostgreSQL: set HOTLINE_BENCH_DATABASE_URL to a postgresql+asyncpg URL")
    if not args.reuse:
        print(f"B5: loading {args.tickets:,} tickets into {make_url(url).database}", flush=True)
        started = time.perf_counter()
        asyncio.run(load(url, args.tickets))
        print(f"  loaded in {time.perf_counter() - started:.0f} s", flush=True)
    print("B5: timing", flush=True)
    timings = asyncio.run(measure(url, args.quick, args.only))
    table = asyncio.run(sizes(url))
    print("\nB5 results")
    for name, value in [*timings, *table]:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
