"""Loading a year's State Council holiday notice: store it, then tell every open ticket to replan."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.service import RPCError

from db.seed import load_calendar_year, open_ticket_numbers
from domain.calendar import YearCalendar
from workflows.ticket import TicketWorkflow, ticket_workflow_id

log = logging.getLogger("hotline.calendar")


async def load_year_and_replan(
    session_maker: async_sessionmaker[AsyncSession], client: Client, year: YearCalendar
) -> int:
    """Deadlines already planned for that year were provisional (weekends only); open tickets recompute
    the ones they have not yet passed. Returns how many tickets were told."""
    await load_calendar_year(session_maker, year)
    numbers = await open_ticket_numbers(session_maker)
    told = 0
    # Bounded fan-out: a thousand open tickets must not open a thousand RPCs at once.
    gate = asyncio.Semaphore(32)

    async def tell(ticket_no: str) -> bool:
        async with gate:
            try:
                await client.get_workflow_handle(ticket_workflow_id(ticket_no)).signal(
                    TicketWorkflow.calendar_changed
                )
                return True
            except RPCError as err:  # the ticket ended meanwhile: nothing to replan
                log.info("ticket %s not signalled: %s", ticket_no, err)
                return False

    for ok in await asyncio.gather(*(tell(n) for n in numbers)):
        told += ok
    return told
