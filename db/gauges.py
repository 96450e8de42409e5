"""What `/metrics` reports from the read model, on the API and the worker: open tickets by stage and card
(A22), and the notices the outbox has not delivered, by status (delivery/). Two grouped counts, each on an
index (`tickets.stage`; `notices` pending on `delivered_at`); the callers cache them for a few seconds."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import NoticeRow, TicketRow
from domain.vocabulary import OPEN_STAGES, Card

OPEN = sorted(s.value for s in OPEN_STAGES)
CARDS = [c.value for c in Card]
# The outbox's states other than delivered (delivery/outbox.py): waiting, given up on, held for linkage.
NOTICE_STATES = ["pending", "dead_lettered", "held"]


async def read_model_gauges(
    session_maker: async_sessionmaker[AsyncSession],
) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """Every (stage, card) of an open ticket and every outstanding notice status, at zero where none."""
    tickets = {(stage, card): 0 for stage in OPEN for card in CARDS}
    notices = dict.fromkeys(NOTICE_STATES, 0)
    async with session_maker() as session:
        by_stage = select(TicketRow.stage, TicketRow.card, func.count()).where(TicketRow.stage.in_(OPEN))
        for stage, card, n in await session.execute(by_stage.group_by(TicketRow.stage, TicketRow.card)):
            tickets[(stage, card)] = int(n)
        outstanding = select(NoticeRow.status, func.count()).where(NoticeRow.delivered_at.is_(None))
        for status, n in await session.execute(outstanding.group_by(NoticeRow.status)):
            notices[status] = int(n)
    return tickets, notices
