"""Rebuilding the SQL read model from the workflows (STYLE pattern 7): `python -m operations rebuild-read-model`.

Every ticket workflow is found through Temporal visibility (fine for a rare admin job; the API's lists never
use it), its `state` queried (a closed workflow answers too: a worker replays it, so one must be polling
the task queue) and projected with the `project_ticket` activity's own code. Projection is idempotent, so
rebuilding over a read model that is intact changes nothing but `tickets.updated_at`; over a deleted one,
it writes the same rows again.

What the workflows cannot give back: a notice's `delivered_at` (the sender's mark; a rebuilt notice is
undelivered), and tickets whose history Temporal no longer keeps (past retention): their rows are kept,
never deleted, by a rebuild.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import (
    Client,
    RPCTimeoutOrCancelledError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.service import RPCError

from activities.hotline import HotlineActivities
from domain.ticket import TicketState
from workflows.ticket import TicketWorkflow

log = logging.getLogger("hotline.rebuild")

TICKET_WORKFLOWS = 'WorkflowType="TicketWorkflow"'
# Queries at once: a city's tickets must not open thousands of queries (and replays) together.
_CONCURRENCY = 16
QUERY_TIMEOUT = timedelta(seconds=30)
_NOT_ANSWERED = (
    RPCError,
    RPCTimeoutOrCancelledError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    TimeoutError,
)


class RebuildIncomplete(Exception):
    """Some tickets could not be queried; every other ticket was projected."""

    def __init__(self, projected: int, failed: dict[str, str]) -> None:
        super().__init__(
            f"{projected} tickets projected; {len(failed)} could not be queried: {sorted(failed)}"
        )
        self.projected, self.failed = projected, failed


def ticket_workflows(task_queue: str | None = None) -> str:
    """The visibility query for ticket workflows, optionally those of one task queue (its worker answers
    their queries)."""
    return TICKET_WORKFLOWS + (f' AND TaskQueue="{task_queue}"' if task_queue else "")


async def rebuild_read_model(
    client: Client,
    session_maker: async_sessionmaker[AsyncSession],
    *,
    query: str = TICKET_WORKFLOWS,
    query_timeout: timedelta = QUERY_TIMEOUT,
) -> int:
    """Project the state of every ticket workflow `query` finds; returns how many tickets were projected.

    Raises RebuildIncomplete, after projecting all the others, when some ticket could not be queried.
    """
    activities = HotlineActivities(session_maker)
    # Visibility lists every run of a ticket that continued as new; the latest run holds its state.
    workflow_ids = list(dict.fromkeys([execution.id async for execution in client.list_workflows(query)]))
    gate = asyncio.Semaphore(_CONCURRENCY)
    failed: dict[str, str] = {}

    async def rebuild(workflow_id: str) -> bool:
        async with gate:
            try:
                state: TicketState = await client.get_workflow_handle(workflow_id).query(
                    TicketWorkflow.state, rpc_timeout=query_timeout
                )
            except _NOT_ANSWERED as err:
                log.warning("ticket workflow %s not queried: %r", workflow_id, err)
                failed[workflow_id] = str(err)
                return False
            # The activity's own method: the rebuilt rows are the ones the workflow's projection writes.
            await activities.project_ticket(state)
            return True

    projected = sum(await asyncio.gather(*(rebuild(wf) for wf in workflow_ids)))
    if failed:
        raise RebuildIncomplete(projected, failed)
    return projected
