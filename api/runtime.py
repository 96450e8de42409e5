"""What the lifespan holds for every request: settings, the Temporal gateway, the session maker, a clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth import CredentialCache
from api.temporal import TemporalGateway
from config import Settings
from db.models import TicketRow, TimelineEventRow
from domain.ticket import TicketState, TimelineEvent

# The API's "now": the wall clock in production; tests inject the time-skipping server's clock so that
# received_at, upload times and restrictions line up with the workflows' time.
Clock = Callable[[], Awaitable[datetime]]


async def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    temporal: TemporalGateway
    session_maker: async_sessionmaker[AsyncSession]
    clock: Clock = wall_clock
    # Who a bearer token stands for, kept for HOTLINE_CREDENTIAL_CACHE_SECONDS (api/auth.py); the app's
    # lifespan sizes it from the settings, a Runtime built elsewhere looks every token up.
    callers: CredentialCache = field(default_factory=lambda: CredentialCache(0))

    async def ticket_state(self, ticket_no: str) -> TicketState | None:
        """The workflow's own state (authoritative); for a ticket whose history Temporal no longer keeps
        (archived past retention) the last projection in the read model."""
        state = await self.temporal.ticket_state(ticket_no)
        if state is not None:
            return state
        async with self.session_maker() as session:
            stored = await session.scalar(select(TicketRow.state).where(TicketRow.ticket_no == ticket_no))
            if stored is None:
                return None
            # The projected state keeps no timeline: it is reassembled from its own table.
            events = (
                await session.scalars(
                    select(TimelineEventRow)
                    .where(TimelineEventRow.ticket_no == ticket_no)
                    .order_by(TimelineEventRow.seq)
                )
            ).all()
        timeline = [
            TimelineEvent(id=e.id, seq=e.seq, at=e.at, kind=e.kind, actor=e.actor, rule=e.rule, data=e.data)
            for e in events
        ]
        return TicketState.model_validate(stored).model_copy(update={"timeline": timeline})
