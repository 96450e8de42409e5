"""The outbox's statements: claim the notices due, settle each outcome, purge what was delivered.

Claiming (at least once, in order): a notice is due when it is the oldest unsettled notice of its ticket
to its recipient (the ordering rule: notice n+1 waits until n is delivered or dead-lettered), its next try
has come and no live lease holds it. On PostgreSQL the claim locks with `FOR UPDATE SKIP LOCKED`, so
several dispatchers share the outbox; on SQLite one writer claims at a time. A claim leases the rows and
counts the attempt, then commits: the HTTP call happens outside any transaction, and a dispatcher that
dies mid-delivery leaves a lease that runs out, after which the notice is sent again with the same id.

A settle applies only to the claim that made it (same attempt count, not yet delivered): a dispatcher
whose lease ran out while it waited cannot overwrite a later outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Result, Table, and_, bindparam, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from db.delivery_models import DeliveryCounterRow, DeliveryRow
from db.models import NoticeRow
from db.session import insert_for
from domain.delivery import DeliveryStatus, Route

# The outbox row's own states (notices.status); a delivered row also carries delivered_at.
PENDING, DELIVERED, DEAD, HELD = "pending", "delivered", "dead_lettered", "held"
FEED_COUNTER = "feed"
_NOTICES = cast(Table, NoticeRow.__table__)
_DELIVERIES = cast(Table, DeliveryRow.__table__)


@dataclass(frozen=True)
class Claimed:
    id: str
    ticket_no: str
    event_id: str
    seq: int
    recipient: str
    kind: str
    created_at: datetime
    attempts: int  # counting this one: the claim's token
    dead_letter_at: datetime


def _due(now: datetime) -> Any:
    earlier = aliased(NoticeRow)
    blocked = exists().where(
        earlier.ticket_no == NoticeRow.ticket_no,
        earlier.recipient == NoticeRow.recipient,
        earlier.seq < NoticeRow.seq,
        earlier.delivered_at.is_(None),
        earlier.status != DEAD,
    )
    return and_(
        NoticeRow.delivered_at.is_(None),
        NoticeRow.status == PENDING,
        or_(NoticeRow.next_attempt_at.is_(None), NoticeRow.next_attempt_at <= now),
        or_(NoticeRow.leased_until.is_(None), NoticeRow.leased_until <= now),
        ~blocked,
    )


async def claim(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    *,
    limit: int,
    lease: timedelta,
    dead_letter_after: timedelta,
) -> list[Claimed]:
    async with sessions.begin() as session:
        query = select(NoticeRow).where(_due(now)).order_by(NoticeRow.created_at, NoticeRow.seq).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=NoticeRow)
        rows = (await session.scalars(query)).all()
        claimed = [
            Claimed(
                id=r.id,
                ticket_no=r.ticket_no,
                event_id=r.event_id,
                seq=r.seq or 0,
                recipient=r.recipient,
                kind=r.kind,
                created_at=r.created_at,
                attempts=r.attempts + 1,
                dead_letter_at=r.dead_letter_at or r.created_at + dead_letter_after,
            )
            for r in rows
        ]
        if claimed:
            # Core, not ORM: one executemany over the claimed rows.
            await session.execute(
                update(_NOTICES)
                .where(_NOTICES.c.id == bindparam("b_id"))
                .values(
                    leased_until=now + lease,
                    attempts=bindparam("b_attempts"),
                    dead_letter_at=bindparam("b_dead_letter_at"),
                ),
                [
                    {"b_id": c.id, "b_attempts": c.attempts, "b_dead_letter_at": c.dead_letter_at}
                    for c in claimed
                ],
            )
    return claimed


def _count(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (an ORM session hands back the cursor's result)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def _mine(c: Claimed) -> Any:
    return and_(NoticeRow.id == c.id, NoticeRow.attempts == c.attempts, NoticeRow.delivered_at.is_(None))


async def settle(
    sessions: async_sessionmaker[AsyncSession],
    c: Claimed,
    now: datetime,
    *,
    route: Route,
    status: DeliveryStatus,
    detail: str = "",
    provider_ref: str | None = None,
    next_attempt_at: datetime | None = None,
) -> bool:
    """Record one outcome of a claim: the outbox row moves on and the delivery record says what happened.
    False when the claim was no longer this dispatcher's (its lease ran out and another took it)."""
    notice_values: dict[str, Any] = {"leased_until": None}
    if status in (DeliveryStatus.SENT, DeliveryStatus.ACKNOWLEDGED, DeliveryStatus.NO_CHANNEL):
        notice_values |= {"delivered_at": now, "status": DELIVERED}
    elif status == DeliveryStatus.DEAD_LETTERED:
        notice_values |= {"status": DEAD}
    elif status == DeliveryStatus.HELD:
        notice_values |= {"status": HELD}
    else:
        notice_values |= {"next_attempt_at": next_attempt_at}
    async with sessions.begin() as session:
        moved = await session.execute(
            update(NoticeRow)
            .where(_mine(c))
            .values(**notice_values)
            .execution_options(synchronize_session=False)
        )
        if not _count(moved):
            return False
        await _record(session, c, now, route, status, detail, provider_ref)
    return True


