"""Tickets whose workflow was ended behind the service's back: found in Temporal, marked in the read model.

A ticket ends through the service (its workflow returns: archived, not accepted). Terminated from Temporal
UI or the CLI, or failed, timed out or cancelled, its workflow projects nothing more, and the read model
would go on claiming the ticket is open, in every list and report. The worker asks visibility now and then
for ticket workflows closed in one of those ways, checks each still unmarked one against its latest run (a
reset starts a new run under the same id), and marks its row: stage `archived` (no action reaches it) and
`ended_outside` = how it ended, with when. The office finds them with `GET /tickets?ended_outside=true`.

Visibility is rate-limited (STYLE pattern 7), so this is one list per pass, and one describe per ticket not
yet marked; a pass that fails is logged and retried at the next.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowExecutionStatus

from db.models import TicketRow
from domain.vocabulary import Stage

log = logging.getLogger("hotline.reconcile")

TICKET_WORKFLOW_PREFIX = "ticket-"  # workflows/ticket.py ticket_workflow_id
OUTSIDE_ENDS = {
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
    WorkflowExecutionStatus.CANCELED: "canceled",
}
ENDED_OUTSIDE_QUERY = "WorkflowType = 'TicketWorkflow' AND ({})".format(
    " OR ".join(f"ExecutionStatus = '{s}'" for s in ("Terminated", "Failed", "TimedOut", "Canceled"))
)
_TICKETS = cast(Table, TicketRow.__table__)


async def reconcile_ended_outside(
    client: Client, session_maker: async_sessionmaker[AsyncSession]
) -> list[str]:
    """One pass: mark every ticket whose latest run ended outside the service. Returns those marked now."""
    closed = {
        execution.id.removeprefix(TICKET_WORKFLOW_PREFIX)
        async for execution in client.list_workflows(ENDED_OUTSIDE_QUERY)
        if execution.id.startswith(TICKET_WORKFLOW_PREFIX)
    }
    if not closed:
        return []
    async with session_maker() as session:
        unmarked = (
            await session.scalars(
                select(TicketRow.ticket_no).where(
                    TicketRow.ticket_no.in_(sorted(closed)), TicketRow.ended_outside.is_(None)
                )
            )
        ).all()
    marked = []
    for ticket_no in unmarked:
        description = await client.get_workflow_handle(TICKET_WORKFLOW_PREFIX + ticket_no).describe()
        how = OUTSIDE_ENDS.get(description.status) if description.status else None
        if how is None:
            continue  # the latest run is alive again (a reset) or ended by itself
        if await _mark(session_maker, ticket_no, how, description.close_time or datetime.now(UTC)):
            log.warning("ticket %s: its workflow was %s outside the service; marked archived", ticket_no, how)
            marked.append(ticket_no)
    return marked


async def _mark(
    session_maker: async_sessionmaker[AsyncSession], ticket_no: str, how: str, at: datetime
) -> bool:
    async with session_maker.begin() as session:
        result = await session.execute(
            update(_TICKETS)
            .where(_TICKETS.c.ticket_no == ticket_no, _TICKETS.c.ended_outside.is_(None))
            .values(
                stage=Stage.ARCHIVED.value,
                ended_outside=how,
                ended_outside_at=at,
                updated_at=datetime.now(UTC),
            )
        )
    return bool(getattr(result, "rowcount", 0))


async def reconcile_forever(
    client: Client, session_maker: async_sessionmaker[AsyncSession], interval_seconds: float
) -> None:
    """The worker's loop: a pass at start-up, then one every `interval_seconds`."""
    while True:
        try:
            await reconcile_ended_outside(client, session_maker)
        except Exception as err:  # noqa: BLE001 - Temporal or the database away: the next pass retries
            log.warning("reconciling ended tickets failed; next pass in %.0fs: %r", interval_seconds, err)
        await asyncio.sleep(interval_seconds)
