"""The outbox on both backends, three dispatchers sharing it (on PostgreSQL they skip each other's locked
rows; on SQLite the lease is re-checked under the write lock): each notice reaches its recipient once, by
id, and a ticket's notices arrive in order."""

from __future__ import annotations

from collections import defaultdict
from contextlib import AsyncExitStack
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.b6_delivery import Writer
from bench.common import until
from db.delivery_models import DeliveryChannelRow
from tests.delivery.support import Receiver, dispatching, fast_settings, notices, serving

TICKETS, EVENTS = 12, 5


async def test_dispatchers_share_the_outbox_each_notice_once_in_order(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    unit_system = Receiver()
    async with serving(unit_system):
        async with sessions.begin() as session:
            session.add(
                DeliveryChannelRow(
                    recipient="unit:U-B6",
                    url=unit_system.url,
                    secret=unit_system.secret,
                    enabled=True,
                    updated_at=datetime.now(UTC),
                )
            )
        writer = Writer(sessions, TICKETS)
        await writer.write(TICKETS * EVENTS)
        settings = fast_settings(delivery_concurrency=4, delivery_batch_size=3)
        async with AsyncExitStack() as running:
            for _ in range(3):
                await running.enter_async_context(dispatching(settings, sessions))

            async def all_delivered() -> bool:
                return all(n.status == "delivered" for n in await notices(sessions))

            await until(all_delivered, timeout=60, what="every notice delivered")
    assert sorted(unit_system.ids()) == sorted(writer.written)  # once each: no notice claimed twice
    seen: dict[str, list[int]] = defaultdict(list)
    for a in unit_system.arrivals:
        seen[a.body["data"]["ticket_no"]].append(a.body["data"]["seq"])
    assert all(seqs == sorted(seqs) for seqs in seen.values()) and len(seen) == TICKETS
