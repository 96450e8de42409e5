"""A ticket whose workflow was ended outside the service is shown as the read model marked it.

The workflow's query still answers after a terminate (Temporal replays the history up to it), with the
stage the ticket had then; the reconciler (activities/reconcile.py) has marked the row, and a read shows
that instead: archived, with how and when it ended.
"""

from __future__ import annotations

from sqlalchemy import select

from api.runtime import Runtime
from api.schemas import TicketView
from db.models import TicketRow
from domain.vocabulary import Stage


async def as_ended_outside(runtime: Runtime, view: TicketView) -> TicketView:
    async with runtime.session_maker() as session:
        ended = (
            await session.execute(
                select(TicketRow.ended_outside, TicketRow.ended_outside_at).where(
                    TicketRow.ticket_no == view.ticket_no
                )
            )
        ).one_or_none()
    if ended is None or ended.ended_outside is None:
        return view
    return view.model_copy(
        update={
            "stage": Stage.ARCHIVED,
            "ended_outside": ended.ended_outside,
            "ended_outside_at": ended.ended_outside_at,
        }
    )
