"""Forgetting Idempotency-Keys once no client would still retry with them.

A registration's key row keeps the whole Registration (the requester's name and phone among it, A32) so a
replay can start the workflow the first attempt may not have. Kept for ever, the table would grow with
every ticket and hold a second copy of every requester's details, long after the ticket itself closed.
A key is honoured for `HOTLINE_IDEMPOTENCY_RETENTION_HOURS` (7 days by default: a client retrying after
an outage of a day or two still gets its first answer); afterwards the same key starts afresh.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.api_models import IdempotencyKeyRow

log = logging.getLogger("hotline.idempotency")

Clock = Callable[[], Awaitable[datetime]]

# The API purges at start-up and then this often; a purge is one indexed DELETE.
PURGE_EVERY = timedelta(hours=1)


async def purge_idempotency_keys(sessions: async_sessionmaker[AsyncSession], before: datetime) -> int:
    """Delete the keys recorded before `before`; the number deleted."""
    async with sessions.begin() as session:
        result = await session.execute(delete(IdempotencyKeyRow).where(IdempotencyKeyRow.created_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def purge_forever(
    sessions: async_sessionmaker[AsyncSession],
    retention: timedelta,
    now: Clock,
    every: timedelta = PURGE_EVERY,
) -> None:
    """The API's background purge; a failed round (the database away) is logged and tried again later."""
    while True:
        try:
            purged = await purge_idempotency_keys(sessions, await now() - retention)
            if purged:
                log.info("forgot %d Idempotency-Keys older than %s", purged, retention)
        except Exception as err:  # noqa: BLE001 - the next round retries; the API must keep serving
            log.warning("could not purge Idempotency-Keys: %r", err)
        await asyncio.sleep(every.total_seconds())
