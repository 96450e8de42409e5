"""F4: concurrent duplicate requests with one Idempotency-Key have one effect (issue 4).

Ten identical requests race with one key into two API processes (uvicorn --workers 2) in front of a real
worker and dev server: a registration makes exactly one ticket (A2: one ticket per request, whatever the
channel; one workflow, one `tickets` row, one set of requester secrets, A19/A24), and an action (the unit
signs for the ticket, A14) is recorded once. Every duplicate gets the same answer as the first.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from api.registration import claimed_key
from bench.api_support import Service, registration_body, ticket_workflow_id
from bench.common import until
from db.api_models import IdempotencyKeyRow, RequesterAccessRow
from db.models import TicketRow
from tests.faults.api_support import (
    StartService,
    converged,
    event_kinds,
    post,
    ticket_view,
    updates_accepted,
)

pytestmark = pytest.mark.devserver

DUPLICATES = 10
BUDGET_SECONDS = 58


async def count(svc: Service, model: type[Any], *where: Any) -> int:
    async with svc.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_concurrent_duplicate_registrations_make_one_ticket(start_service: StartService) -> None:
    async with asyncio.timeout(BUDGET_SECONDS):
        svc = await start_service(api_workers=2)
        key = f"f4-register-{uuid.uuid4()}"
        async with svc.http(DUPLICATES) as http:
            answers = await asyncio.gather(
                *(
                    post(http, svc, "/tickets", "operator", key, registration_body())
                    for _ in range(DUPLICATES)
                )
            )
            assert [a.status_code for a in answers] == [201] * DUPLICATES, [a.text for a in answers]
            # The same ticket number, secrets (A19, A24) and opened ticket for every duplicate.
            first = answers[0].json()
            assert all(a.json() == first for a in answers)
            assert first["ticket"]["stage"] == "dispatched"
            # One request claimed the key; the others answered as replays of it.
            replayed = sorted(a.headers.get("Idempotent-Replayed", "") for a in answers)
            assert replayed == [""] + ["true"] * (DUPLICATES - 1)
            no = first["ticket_no"]
            view = await ticket_view(http, svc, no)

        assert event_kinds(view)["registered"] == 1 and event_kinds(view)["dispatched"] == 1
        # One workflow (the id is the ticket's, so a second ticket would be a second workflow) ...
        tickets = await until(
            lambda: _ticket_workflows(svc), timeout=15, interval=0.2, what="the ticket in visibility"
        )
        assert tickets == 1
        # ... which the registration opened once: the ten `opened` updates share one update id.
        assert (await updates_accepted(svc.client, ticket_workflow_id(no)))["opened"] == 1
        # One row in the read model, one set of requester secrets, one claim of the key.
        kinds = await converged(svc, no, view["revision"])
        assert kinds["registered"] == 1
        assert await count(svc, TicketRow) == 1
        assert await count(svc, RequesterAccessRow) == 1
        # (A registration's key is kept as its digest: api/registration.py claimed_key.)
        assert await count(svc, IdempotencyKeyRow, IdempotencyKeyRow.key == claimed_key(key)) == 1


async def test_concurrent_duplicate_actions_have_one_effect(start_service: StartService) -> None:
    async with asyncio.timeout(BUDGET_SECONDS):
        svc = await start_service(api_workers=2)
        key = f"f4-sign-for-{uuid.uuid4()}"
        async with svc.http(DUPLICATES) as http:
            created = await post(http, svc, "/tickets", "operator", None, registration_body())
            assert created.status_code == 201, created.text
            no = created.json()["ticket_no"]

            answers = await asyncio.gather(
                *(post(http, svc, f"/tickets/{no}/sign-for", "unit", key) for _ in range(DUPLICATES))
            )
            assert [a.status_code for a in answers] == [200] * DUPLICATES, [a.text for a in answers]
            assert all(a.json() == answers[0].json() for a in answers)
            assert answers[0].json()["stage"] == "handling"

            view = await ticket_view(http, svc, no)
            # The effect was once, not refused nine times: a new request (no key) is refused now (A14).
            again = await post(http, svc, f"/tickets/{no}/sign-for", "unit", None)
            assert (again.status_code, again.json()["code"]) == (409, "STAGE_FORBIDS_ACTION")

        assert event_kinds(view)["signed_for"] == 1
        assert (await updates_accepted(svc.client, ticket_workflow_id(no)))["sign_for"] == 1
        kinds = await converged(svc, no, view["revision"])
        assert kinds["signed_for"] == 1


async def _ticket_workflows(svc: Service) -> int:
    return (await svc.client.count_workflows("WorkflowType = 'TicketWorkflow'")).count
