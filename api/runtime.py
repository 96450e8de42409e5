"""What the lifespan holds for every request: settings, the Temporal gateway, the session maker, a clock."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth import CredentialCache
from api.temporal import TemporalGateway
from config import Settings
from db.models import TicketRow, TimelineEventRow
from domain.action_result import Answer
from domain.ticket import TicketState, TimelineEvent

log = logging.getLogger("hotline.api.runtime")

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
        return await self.projected_state(ticket_no)

    async def state_after(self, ticket_no: str, answer: Answer) -> TicketState:
        """The ticket after an action, for the view the API answers with (issue 17). A ticket opened before
        the slim result answered with its whole state. A small result is read back from the read model,
        which the action's projection wrote in the same workflow task that answered it: at the answer's
        revision or later, every event with its recipients. Where it is not — the projection handed to an
        ordinary activity in a database outage (F3), events projected before the recipients were kept —
        the workflow's `state` query answers instead (api/temporal.py `state_after`)."""
        if isinstance(answer, TicketState):
            return answer
        try:
            projected = await self.projected_state(ticket_no, at_least=answer.revision)
        except (SQLAlchemyError, OSError) as err:  # the database away: the workflow still knows
            log.warning("ticket %s: read model unreadable after an action: %r", ticket_no, err)
            projected = None
        if projected is not None:
            return projected
        return await self.temporal.state_after(ticket_no, answer)

    async def projected_state(self, ticket_no: str, at_least: int | None = None) -> TicketState | None:
        """The ticket as last projected, its timeline reassembled from its own table; None if there is no
        row, or (`at_least`) it is older than that revision or lacks an event's recipients."""
        async with self.session_maker() as session:
            row = (
                await session.execute(
                    select(TicketRow.state, TicketRow.revision).where(TicketRow.ticket_no == ticket_no)
                )
            ).one_or_none()
            if row is None or (at_least is not None and row.revision < at_least):
                return None
            events = (
                await session.scalars(
                    select(TimelineEventRow)
                    .where(TimelineEventRow.ticket_no == ticket_no)
                    .order_by(TimelineEventRow.seq)
                )
            ).all()
        if at_least is not None and any(e.notify is None for e in events):
            return None
        timeline = [
            TimelineEvent(
                id=e.id,
                seq=e.seq,
                at=e.at,
                kind=e.kind,
                actor=e.actor,
                rule=e.rule,
                data=e.data,
                notify=e.notify or [],
            )
            for e in events
        ]
        return TicketState.model_validate(row.state).model_copy(update={"timeline": timeline})
