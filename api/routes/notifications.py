"""Notifications: a unit's feed of its notices, the dead letters, and each ticket's deliveries.

A unit without a webhook follows `GET /notifications` with its clerk's credential: its own notices, oldest
first, cursor-paged (`after`), long-polled (`wait`). Reading past a cursor acknowledges the notices up to
it. Operators list the dead letters (notices not delivered within the limit), send one again once its
recipient is fixed, and see every delivery of a ticket with its status (sent, acknowledged, failed …).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel
from sqlalchemy import select, update

from api.auth import Caller
from api.deps import CallerDep, NowDep, OperatorDep, RuntimeDep, SessionDep, TicketNoDep
from api.errors import ApiError, forbidden, responses
from db.delivery_models import DeliveryRow
from delivery import outbox
from domain.delivery import DeliveryStatus, Route

router = APIRouter(prefix="/notifications", tags=["notifications"])

MAX_WAIT_SECONDS = 10.0
_POLL_SECONDS = 0.25


class Delivery(BaseModel):
    delivery_id: str  # the notice id: the same on every retry, sent as `webhook-id` / the SMS out-id
    ticket_no: str
    event_id: str
    seq: int
    kind: str
    recipient: str
    route: str
    status: DeliveryStatus
    attempts: int
    detail: str
    at: datetime  # the event's time
    updated_at: datetime
    cursor: int | None = None

    @classmethod
    def of(cls, row: DeliveryRow) -> Delivery:
        return cls(
            delivery_id=row.id,
            ticket_no=row.ticket_no,
            event_id=row.event_id,
            seq=row.seq,
            kind=row.kind,
            recipient=row.recipient,
            route=row.route,
            status=DeliveryStatus(row.status),
            attempts=row.attempts,
            detail=row.detail,
            at=row.created_at,
            updated_at=row.updated_at,
            cursor=row.feed_cursor,
        )


class FeedPage(BaseModel):
    items: list[Delivery]
    # Pass as `after` for the next page; equal to `after` when nothing new came.
    next_cursor: int


def _feed_of(caller: Caller, unit_id: str | None) -> str:
    """A unit's clerk reads its own unit's feed; an operator may read any unit's (without acknowledging)."""
    if caller.is_unit and caller.unit_id:
        if unit_id not in (None, caller.unit_id):
            raise forbidden("a unit reads its own notifications")
        return f"unit:{caller.unit_id}"
    if caller.is_operator:
        if not unit_id:
            raise ApiError(422, "UNIT_REQUIRED", "name the unit whose feed to read (`unit_id`)")
        return f"unit:{unit_id}"
    raise forbidden("only a unit's staff and operators read notifications")


@router.get(
    "",
    response_model=FeedPage,
    responses=responses(401, 403, 422, 503),
    summary="My unit's notifications (unit staff)",
    description=(
        "Every notice to the caller's unit, oldest first, whether or not the unit also has a webhook: "
        "`after` a cursor (0 at first), at most `limit`; with `wait` the call holds up to that many "
        "seconds (≤ 10) until something arrives. Reading with `after=c` acknowledges the feed's notices "
        "up to c. Deduplicate on `delivery_id`. Operators pass `unit_id` to read a unit's feed."
    ),
)
async def feed(
    caller: CallerDep,
    runtime: RuntimeDep,
    after: Annotated[
        int, Query(ge=0, le=2**63 - 1)
    ] = 0,  # a cursor fits a 64-bit integer (SQLite, PostgreSQL)
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 0,
    unit_id: Annotated[str | None, Query(max_length=64)] = None,
) -> FeedPage:
    recipient = _feed_of(caller, unit_id)
    if after and caller.is_unit:
        await _acknowledge(runtime, recipient, after, await runtime.clock())
    query = (
        select(DeliveryRow)
        .where(DeliveryRow.recipient == recipient, DeliveryRow.feed_cursor > after)
        .order_by(DeliveryRow.feed_cursor)
        .limit(limit)
    )
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        async with runtime.session_maker() as session:
            rows = list((await session.scalars(query)).all())
        if rows or asyncio.get_running_loop().time() >= deadline:
            break
        await asyncio.sleep(_POLL_SECONDS)
    items = [Delivery.of(r) for r in rows]
    last = items[-1].cursor if items else None
    return FeedPage(items=items, next_cursor=last if last is not None else after)


async def _acknowledge(runtime: RuntimeDep, recipient: str, upto: int, now: datetime) -> None:
    async with runtime.session_maker.begin() as session:
        await session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.recipient == recipient,
                DeliveryRow.route == Route.FEED.value,
                DeliveryRow.status == DeliveryStatus.SENT.value,
                DeliveryRow.feed_cursor <= upto,
            )
            .values(
                status=DeliveryStatus.ACKNOWLEDGED.value,
                detail="read from the feed",
                updated_at=now,
                reported=False,
            )
        )


@router.get(
    "/dead-letters",
    response_model=list[Delivery],
    responses=responses(401, 403, 422, 503),
    summary="Notices that could not be delivered (operator)",
    description="Every notice not delivered within HOTLINE_DELIVERY_DEAD_LETTER_AFTER_SECONDS of its event, "
    "oldest first, with the last error. They stay in the outbox until sent again.",
)
async def dead_letters(
    caller: OperatorDep, session: SessionDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[Delivery]:
    rows = await session.scalars(
        select(DeliveryRow)
        .where(DeliveryRow.status == DeliveryStatus.DEAD_LETTERED.value)
        .order_by(DeliveryRow.created_at, DeliveryRow.seq)
        .limit(limit)
    )
    return [Delivery.of(r) for r in rows]


@router.post(
    "/dead-letters/{delivery_id}/retry",
    response_model=Delivery,
    responses=responses(401, 403, 404, 422, 503),
    summary="Send a dead letter again (operator)",
    description="Once its recipient is reachable again: the notice goes again, with the same delivery id, "
    "and a fresh limit.",
)
async def retry_dead_letter(
    delivery_id: Annotated[str, Path(min_length=1, max_length=255)],
    caller: OperatorDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> Delivery:
    after = timedelta(seconds=runtime.settings.delivery_dead_letter_after_seconds)
    if not await outbox.retry_dead_letter(runtime.session_maker, delivery_id, now, after):
        raise ApiError(404, "NOT_A_DEAD_LETTER", "no dead letter with this delivery id")
    async with runtime.session_maker() as session:
        row = await session.get(DeliveryRow, delivery_id)
    assert row is not None
    return Delivery.of(row)


@router.get(
    "/tickets/{no}",
    response_model=list[Delivery],
    responses=responses(401, 403, 422, 503),
    summary="A ticket's deliveries (operator)",
    description="Each notice of the ticket and what became of it: sent, acknowledged, failed (retrying), "
    "dead-lettered, held (an emergency line's, A23) or no channel.",
)
async def ticket_deliveries(no: TicketNoDep, caller: OperatorDep, session: SessionDep) -> list[Delivery]:
    rows = await session.scalars(
        select(DeliveryRow)
        .where(DeliveryRow.ticket_no == no)
        .order_by(DeliveryRow.seq, DeliveryRow.recipient)
    )
    return [Delivery.of(r) for r in rows]