async def _record(
    session: AsyncSession,
    c: Claimed,
    now: datetime,
    route: Route,
    status: DeliveryStatus,
    detail: str,
    provider_ref: str | None,
) -> None:
    row = await session.get(DeliveryRow, c.id)
    if row is None:
        # A unit's notices are numbered in the order they are handed over: its feed (GET /notifications).
        cursor = await next_cursor(session) if c.recipient.startswith("unit:") else None
        session.add(
            DeliveryRow(
                id=c.id,
                ticket_no=c.ticket_no,
                event_id=c.event_id,
                seq=c.seq,
                recipient=c.recipient,
                kind=c.kind,
                route=route.value,
                status=status.value,
                attempts=c.attempts,
                detail=detail,
                provider_ref=provider_ref,
                feed_cursor=cursor,
                created_at=c.created_at,
                updated_at=now,
                reported=False,
            )
        )
        return
    if row.status != status.value:
        row.reported = False  # a new status to tell the ticket's workflow
    row.status, row.route, row.attempts, row.detail = status.value, route.value, c.attempts, detail
    row.provider_ref = provider_ref or row.provider_ref
    row.updated_at = now


async def next_cursor(session: AsyncSession) -> int:
    """The next feed cursor. The UPDATE locks the counter row until this transaction commits, so cursors
    become visible in the order they were drawn: a reader past cursor c never misses a later-committed
    smaller one."""
    bump = (
        update(DeliveryCounterRow)
        .where(DeliveryCounterRow.name == FEED_COUNTER)
        .values(value=DeliveryCounterRow.value + 1)
        .returning(DeliveryCounterRow.value)
    )
    value = (await session.execute(bump)).scalar_one_or_none()
    if value is None:
        first = insert_for(session, DeliveryCounterRow).values(name=FEED_COUNTER, value=0)
        await session.execute(first.on_conflict_do_nothing())
        value = (await session.execute(bump)).scalar_one()
    return int(value)


async def purge_delivered(sessions: async_sessionmaker[AsyncSession], before: datetime) -> int:
    """Delivered notices leave the outbox; their delivery record stays. Dead letters are never purged."""
    async with sessions.begin() as session:
        result = await session.execute(
            delete(NoticeRow).where(NoticeRow.delivered_at.is_not(None), NoticeRow.delivered_at < before)
        )
    return _count(result)


async def retry_dead_letter(
    sessions: async_sessionmaker[AsyncSession], notice_id: str, now: datetime, dead_letter_after: timedelta
) -> bool:
    """An operator sends a dead letter again (its recipient fixed): a fresh limit from now."""
    async with sessions.begin() as session:
        moved = await session.execute(
            update(NoticeRow)
            .where(NoticeRow.id == notice_id, NoticeRow.status == DEAD)
            .values(
                status=PENDING,
                next_attempt_at=None,
                leased_until=None,
                dead_letter_at=now + dead_letter_after,
            )
        )
        if not _count(moved):
            return False
        await session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == notice_id)
            .values(
                status=DeliveryStatus.PENDING.value,
                detail="sent again by an operator",
                updated_at=now,
                reported=False,
            )
        )
    return True


async def unreported(sessions: async_sessionmaker[AsyncSession], limit: int) -> list[DeliveryRow]:
    async with sessions() as session:
        return list(
            (
                await session.scalars(
                    select(DeliveryRow)
                    .where(DeliveryRow.reported.is_(False))
                    .order_by(DeliveryRow.updated_at)
                    .limit(limit)
                )
            ).all()
        )


async def mark_reported(sessions: async_sessionmaker[AsyncSession], reported: list[tuple[str, str]]) -> None:
    """Mark (id, status) pairs as told; a status that changed meanwhile stays to be told."""
    if not reported:
        return
    async with sessions.begin() as session:
        await session.execute(
            update(_DELIVERIES)
            .where(_DELIVERIES.c.id == bindparam("b_id"), _DELIVERIES.c.status == bindparam("b_status"))
            .values(reported=True),
            [{"b_id": i, "b_status": s} for i, s in reported],
        )
