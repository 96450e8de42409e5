"""The API's door to Temporal: start a ticket, query its state, run an update, designate a lead.

Every call carries `rpc_timeout` (settings.temporal_rpc_timeout_seconds) so a missing worker or server
becomes a 503 (api/errors.py) instead of a hanging request. The client is connected at start-up when
possible and otherwise on first use, so the API starts (and answers 503) while Temporal is down. Every
call passes the breaker first (api/temporal_breaker.py): once the server is known to be away, calls are
refused at once instead of each waiting out the timeout.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client, RPCTimeoutOrCancelledError, WithStartWorkflowOperation
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import temporal_unavailable
from api.temporal_breaker import TemporalBreaker
from config import Settings
from domain.action_result import Answer
from domain.commands import Command, Designation, Registration
from domain.ticket import TicketInput, TicketState
from domain.ticket_summary import static_details, static_summary
from domain.vocabulary import Stage
from workflows import search_attributes as sa
from workflows.coordination import CoordinationState, CoordinationWorkflow, coordination_workflow_id
from workflows.ticket import TicketWorkflow, ticket_workflow_id

log = logging.getLogger("hotline.api.temporal")

# A query sent before the workflow's first task completes is refused (FAILED_PRECONDITION); right after a
# registration that is a matter of milliseconds, so wait a little instead of answering 503.
_FIRST_TASK_RETRIES = 40
_FIRST_TASK_PAUSE = 0.05
# What an RPC answers when the server (not the workflow) is away.
_SERVER_AWAY = frozenset({RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED})


class TemporalGateway:
    def __init__(self, settings: Settings, client: Client | None = None) -> None:
        self._settings = settings
        self._client = client
        self._lock = asyncio.Lock()
        self.rpc_timeout = timedelta(seconds=settings.temporal_rpc_timeout_seconds)
        self._probe_timeout = timedelta(seconds=settings.temporal_probe_timeout_seconds)
        self.breaker = TemporalBreaker(settings.temporal_breaker_cooldown_seconds, self._probe)
        # Calls the breaker let through to Temporal (the tests count them while it is open).
        self.calls_sent = 0

    async def connect(self) -> Client:
        """The client, connecting first if start-up could not (pydantic data converter: worker.connect)."""
        await self.breaker.admit()
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await self._new_client(self.rpc_timeout)
                except (RuntimeError, OSError, TimeoutError, RPCError) as err:
                    log.warning("cannot connect to Temporal at %s: %r", self._settings.temporal_address, err)
                    self.breaker.open()
                    raise temporal_unavailable() from None
        return self._client

    async def _new_client(self, timeout: timedelta) -> Client:
        from worker import connect  # the worker module is the one place that knows how to connect

        return await asyncio.wait_for(connect(self._settings), timeout.total_seconds())

    async def _probe(self) -> bool:
        """Does the server answer, now and quickly? One GetSystemInfo without the SDK's retries."""
        try:
            if self._client is None:
                self._client = await self._new_client(self._probe_timeout)
            await self._client.workflow_service.get_system_info(
                GetSystemInfoRequest(), retry=False, timeout=self._probe_timeout
            )
        except Exception as err:  # noqa: BLE001 - any failure means "away"
            log.warning("Temporal probe failed: %r", err)
            return False
        return True

    # -- tickets ---------------------------------------------------------------------------------------
    async def start_ticket(self, registration: Registration) -> None:
        """Start the ticket's workflow; a second start of the same ticket (a replayed registration) is a
        no-op: the id is the ticket's, an existing run is kept and a closed one is never restarted."""
        client = await self.connect()
        attributes = TypedSearchAttributes(
            [
                SearchAttributePair(sa.STAGE, Stage.REGISTERED.value),
                SearchAttributePair(sa.CATEGORY, registration.category.value),
                SearchAttributePair(sa.CHANNEL, registration.channel.value),
            ]
        )
        try:
            async with self._in_time():
                await client.start_workflow(
                    TicketWorkflow.run,
                    TicketInput(registration=registration),
                    id=ticket_workflow_id(registration.ticket_no),
                    task_queue=self._settings.task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                    search_attributes=attributes,
                    # Issue 18: what Temporal UI's list and page say the ticket is, in clear (no identity).
                    static_summary=static_summary(registration),
                    static_details=static_details(registration),
                    rpc_timeout=self.rpc_timeout,
                )
        except WorkflowAlreadyStartedError:
            log.info("ticket %s already started", registration.ticket_no)

    async def ticket_state(self, ticket_no: str) -> TicketState | None:
        """The authoritative state from the workflow query; None when Temporal knows no such ticket."""
        handle = (await self.connect()).get_workflow_handle(ticket_workflow_id(ticket_no))
        for _ in range(_FIRST_TASK_RETRIES):
            try:
                async with self._in_time():
                    state: TicketState = await handle.query(
                        TicketWorkflow.state, rpc_timeout=self.rpc_timeout
                    )
                return state
            except RPCError as err:
                if err.status == RPCStatusCode.NOT_FOUND:
                    return None
                if err.status != RPCStatusCode.FAILED_PRECONDITION:
                    raise
            await asyncio.sleep(_FIRST_TASK_PAUSE)
        raise temporal_unavailable("the ticket has not started yet; retry")

    async def opened_state(self, ticket_no: str) -> TicketState | None:
        """The ticket as the workflow opened it (rule set captured, A11/A18 screening done, dispatched if
        asked), through the workflow's `opened` update, so the registration answers with what a read would
        show. One fixed update id: a replayed registration gets the same state back. None if the workflow
        has not opened it in time: the ticket exists all the same and opens when a worker gets to it."""
        handle = (await self.connect()).get_workflow_handle(ticket_workflow_id(ticket_no))
        try:
            async with self._in_time():
                answer: Answer = await handle.execute_update(
                    "opened", id="opened", result_type=Answer, rpc_timeout=self.rpc_timeout
                )
            return await self.state_after(ticket_no, answer)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:  # ended already, e.g. a restricted caller's (A11)
                return await self.ticket_state(ticket_no)
            log.warning("ticket %s: no opened state: %r", ticket_no, err)
        except (TimeoutError, RPCTimeoutOrCancelledError) as err:
            log.warning("ticket %s not opened within %s: %r", ticket_no, self.rpc_timeout, err)
        return None

    async def update_ticket(self, ticket_no: str, update: str, command: Command, update_id: str) -> Answer:
        """Run an update and wait for its result. `update_id` makes a retried POST one effect: Temporal
        answers a second update with the same id with the first one's outcome. The answer is the small
        ActionResult (a ticket opened since SLIM_RESULT) or the whole state (one opened before):
        `state_after` makes either the ticket as it stands after the action."""
        handle = (await self.connect()).get_workflow_handle(ticket_workflow_id(ticket_no))
        async with self._in_time():
            answer: Answer = await handle.execute_update(
                update, command, id=update_id, result_type=Answer, rpc_timeout=self.rpc_timeout
            )
        return answer

    async def state_after(self, ticket_no: str, answer: Answer) -> TicketState:
        """The ticket after an action, for the view the API answers with. An old ticket's answer is that
        state already. A small result is followed by the workflow's `state` query: the authoritative state,
        which holds the action's effect whatever path the projection took (a projection handed to an
        ordinary activity answers the action before the read model has it), and the timeline's recipients
        (`notify`), which the read model does not keep. A retried update (the same id) answers its first
        outcome; the query then shows the ticket as it stands, the action's effect included."""
        if isinstance(answer, TicketState):
            return answer
        state = await self.ticket_state(ticket_no)
        if state is None or state.revision < answer.revision:  # never expected: the workflow answered it
            raise temporal_unavailable("the ticket's state after the action is not readable; retry")
        return state

    async def update_reopening(
        self, state: TicketState, update: str, command: Command, update_id: str
    ) -> Answer:
        """A21: an update that an archived ticket still takes (a supplementary answer). One update-with-start:
        a running ticket takes it as any update; a closed one (archived, its workflow completed) is started
        again from `state`, reopened for the supplement, and the update runs in that run's first task, so
        no other action can come between the reopening and the application."""
        client = await self.connect()
        start = WithStartWorkflowOperation(
            TicketWorkflow.run,
            TicketInput(registration=state.registration, carried=state, reopened_for_supplement=True),
            id=ticket_workflow_id(state.ticket_no),
            task_queue=self._settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            static_summary=f"A21 补充答复: {state.ticket_no}",
        )
        async with self._in_time():
            result: Answer = await client.execute_update_with_start_workflow(
                update,
                command,
                start_workflow_operation=start,
                id=update_id,
                result_type=Answer,
                rpc_timeout=self.rpc_timeout,
            )
        return result

    async def designate(
        self, ticket_no: str, n: int, command: Designation, update_id: str
    ) -> CoordinationState:
        """A14.5: designate the lead in the ticket's n-th coordination (a child workflow)."""
        child_id = coordination_workflow_id(ticket_workflow_id(ticket_no), n)
        handle = (await self.connect()).get_workflow_handle(child_id)
        async with self._in_time():
            result: CoordinationState = await handle.execute_update(
                CoordinationWorkflow.designate, command, id=update_id, rpc_timeout=self.rpc_timeout
            )
        return result

    @asynccontextmanager
    async def _in_time(self) -> AsyncIterator[None]:
        """The whole call within the timeout: the SDK repeats an update's RPC while the server says "not yet"
        (a stuck workflow task, no worker), so `rpc_timeout` alone does not bound it. TimeoutError -> 503;
        the update itself is not cancelled, and a retry with the same Idempotency-Key finds its outcome.
        A failure that looks like the server away is reported to the breaker, which probes."""
        self.calls_sent += 1
        try:
            async with asyncio.timeout(self.rpc_timeout.total_seconds()):
                yield
        except (TimeoutError, RPCTimeoutOrCancelledError):
            await self.breaker.failed()
            raise
        except RPCError as err:
            if err.status in _SERVER_AWAY:
                await self.breaker.failed()
            raise

    async def healthy(self) -> bool:
        try:
            client = await self.connect()
            async with self._in_time():
                await client.workflow_service.get_system_info(
                    GetSystemInfoRequest(), timeout=self.rpc_timeout
                )
        except Exception as err:  # noqa: BLE001 - any failure means "not healthy", reported as such
            log.warning("Temporal health check failed: %r", err)
            return False
        return True
