"""Typed search attributes on the local dev server (STYLE pattern 5, the dev-server tier).

Operators find tickets in Temporal UI by lead unit, co-handling unit, stage, card (A22) and answer
deadline (A17). Five tickets in different stages are started on a real server with real visibility, then
found by the same queries an operator types. Visibility is eventually consistent: each query is polled
until it returns exactly the expected tickets, for at most 20 seconds.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from db.seed import load_rule_set, seed_reference_data
from db.session import create_schema, make_engine, make_session_maker
from domain.commands import SignFor
from domain.rulesets import CITY, RuleSet, hours
from domain.ticket import TicketState
from domain.vocabulary import Card, Category
from tests.conftest import DEV_SERVER
from tests.driver import Hotline, unit
from worker import build_worker
from workflows import search_attributes as sa
from workflows.converter import demo_data_converter
from workflows.ticket import TicketWorkflow, ticket_workflow_id

pytestmark = pytest.mark.devserver

VISIBILITY_SECONDS = 20.0
# A rule set whose sign-for limit (3.6 seconds) passes while the test runs: that ticket turns yellow (A22).
FAST_SIGN_FOR = RuleSet.model_validate(
    CITY.model_dump()
    | {
        "id": "devserver-fast-sign-for",
        "title": "sign for within 3.6 seconds (test)",
        "sign_for": hours(0.001),
    }
)

U1_DISPATCHED = ticket_workflow_id("SA-U1-DISPATCHED")  # consultation (A17.1: 2 WD), not yet signed for
U1_HANDLING = ticket_workflow_id("SA-U1-HANDLING")  # complaint (A17.2: 10 WD), signed for
U2_HANDLING = ticket_workflow_id("SA-U2-HANDLING")  # consultation, signed for, U9 assisting
U2_YELLOW = ticket_workflow_id("SA-U2-YELLOW")  # complaint, U9 assisting, its sign-for limit passes
UNDISPATCHED = ticket_workflow_id("SA-UNDISPATCHED")  # registered, no unit yet


@pytest.fixture(scope="module")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(DEV_SERVER),
        data_converter=demo_data_converter(),
        search_attributes=sa.ALL,
    )
    # What every worker does at start-up; idempotent on a server that already has them (STYLE pitfalls).
    await sa.ensure_registered(env.client)
    yield env
    await env.shutdown()


@pytest.fixture(scope="module")
async def module_session_maker(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    path: Path = tmp_path_factory.mktemp("devserver") / "hotline.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await create_schema(engine)
    maker = make_session_maker(engine)
    await seed_reference_data(maker)
    await load_rule_set(maker, FAST_SIGN_FOR)
    yield maker
    await engine.dispose()


@pytest.fixture(scope="module")
async def tickets(
    dev_env: WorkflowEnvironment, module_session_maker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[dict[str, TicketState]]:
    """The five tickets, by workflow id, as their state stood once registered (and signed for)."""
    task_queue = f"devserver-{uuid.uuid4()}"
    async with build_worker(dev_env.client, module_session_maker, task_queue):
        hotline = Hotline(dev_env, task_queue, module_session_maker)
        consultation, complaint = Category.CONSULTATION, Category.COMPLAINT
        handles = {
            U1_DISPATCHED: await hotline.register(
                consultation, dispatch_to="U1", ticket_no="SA-U1-DISPATCHED"
            ),
            U1_HANDLING: await hotline.register(complaint, dispatch_to="U1", ticket_no="SA-U1-HANDLING"),
            U2_HANDLING: await hotline.register(
                consultation, dispatch_to="U2", co_units=["U9"], ticket_no="SA-U2-HANDLING"
            ),
            U2_YELLOW: await hotline.register(
                complaint,
                dispatch_to="U2",
                co_units=["U9"],
                rule_set_id=FAST_SIGN_FOR.id,
                ticket_no="SA-U2-YELLOW",
            ),
            UNDISPATCHED: await hotline.register(complaint, dispatch_to=None, ticket_no="SA-UNDISPATCHED"),
        }
        await hotline.act(handles[U1_HANDLING], TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
        await hotline.act(handles[U2_HANDLING], TicketWorkflow.sign_for, SignFor(actor=unit("U2")))
        yield {wf_id: await hotline.state(h) for wf_id, h in handles.items()}


def rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def found(client: Client, query: str) -> set[str]:
    return {execution.id async for execution in client.list_workflows(query)}


async def eventually_found(client: Client, query: str, expected: set[str]) -> None:
    """Poll visibility until the query returns exactly `expected` (bounded: it is eventually consistent)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + VISIBILITY_SECONDS
    while (ids := await found(client, query)) != expected and loop.time() < give_up:
        await asyncio.sleep(0.25)
    assert ids == expected, query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("HotlineLeadUnit = 'U1'", {U1_DISPATCHED, U1_HANDLING}),
        ("HotlineStage = 'handling'", {U1_HANDLING, U2_HANDLING}),
        ("HotlineStage = 'registered'", {UNDISPATCHED}),
        # A22: the 3.6-second sign-for limit passed; every other ticket is inside its limits.
        ("HotlineCard = 'yellow'", {U2_YELLOW}),
        ("HotlineCoUnits = 'U9'", {U2_HANDLING, U2_YELLOW}),
        ("HotlineLeadUnit = 'U2' AND HotlineStage = 'dispatched'", {U2_YELLOW}),
    ],
)
async def test_operators_find_tickets_by_unit_stage_and_card(
    dev_env: WorkflowEnvironment, tickets: dict[str, TicketState], query: str, expected: set[str]
) -> None:
    await eventually_found(dev_env.client, query, expected)


async def test_operators_find_tickets_by_answer_deadline(
    dev_env: WorkflowEnvironment, tickets: dict[str, TicketState]
) -> None:
    """A17.1 consultations (2 WD) fall due before A17.2 complaints (10 WD); the undispatched has none."""
    assert tickets[UNDISPATCHED].answer_due_at() is None
    due: dict[str, datetime] = {}
    for wf_id in (U1_DISPATCHED, U2_HANDLING, U1_HANDLING, U2_YELLOW):
        at = tickets[wf_id].answer_due_at()
        assert at is not None, wf_id
        due[wf_id] = at
    last_consultation = max(due[U1_DISPATCHED], due[U2_HANDLING])
    first_complaint = min(due[U1_HANDLING], due[U2_YELLOW])
    assert last_consultation < first_complaint
    between = rfc3339(last_consultation + (first_complaint - last_consultation) / 2)

    await eventually_found(dev_env.client, f"HotlineDeadline < '{between}'", {U1_DISPATCHED, U2_HANDLING})
    await eventually_found(dev_env.client, f"HotlineDeadline > '{between}'", {U1_HANDLING, U2_YELLOW})
    await eventually_found(
        dev_env.client, f"HotlineDeadline < '{between}' AND HotlineCoUnits = 'U9'", {U2_HANDLING}
    )


async def test_the_card_turns_yellow_in_the_workflow_too(
    dev_env: WorkflowEnvironment, tickets: dict[str, TicketState]
) -> None:
    """The search attribute follows the workflow's own card (A22), not a guess of the test's."""
    await eventually_found(dev_env.client, "HotlineCard = 'yellow'", {U2_YELLOW})
    state = await dev_env.client.get_workflow_handle(U2_YELLOW).query(TicketWorkflow.state)
    assert state.card() == Card.YELLOW
    assert any(e.kind == "card_changed" and e.data.get("clock") == "sign_for" for e in state.timeline)
