"""A ticket terminated in Temporal UI behind the service's back: the read model and the API stop calling it
open once the reconciler (activities/reconcile.py) has seen its workflow's close.

On the dev server (the reconciler lists closed workflows from visibility): tickets registered and signed for
through the API, one terminated through the client as Temporal UI does it, another left running.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from activities.reconcile import reconcile_ended_outside
from db.models import TicketRow
from tests.api.support import Api, serving
from tests.devserver.support import dev_server, eventually
from tests.support import SQLITE, read_model
from workflows.ticket import ticket_workflow_id

pytestmark = pytest.mark.devserver


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with dev_server() as server:
        yield server


@pytest.fixture
async def api(env: WorkflowEnvironment, tmp_path: Any) -> AsyncIterator[Api]:
    async with read_model(SQLITE, tmp_path / "hotline.db") as sessions, serving(env, sessions) as driver:
        yield driver


async def row(api: Api, ticket_no: str) -> TicketRow:
    async with api.session_maker() as session:
        found = await session.scalar(select(TicketRow).where(TicketRow.ticket_no == ticket_no))
    assert found is not None
    return found


async def listed(api: Api, **params: Any) -> set[str]:
    response = await api.get("/tickets", params=params | {"limit": 200})
    assert response.status_code == 200, response.text
    return {t["ticket_no"] for t in response.json()["items"]}


async def test_a_ticket_terminated_in_temporal_ui_is_no_longer_shown_open(api: Api) -> None:
    terminated = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    running = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    for no in (terminated, running):
        revision = (await api.act(no, "sign-for", as_="urban"))["revision"]
        await api.listed(no, revision)  # projected: the read model says handling
    assert (await row(api, terminated)).stage == "handling"

    handle = api.env.client.get_workflow_handle(ticket_workflow_id(terminated))
    await handle.terminate(reason="terminated from Temporal UI")
    assert (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED

    marked: list[str] = []

    async def reconciled() -> bool:  # visibility sees the close a little later
        marked.extend(await reconcile_ended_outside(api.env.client, api.session_maker))
        return terminated in marked

    await eventually(reconciled, "the reconciler never marked the terminated ticket")
    assert running not in marked

    # The read model: archived, with how and when it ended; the running ticket is untouched.
    ended = await row(api, terminated)
    assert (ended.stage, ended.ended_outside) == ("archived", "terminated")
    assert ended.ended_outside_at is not None
    kept = await row(api, running)
    assert (kept.stage, kept.ended_outside) == ("handling", None)
    # A second pass changes nothing.
    assert await reconcile_ended_outside(api.env.client, api.session_maker) == []

    # The API: the ticket reads archived, lists among the ended-outside ones and not among those handling.
    view = await api.ticket(terminated)
    assert (view["stage"], view["ended_outside"]) == ("archived", "terminated")
    assert (await api.ticket(running))["stage"] == "handling"
    assert terminated in await listed(api, ended_outside=True)
    assert running not in await listed(api, ended_outside=True)
    handling = await listed(api, stage="handling")
    assert running in handling and terminated not in handling
    # And it takes no more actions.
    refused = await api.post(
        f"/tickets/{terminated}/contacts",
        {"channel": "phone", "purpose": "result", "reached": True},
        as_="urban",
    )
    assert refused.status_code == 409, refused.text
