"""F5: an action while no worker runs (issue 4): the API answers 503 within its timeout, and the request,
retried with the same Idempotency-Key once a worker is back, applies exactly once.

The API runs with HOTLINE_TEMPORAL_RPC_TIMEOUT_SECONDS=2 against a real dev server; the ticket worker is a
process the test stops and starts. The action is the unit signing for its ticket (A14).
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from api.auth import Caller, Role
from api.deps import update_id
from api.temporal import TemporalGateway
from bench.api_support import Service, registration_body, ticket_workflow_id
from config import Settings
from domain.commands import SignFor
from tests.faults.api_support import (
    StartService,
    accepted_updates,
    answered,
    converged,
    event_kinds,
    post,
    ticket_view,
    updates_accepted,
)

pytestmark = pytest.mark.devserver

RPC_TIMEOUT = 2.0
# The 503 must come within the API's timeout, give or take the request's own overhead.
SLACK = 3.0
BUDGET_SECONDS = 58


async def dispatched_ticket(svc: Service) -> str:
    async with svc.http() as http:
        key = f"f5-register-{uuid.uuid4()}"
        created = await answered(lambda: post(http, svc, "/tickets", "operator", key, registration_body()))
        assert created.status_code == 201, created.text
        no: str = created.json()["ticket_no"]
        # The answer shows the ticket once opened; within a 2-second timeout it may not have been yet.
        view = created.json()["ticket"] or await ticket_view(http, svc, no)
        for _ in range(100):
            if view["stage"] == "dispatched":
                return no
            await asyncio.sleep(0.1)
            view = await ticket_view(http, svc, no)
    raise AssertionError(f"ticket {no} never dispatched: {view['stage']}")


async def assert_signed_for_once(svc: Service, ticket_no: str) -> None:
    async with svc.http() as http:
        view = await ticket_view(http, svc, ticket_no)
    assert view["stage"] == "handling"
    assert event_kinds(view)["signed_for"] == 1
    assert (await updates_accepted(svc.client, ticket_workflow_id(ticket_no)))["sign_for"] == 1
    kinds = await converged(svc, ticket_no, view["revision"])
    assert kinds["signed_for"] == 1


async def test_an_action_without_a_worker_is_503_in_time_and_its_retry_applies_once(
    start_service: StartService,
) -> None:
    async with asyncio.timeout(BUDGET_SECONDS):
        svc = await start_service(rpc_timeout=RPC_TIMEOUT)
        no = await dispatched_ticket(svc)
        svc.stop_ticket_workers()
        key = f"f5-{uuid.uuid4()}"
        path = f"/tickets/{no}/sign-for"

        async with svc.http(timeout=30) as http:
            started = time.monotonic()
            refused = await post(http, svc, path, "unit", key)
            elapsed = time.monotonic() - started
            assert refused.status_code == 503, refused.text
            assert refused.json()["code"] == "TEMPORAL_UNAVAILABLE"
            assert refused.headers["Retry-After"]
            print(f"503 after {elapsed:.2f}s")
            assert elapsed <= RPC_TIMEOUT + SLACK, f"503 after {elapsed:.1f}s"

            await svc.start_worker()
            retried = await answered(lambda: post(http, svc, path, "unit", key))
            assert retried.status_code == 200, retried.text
            assert retried.json()["stage"] == "handling"
            # Retried again, it answers as before and still has one effect.
            again = await answered(lambda: post(http, svc, path, "unit", key))
            assert (again.status_code, again.json()) == (200, retried.json())

        await assert_signed_for_once(svc, no)


async def test_an_update_left_in_flight_by_a_503_applies_once_with_its_retry(
    start_service: StartService,
) -> None:
    """The API queries the ticket before its update, so without a worker its 503 usually comes from the
    query and nothing reaches the workflow. If the worker goes between the two, the update itself times out
    and stays with the server: here the test sends it, as the API does (same gateway, same update id, same
    command), while no worker runs; then the worker comes back and the client retries through HTTP."""
    async with asyncio.timeout(BUDGET_SECONDS):
        svc = await start_service(rpc_timeout=RPC_TIMEOUT)
        no = await dispatched_ticket(svc)
        svc.stop_ticket_workers()
        key = f"f5-in-flight-{uuid.uuid4()}"
        credential = svc.credential_id("unit")
        clerk = Caller(
            credential_id=credential,
            role=Role.UNIT_STAFF,
            name="bench clerk",
            unit_id="U1",
            confidential_clearance=False,
        )
        gateway = TemporalGateway(
            Settings(
                temporal_address=svc.server.address,
                task_queue=svc.task_queue,
                temporal_rpc_timeout_seconds=RPC_TIMEOUT,
            ),
            svc.client,
        )
        the_update = update_id("sign_for", f"cred-{credential}", key)

        started = time.monotonic()
        with pytest.raises((TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError)) as failed:
            await gateway.update_ticket(no, "sign_for", SignFor(actor=clerk.actor), the_update)
        assert time.monotonic() - started <= RPC_TIMEOUT + SLACK
        if isinstance(failed.value, RPCError):
            assert failed.value.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)

        await svc.start_worker()
        async with svc.http(timeout=30) as http:
            retried = await answered(lambda: post(http, svc, f"/tickets/{no}/sign-for", "unit", key))
        assert retried.status_code == 200, retried.text
        assert retried.json()["stage"] == "handling"

        await assert_signed_for_once(svc, no)
        # The effect is the update sent while no worker ran (this process sent it), which the server kept
        # and the returning worker applied; the HTTP retry, with the same update id, got its outcome.
        [applied] = [
            u for u in await accepted_updates(svc.client, ticket_workflow_id(no)) if u.name == "sign_for"
        ]
        assert (applied.update_id, applied.identity) == (the_update, svc.client.identity)
