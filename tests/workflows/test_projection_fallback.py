"""The projection runs as a local activity, once; when the database does not answer it becomes an ordinary
activity retried until it does (workflows/effects.py LOCAL_PROJECTION_TIMEOUT). Meanwhile the ticket keeps
acting: an action is answered although its projection failed, and the read model catches up afterwards."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.worker import Worker

from activities.hotline import HotlineActivities
from activities.units import UnitDirectory
from db.models import TicketRow
from domain.commands import SignFor
from domain.ticket import ActivityNames, TicketState
from domain.vocabulary import Stage
from tests.driver import Hotline, unit
from worker import WORKFLOWS
from workflows.ticket import TicketWorkflow


class DatabaseAway(HotlineActivities):
    """Every projection fails while `away` is set, as a database outage would make it."""

    away = True
    failures = 0

    @activity.defn(name=ActivityNames.PROJECT_TICKET)
    async def project_ticket(self, state: TicketState) -> None:
        if self.away:
            self.failures += 1
            raise ConnectionRefusedError("the application database does not answer")
        await super().project_ticket(state)


async def _row(hotline: Hotline, ticket_no: str) -> TicketRow | None:
    async with hotline.session_maker() as session:
        row: TicketRow | None = await session.scalar(
            select(TicketRow).where(TicketRow.ticket_no == ticket_no)
        )
        return row


async def test_an_action_is_answered_while_its_projection_waits_for_the_database(hotline: Hotline) -> None:
    queue = f"db-away-{uuid.uuid4()}"
    activities = DatabaseAway(hotline.session_maker)
    flaky = Hotline(hotline.env, queue, hotline.session_maker)
    async with Worker(
        hotline.client,
        task_queue=queue,
        workflows=list(WORKFLOWS),
        activities=[
            activities.open_ticket,
            activities.plan_deadlines,
            activities.project_ticket,
            UnitDirectory(hotline.session_maker).describe_units,
        ],
    ):
        handle = await flaky.register()
        signed = await asyncio.wait_for(
            flaky.act(handle, TicketWorkflow.sign_for, SignFor(actor=unit("U1"))), 20
        )
        assert signed.stage == Stage.HANDLING  # answered: the action did not wait for the database
        assert activities.failures >= 1
        assert await _row(hotline, signed.ticket_no) is None  # nothing projected yet

        activities.away = False
        for _ in range(200):  # the ordinary activity's next retry (1 s, then backing off) writes the row
            row = await _row(hotline, signed.ticket_no)
            if row is not None and row.revision == (await flaky.state(handle)).revision:
                break
            await hotline.env.sleep(1)
        else:
            raise AssertionError("the read model never caught up")
        assert row.stage == Stage.HANDLING.value

    kinds = [e.event_type for e in (await handle.fetch_history()).events]
    # A local attempt that failed (a marker), then the ordinary activity that outlasted the outage.
    assert EventType.EVENT_TYPE_MARKER_RECORDED in kinds
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED in kinds
