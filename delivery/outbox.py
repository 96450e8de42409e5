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

from sqlalchemy import (
    CursorResult,
    Result,
    String,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from db.delivery_models import DeliveryCounterRow, DeliveryRow
from db.models import NoticeRow, UtcDateTime
from db.session import insert_for
from domain.delivery import DeliveryStatus, Route

# The outbox row's own states (notices.status); a delivered row also carries delivered_at.
PENDING, DELIVERED, DEAD, HELD = "pending", "delivered", "dead_lettered", "held"
FEED_COUNTER = "feed"
_NOTICES = cast(Table, NoticeRow.__table__)
_DELIVERIES = cast(Table, DeliveryRow.__table__)
_CLAIM_COLUMNS = (
    "id",
    "ticket_no",
    "event_id",
    "seq",
    "recipient",
    "kind",
    "created_at",
    "attempts",
    "dead_letter_at",
)


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
        query = (
            select(*(_NOTICES.c[name] for name in _CLAIM_COLUMNS))
            .where(_due(now))
            .order_by(NoticeRow.created_at, NoticeRow.seq)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=_NOTICES)
        rows = (await session.execute(query)).all()
        if not rows:
            return []
        # The lease is taken only where no other dispatcher took it since the SELECT: on SQLite (no row
        # locks) the UPDATE re-checks under the write lock, so two dispatchers never both win a notice.
        won = await session.execute(
            update(_NOTICES)
            .where(
                _NOTICES.c.id.in_([r.id for r in rows]),
                _NOTICES.c.delivered_at.is_(None),
                _NOTICES.c.status == PENDING,
                or_(_NOTICES.c.leased_until.is_(None), _NOTICES.c.leased_until <= now),
            )
            .values(leased_until=now + lease, attempts=_NOTICES.c.attempts + 1)
            .returning(_NOTICES.c.id, _NOTICES.c.attempts)
        )
        attempts = {row.id: row.attempts for row in won}
        claimed = [
            Claimed(
                id=r.id,
                ticket_no=r.ticket_no,
                event_id=r.event_id,
                seq=r.seq or 0,
                recipient=r.recipient,
                kind=r.kind,
                created_at=r.created_at,
                attempts=attempts[r.id],
                dead_letter_at=r.dead_letter_at or r.created_at + dead_letter_after,
            )
            for r in rows
            if r.id in attempts
        ]
        first_tries = [c for c in claimed if c.attempts == 1]
        if first_tries:
            # The dead-letter limit, counted from the event, is fixed at the first try (an operator's
            # retry sets a new one).
            await session.execute(
                update(_NOTICES)
                .where(_NOTICES.c.id == bindparam("b_id"), _NOTICES.c.dead_letter_at.is_(None))
                .values(dead_letter_at=bindparam("b_dead_letter_at", type_=UtcDateTime())),
                [{"b_id": c.id, "b_dead_letter_at": c.dead_letter_at} for c in first_tries],
            )
    return claimed


def _count(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (an ORM session hands back the cursor's result)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


@dataclass(frozen=True)
class Settle:
    """One outcome of a claim, as it is recorded."""

    claimed: Claimed
    route: Route
    status: DeliveryStatus
    detail: str = ""
    provider_ref: str | None = None
    next_attempt_at: datetime | None = None


_SETTLED = {
    DeliveryStatus.SENT: DELIVERED,
    DeliveryStatus.ACKNOWLEDGED: DELIVERED,
    DeliveryStatus.NO_CHANNEL: DELIVERED,
    DeliveryStatus.DEAD_LETTERED: DEAD,
    DeliveryStatus.HELD: HELD,
}


async def settle_many(sessions: async_sessionmaker[AsyncSession], items: list[Settle], now: datetime) -> int:
    """Record outcomes in one transaction, a handful of statements whatever their number: each outbox row
    moves on and its delivery record says what happened. An outcome whose claim is no longer this
    dispatcher's (its lease ran out and another took it) is dropped. Returns how many were recorded."""
    if not items:
        return 0
    async with sessions.begin() as session:
        current = select(_NOTICES.c.id, _NOTICES.c.attempts).where(
            _NOTICES.c.id.in_([i.claimed.id for i in items]), _NOTICES.c.delivered_at.is_(None)
        )
        if session.get_bind().dialect.name == "postgresql":
            current = current.with_for_update(of=_NOTICES)
        held = {row.id: row.attempts for row in await session.execute(current)}
        mine = [i for i in items if held.get(i.claimed.id) == i.claimed.attempts]
        if not mine:
            return 0
        await session.execute(
            update(_NOTICES)
            .where(_NOTICES.c.id == bindparam("b_id"))
            .values(
                leased_until=None,
                status=bindparam("b_status"),
                delivered_at=bindparam("b_delivered_at", type_=UtcDateTime()),
                next_attempt_at=bindparam("b_next", type_=UtcDateTime()),
            ),
            [
                {
                    "b_id": i.claimed.id,
                    "b_status": _SETTLED.get(i.status, PENDING),
                    "b_delivered_at": now if _SETTLED.get(i.status) == DELIVERED else None,
                    "b_next": i.next_attempt_at,
                }
                for i in mine
            ],
        )
        await _record_all(session, mine, now)
    return len(mine)


async def _record_all(session: AsyncSession, items: list[Settle], now: datetime) -> None:
    ids = [i.claimed.id for i in items]
    known = {
        row.id for row in await session.execute(select(_DELIVERIES.c.id).where(_DELIVERIES.c.id.in_(ids)))
    }
    fresh = [i for i in items if i.claimed.id not in known]
    seen = [i for i in items if i.claimed.id in known]
    if fresh:
        # A unit's notices are numbered in the order they are handed over: its feed (GET /notifications).
        to_units = [i.claimed.id for i in fresh if i.claimed.recipient.startswith("unit:")]
        last = await next_cursor(session, len(to_units)) if to_units else 0
        cursors = {delivery_id: last - len(to_units) + 1 + n for n, delivery_id in enumerate(to_units)}
        await session.execute(
            insert(_DELIVERIES),
            [
                {
                    "id": i.claimed.id,
                    "ticket_no": i.claimed.ticket_no,
                    "event_id": i.claimed.event_id,
                    "seq": i.claimed.seq,
                    "recipient": i.claimed.recipient,
                    "kind": i.claimed.kind,
                    "route": i.route.value,
                    "status": i.status.value,
                    "attempts": i.claimed.attempts,
                    "detail": i.detail,
                    "provider_ref": i.provider_ref,
                    "feed_cursor": cursors.get(i.claimed.id),
                    "created_at": i.claimed.created_at,
                    "updated_at": now,
                    "reported": False,
                }
                for i in fresh
            ],
        )
    if seen:
        await session.execute(
            update(_DELIVERIES)
            .where(_DELIVERIES.c.id == bindparam("b_id"))
            .values(
                # A new status is to be told to the ticket's workflow (evaluated before the SET applies).
                reported=and_(_DELIVERIES.c.reported, _DELIVERIES.c.status == bindparam("b_status")),
                status=bindparam("b_status"),
                route=bindparam("b_route"),
                attempts=bindparam("b_attempts"),
                detail=bindparam("b_detail"),
                provider_ref=func.coalesce(bindparam("b_ref", type_=String()), _DELIVERIES.c.provider_ref),
                updated_at=now,
            ),
            [
                {
                    "b_id": i.claimed.id,
                    "b_status": i.status.value,
                    "b_route": i.route.value,
                    "b_attempts": i.claimed.attempts,
                    "b_detail": i.detail,
                    "b_ref": i.provider_ref,
                }
                for i in seen
            ],
        )


async def next_cursor(session: AsyncSession, count: int = 1) -> int:
    """Draw `count` feed cursors; returns the last. The UPDATE locks the counter row until this transaction
    commits, so cursors become visible in the order they were drawn: a reader past cursor c never misses
    a later-committed smaller one."""
    bump = (
        update(DeliveryCounterRow)
        .where(DeliveryCounterRow.name == FEED_COUNTER)
        .values(value=DeliveryCounterRow.value + count)
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
