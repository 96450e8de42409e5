"""F2: the dev server stops while tickets wait on their timers and starts again on the same SQLite file.

The tickets use a rule set whose sign-for limit is seconds long (A22: yellow from the moment the limit
passes). Every limit falls while the server is down; after the restart every timer fires (its history
shows the workflow woke after the restart) and each card turns yellow once, stamped with the limit it
crossed, in the workflow and in the read model: none lost.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bench.common import DevServer, timer_observed_at, wait_idle
from domain.ticket import SIGN_FOR, TicketState
from domain.vocabulary import Card, Stage
from tests.faults.support import TINY, AppDatabase, Workers

pytestmark = pytest.mark.devserver

TICKETS = 10
BUDGET_SECONDS = 58


async def test_timers_due_while_the_server_is_down_fire_after_restart(
    dev_server: DevServer, workers: Workers, sqlite_db: AppDatabase
) -> None:
    async with asyncio.timeout(BUDGET_SECONDS):
        worker = await workers.start(sqlite_db.url)
        tickets = workers.tickets(sqlite_db, "F2")
        numbers = await tickets.register(TICKETS, rule_set_id=TINY.id)
        before = await tickets.states()
        due = {no: s.clocks[SIGN_FOR].due_at for no, s in before.items()}
        assert all(s.card() == Card.GREEN for s in before.values())
        await tickets.converge(timeout=20)
        await wait_idle([worker.pid], window=1.0, timeout=20)  # every ticket is waiting on its timer

        stopped_at = datetime.now(UTC)
        assert stopped_at < min(due.values()) - timedelta(seconds=1), "registration outran the tiny limits"
        dev_server.stop()  # SIGTERM: the worker process keeps running and retrying its polls

        await asyncio.sleep((max(due.values()) - datetime.now(UTC)).total_seconds() + 2)
        restarting_at = datetime.now(UTC)
        await dev_server.start()
        assert worker.alive(), worker.log_tail()

        def yellow(s: TicketState) -> bool:
            return any(e.kind == "card_changed" for e in s.timeline)

        await tickets.wait_all(numbers, yellow, timeout=30, what="card changed after restart")
        await tickets.converge(timeout=20)

        after = await tickets.states()
        assert len(after) == TICKETS
        woke: dict[str, list[datetime]] = {}
        for no, s in after.items():
            changes = [e for e in s.timeline if e.kind == "card_changed"]
            assert len(changes) == 1, (no, changes)
            change = changes[0]
            assert change.data["clock"] == SIGN_FOR and change.data["after"] == Card.YELLOW.value, change
            assert change.at >= due[no], (no, change.at, due[no])
            assert s.stage == Stage.DISPATCHED and s.card() == Card.YELLOW
            # Due during the downtime: the timer fired, and the workflow saw it, only once the server was back.
            woke[no] = await timer_observed_at(tickets.client, f"ticket-{no}")
            assert woke[no] and all(at >= restarting_at for at in woke[no]), (no, woke[no], restarting_at)
        assert worker.alive(), "the worker died during the server's downtime"
        lags = sorted((at - restarting_at).total_seconds() for seen in woke.values() for at in seen)
        print(
            f"F2: server down {(restarting_at - stopped_at).total_seconds():.1f}s; the workflows saw their "
            f"timers {lags[0]:.2f}..{lags[-1]:.2f}s after the restart began"
        )
