"""F6: delivery survives a recipient's outage and a dispatcher SIGKILLed mid-delivery, and repeats no id.

Real processes: the dev server, the production worker (`python worker.py`) with its outbox dispatcher, or a
worker without it beside `python -m operations deliver`; a unit's system and an SMS gateway as loopback
HTTP servers in the test. The unit's system answers 503 to its first tries, then holds one request open
while the dispatcher holding it is SIGKILLed. Afterwards every notice has arrived, the recipients saw only
notice ids (the held one again, which they dedupe), and the outbox has no notice left to try.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bench.common import WorkerProcess, until
from db.delivery_models import DeliveryChannelRow
from db.models import NoticeRow, TicketRow
from tests.delivery.support import HttpGateway, Receiver, serving
from tests.faults.support import UNIT, AppDatabase, Workers

pytestmark = pytest.mark.devserver

TICKETS = 12
FAIL_FIRST = 3  # the unit's system is down for its first tries
HOLD_AT = 8  # the request left hanging when the dispatcher dies
BUDGET_SECONDS = 150


def delivery_env(gateway: HttpGateway) -> dict[str, str]:
    return {
        "HOTLINE_DELIVERY_POLL_SECONDS": "0.05",
        "HOTLINE_DELIVERY_LEASE_SECONDS": "3",
        "HOTLINE_DELIVERY_HTTP_TIMEOUT_SECONDS": "60",  # the held request is not given up by the sender
        "HOTLINE_DELIVERY_BACKOFF_BASE_SECONDS": "0.2",
        "HOTLINE_DELIVERY_BACKOFF_CAP_SECONDS": "1",
        "HOTLINE_SMS_PROVIDER": "http",
        "HOTLINE_SMS_HTTP_URL": gateway.url + "/sms",
    }


class HoldingReceiver(Receiver):
    """Answers 503 at first, then holds the HOLD_AT-th request open until released."""

    def __init__(self) -> None:
        super().__init__(fail_first=FAIL_FIRST)
        self.holding = asyncio.Event()
        self.release = asyncio.Event()

    async def handle(self, request):  # type: ignore[no-untyped-def]
        if self.requests + 1 == HOLD_AT:
            self.requests += 1
            self.arrivals.append(self.check(request))
            self.holding.set()
            await self.release.wait()
            return 200, b"{}"
        return await super().handle(request)


@pytest.mark.parametrize("dispatcher", ["in_worker", "own_process"])
async def test_dispatcher_killed_mid_delivery_loses_nothing_and_sends_no_new_id(
    workers: Workers, sqlite_db: AppDatabase, dispatcher: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    unit_system, gateway = HoldingReceiver(), HttpGateway()
    async with asyncio.timeout(BUDGET_SECONDS), serving(unit_system, gateway):
        async with sqlite_db.sessions.begin() as session:
            session.add(
                DeliveryChannelRow(
                    recipient=f"unit:{UNIT}",
                    url=unit_system.url + "/hooks",
                    secret=unit_system.secret,
                    enabled=True,
                    updated_at=datetime.now(UTC),
                )
            )
        env = delivery_env(gateway)

        def dispatcher_process(n: int) -> WorkerProcess:
            if dispatcher == "in_worker":
                proc = WorkerProcess.tickets(
                    workers.server.address,
                    sqlite_db.url,
                    workers.task_queue,
                    tmp_path / f"w{n}.log",
                    delivery=env,
                )
            else:
                base = WorkerProcess.tickets(
                    workers.server.address, sqlite_db.url, workers.task_queue, tmp_path
                )
                proc = WorkerProcess(
                    [sys.executable, "-m", "operations", "deliver"],
                    base.env | env,
                    tmp_path / f"deliver-{n}.log",
                    workers.task_queue,
                )
            workers.started.append(proc)
            return proc

        first = dispatcher_process(1)
        if dispatcher == "in_worker":
            await first.start_ready(workers.client)
        else:
            await workers.start(sqlite_db.url)
            first.start()
        tickets = workers.tickets(sqlite_db, "F6")
        numbers = await tickets.register(TICKETS)
        await asyncio.gather(*(tickets.sign_for(no) for no in numbers))

        await asyncio.wait_for(unit_system.holding.wait(), timeout=60)
        first.kill()  # mid-delivery: one request open, others claimed or in flight
        unit_system.release.set()  # the held request is answered now, to nobody
        second = dispatcher_process(2)
        if dispatcher == "in_worker":
            await second.start_ready(workers.client)
        else:
            second.start()

        async def outbox_drained() -> list[NoticeRow] | None:
            async with sqlite_db.sessions() as session:
                rows = list((await session.scalars(select(NoticeRow))).all())
            mine = [n for n in rows if n.ticket_no in numbers]
            return mine if mine and all(n.status != "pending" for n in mine) else None

        rows = await until(outbox_drained, timeout=90, interval=0.3, what="the outbox drained")

    to_unit = {n.id for n in rows if n.recipient == f"unit:{UNIT}"}
    to_requester = {n.id for n in rows if n.recipient == "requester"}
    assert len(to_unit) >= TICKETS and len(to_requester) == TICKETS
    assert {n.status for n in rows if n.id in to_unit | to_requester} == {"delivered"}
    # Nothing missing, nothing but notice ids: the distinct ids are exactly the notices.
    assert unit_system.distinct() == to_unit
    assert gateway.distinct() == to_requester
    assert not (unit_system.refused or gateway.refused)
    # The held request's notice came again, with the same id (the recipient dedupes it).
    repeats = Counter(unit_system.ids())
    held = unit_system.arrivals[HOLD_AT - 1].delivery_id
    assert repeats[held] >= 2, repeats
    print(
        f"F6 ({dispatcher}): {len(to_unit)} unit notices, {len(to_requester)} SMS; repeated ids: "
        f"{ {i: c for i, c in repeats.items() if c > 1} }"
    )


async def test_delivery_outlives_a_database_outage(
    workers: Workers, sqlite_db: AppDatabase, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The dispatcher's state is in the database: while it is away claims fail and back off; afterwards
    every notice, those written before and after, arrives once by id, and the dispatcher is still up."""
    # The unit's system is down too until the database is back: its notices keep the dispatcher writing
    # (a try, its failure, the next) while the database is away.
    unit_system, gateway = Receiver(fail_always=True), HttpGateway()
    async with asyncio.timeout(BUDGET_SECONDS), serving(unit_system, gateway):
        async with sqlite_db.sessions.begin() as session:
            session.add(
                DeliveryChannelRow(
                    recipient=f"unit:{UNIT}",
                    url=unit_system.url,
                    secret=unit_system.secret,
                    enabled=True,
                    updated_at=datetime.now(UTC),
                )
            )
        worker = WorkerProcess.tickets(
            workers.server.address,
            sqlite_db.url,
            workers.task_queue,
            tmp_path / "w.log",
            delivery=delivery_env(gateway),
        )
        workers.started.append(worker)
        await worker.start_ready(workers.client)
        tickets = workers.tickets(sqlite_db, "F6db")
        numbers = await tickets.register(4)
        async with sqlite_db.outage():
            signing_for = asyncio.gather(*(tickets.sign_for(no) for no in numbers))
            await asyncio.sleep(sqlite_db.min_outage_seconds)
        unit_system.fail_always = False
        await signing_for

        async def drained() -> list[NoticeRow] | None:
            async with sqlite_db.sessions() as session:
                # The sign-fors' projections may land after the outage (an ordinary activity, retried).
                stages = set((await session.scalars(select(TicketRow.stage))).all())
                rows = list((await session.scalars(select(NoticeRow))).all())
            done = stages == {"handling"} and all(n.status == "delivered" for n in rows)
            return rows if done else None

        rows = await until(drained, timeout=90, interval=0.3, what="the outbox drained after the outage")
        assert worker.alive()
        # The outage reached the dispatcher (a claim, a record or a report failed and was retried), not
        # only the projections.
        lines = worker.log_file.read_text().splitlines()
        assert any('"logger": "hotline.delivery"' in line and "failed" in line for line in lines)
    assert unit_system.distinct() == {n.id for n in rows if n.recipient == f"unit:{UNIT}"}
    assert gateway.distinct() == {n.id for n in rows if n.recipient == "requester"}
    assert len(rows) > len(numbers) * 2  # the sign-fors' notices, written after the outage, too
