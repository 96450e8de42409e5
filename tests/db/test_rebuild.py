"""Issue 3, must-show 4: the rebuild command restores a deleted read model exactly (STYLE pattern 7).

On the local dev server (listing workflows needs real visibility; the time-skipping server has none) and on
SQLite and PostgreSQL (tests/db/conftest.py `sessions`, an isolated schema on PostgreSQL): tickets in six
stages — one registered only, one dispatched to a lead and a co-unit, one waiting for its extension review,
one not accepted (its workflow has closed), one concluded and rated, one concluded by a termination
notice (A18) — are projected by the workflows; their rows are kept, deleted, rebuilt and compared.

Compared: every column of tickets, ticket_units, running_limits, timeline_events, figure_events,
notices and terminated_matters, except
`tickets.updated_at` (the wall-clock time of the write).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from config import get_settings
from db.figure_models import FigureEventRow, RunningLimitRow
from db.models import (
    NoticeRow,
    TerminatedMatterRow,
    TicketRow,
    TicketUnitRow,
    TimelineEventRow,
)
from db.seed import seed_reference_data
from domain.commands import ApplyExtension, FileTerminationNotice, NotAccept, Rate, Review, SignFor
from domain.ticket import TicketState
from domain.vocabulary import Category, NotAcceptedReason
from operations.__main__ import main as operations_cli
from operations.rebuild import RebuildIncomplete, rebuild_read_model, ticket_workflows
from tests.db.support import Sessions, snapshot
from tests.driver import OPERATOR, Hotline, unit
from tests.support import Backend
from worker import build_worker
from workflows.ticket import TicketWorkflow

pytestmark = pytest.mark.devserver

READ_MODEL = (
    NoticeRow,
    TimelineEventRow,
    TerminatedMatterRow,
    TicketUnitRow,
    RunningLimitRow,
    FigureEventRow,
    TicketRow,
)  # children first (FKs)
SECONDS = 20.0


async def eventually(check: Any, what: str) -> None:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + SECONDS
    while not await check():
        assert loop.time() < give_up, what
        await asyncio.sleep(0.1)


async def projected(sessions: Sessions, state: TicketState) -> bool:
    """The read model holds this state: the ticket row at its revision, and every event."""
    async with sessions() as session:
        revision = await session.scalar(
            select(TicketRow.revision).where(TicketRow.ticket_no == state.ticket_no)
        )
        events = await session.scalar(
            select(func.count()).where(TimelineEventRow.ticket_no == state.ticket_no)
        )
    return revision == state.revision and events == len(state.timeline)


async def tickets_in_six_stages(hotline: Hotline) -> list[WorkflowHandle[Any, Any]]:
    registered = await hotline.register(dispatch_to=None)
    dispatched = await hotline.register(dispatch_to="U1", co_units=["U2"])

    extension = await hotline.register(dispatch_to="U1")
    await hotline.act(extension, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    await hotline.act(
        extension,
        TicketWorkflow.apply_extension,
        ApplyExtension(actor=unit("U1"), reason="需协调多部门", requester_told=True),
    )

    refused = await hotline.register(Category.HELP, dispatch_to=None)
    await hotline.act(
        refused,
        TicketWorkflow.not_accept,
        NotAccept(actor=OPERATOR, reason=NotAcceptedReason.PETITION_CHANNEL, basis="已进入信访程序"),
    )

    concluded = await hotline.register(dispatch_to="U1", co_units=["U2"])
    state = await hotline.act(concluded, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    await hotline.inform_requester(concluded)
    await hotline.act(concluded, TicketWorkflow.apply_closure, hotline.closure(state))
    await hotline.act(concluded, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))
    await hotline.act(concluded, TicketWorkflow.rate, Rate(acceptance=["satisfied"], handling=["satisfied"]))

    terminated = await hotline.register(dispatch_to="U1", repeat_of=state.ticket_no)
    await hotline.act(terminated, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    await hotline.act(
        terminated,
        TicketWorkflow.file_termination_notice,
        FileTerminationNotice(
            actor=unit("U1"), notice_ref="韶武城终字〔2026〕12号", served_at=await hotline.now()
        ),
    )
    # A18: the notice is filed with 12345, which confirms it.
    await hotline.act(terminated, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))
    return [registered, dispatched, extension, refused, concluded, terminated]


async def delete_read_model(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        for table in READ_MODEL:
            await session.execute(delete(table))


async def test_the_rebuild_restores_a_deleted_read_model_exactly(
    dev_env: WorkflowEnvironment, sessions: Sessions, backend: Backend
) -> None:
    await seed_reference_data(sessions)
    task_queue = f"rebuild-{uuid.uuid4()}"
    query = ticket_workflows(task_queue)
    async with build_worker(dev_env.client, sessions, task_queue):
        hotline = Hotline(dev_env, task_queue, sessions)
        handles = await tickets_in_six_stages(hotline)
        states = [await hotline.state(h) for h in handles]
        assert [s.stage.value for s in states] == [
            "registered",
            "dispatched",
            "extension_review",
            "not_accepted",
            "concluded",
            "concluded",
        ]
        # The not-accepted ticket's workflow has ended: its state comes from its history, replayed.
        assert (await handles[3].describe()).status == WorkflowExecutionStatus.COMPLETED
        for state in states:
            await eventually(lambda s=state: projected(sessions, s), f"{state.ticket_no} never projected")
        await eventually(lambda: _count(dev_env, query, len(handles)), "visibility never listed every ticket")
        before = await snapshot(sessions)
        assert len(before["terminated"]) == 1 and before["notices"], "the world lacks rows to rebuild"
        assert before["limits"], "no open ticket has a running limit to rebuild"
        assert any(f["kind"] == "rated" for f in before["figures"]), "no rating among the figure events"

        await delete_read_model(sessions)
        assert await snapshot(sessions) == {
            "tickets": [],
            "units": [],
            "limits": [],
            "figures": [],
            "events": [],
            "notices": [],
            "terminated": [],
        }
        assert await rebuild_read_model(dev_env.client, sessions, query=query) == len(handles)
        assert await snapshot(sessions) == before

        # Over an intact read model the rebuild changes nothing.
        assert await rebuild_read_model(dev_env.client, sessions, query=query) == len(handles)
        assert await snapshot(sessions) == before

        if backend == "sqlite":
            # The command an operator types, against the same server and database (a file on SQLite).
            await delete_read_model(sessions)
            assert await _cli(dev_env, sessions, task_queue) == 0
            assert await snapshot(sessions) == before

    # No worker answers the queries now: the rebuild says which tickets it could not restore.
    with pytest.raises(RebuildIncomplete) as incomplete:
        await rebuild_read_model(dev_env.client, sessions, query=query, query_timeout=timedelta(seconds=1))
    assert (incomplete.value.projected, len(incomplete.value.failed)) == (0, len(handles))


async def _count(env: WorkflowEnvironment, query: str, expected: int) -> bool:
    return (await env.client.count_workflows(query)).count == expected


async def _cli(env: WorkflowEnvironment, sessions: Sessions, task_queue: str) -> int:
    engine = sessions.kw["bind"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOTLINE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
        patch.setenv("HOTLINE_TEMPORAL_ADDRESS", env.client.service_client.config.target_host)
        patch.setenv("HOTLINE_TASK_QUEUE", task_queue)
        get_settings.cache_clear()
        try:
            # The CLI runs its own event loop: call it in a thread, as a shell would in another process.
            return await asyncio.to_thread(operations_cli, ["rebuild-read-model"])
        finally:
            get_settings.cache_clear()
