"""F3: the application database goes away while tickets act and project their state; it comes back.

Tickets keep acting without it (their state lives in the workflows), new tickets wait to open, the
projections fail and are retried (STYLE pattern 7: the read model is rebuildable from the workflows),
and once the database answers again the read model converges: per ticket the row's revision, stage and
card equal the workflow's, and its timeline rows are exactly the workflow's events.

PostgreSQL (HOTLINE_TEST_DATABASE_URL): a fresh database refuses connections and its sessions are cut.
SQLite: another connection holds the write lock for longer than the worker's busy timeout, so every
write fails with "database is locked" (readers still pass, WAL).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from domain.vocabulary import Stage
from tests.faults.support import AppDatabase, Workers

pytestmark = pytest.mark.devserver

TICKETS = 20
LATE = 5  # registered during the outage
BUDGET_SECONDS = 58


async def test_read_model_converges_after_the_database_returns(workers: Workers, app_db: AppDatabase) -> None:
    async with asyncio.timeout(BUDGET_SECONDS):
        await workers.start(app_db.url)
        tickets = workers.tickets(app_db, f"F3{app_db.backend[:2]}")
        numbers = await tickets.register(TICKETS)
        await tickets.converge(timeout=20)
        closed = numbers[: TICKETS // 2]

        async with app_db.outage():
            began = time.monotonic()
            late = await tickets.start(LATE)
            await asyncio.gather(*(tickets.sign_for(no) for no in numbers))
            await asyncio.gather(*(tickets.close(no) for no in closed))
            acted = time.monotonic() - began
            await asyncio.sleep(max(0.0, app_db.min_outage_seconds - acted))
            # The fault was real: projections (or openings) failed and wait for their retry.
            in_flight = await tickets.in_flight()
            assert in_flight["activity_retrying"] > 0, in_flight
        restored = time.monotonic()

        await tickets.wait_all(late, lambda s: s.stage == Stage.DISPATCHED, timeout=30, what="opened late")
        await tickets.converge(timeout=40)
        converged = time.monotonic() - restored

        states = await tickets.states()
        assert len(states) == TICKETS + LATE
        assert {states[no].stage for no in closed} == {Stage.CONCLUDED}
        assert {states[no].stage for no in numbers if no not in closed} == {Stage.HANDLING}
        assert {states[no].stage for no in late} == {Stage.DISPATCHED}
        print(
            f"F3 {app_db.backend}: acted for {acted:.1f}s of the outage; in flight at its end: "
            f"{dict(in_flight)}; converged {converged:.1f}s after the database returned"
        )
