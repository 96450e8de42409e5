"""F6: the Temporal server goes away while the API runs, and comes back (the outside attack's finding 2).

Before: with Temporal down, every call waited the whole RPC timeout before its 503. Now the first call that
fails that way is followed by a short probe; the probe failing opens the breaker (api/temporal_breaker.py)
and later calls are refused at once, without an RPC: the test counts the calls the gateway let through
(none while open) and those it refused, never the time taken. Reads from SQL answer 200 throughout. When
the server is back, a call after the cool-down probes, closes the breaker and succeeds.

The real app in-process (lifespan and all, its own client) against a real dev server the test stops and
starts on the same SQLite file, with the real worker as an OS process.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager

from api.app import create_app
from api.temporal import TemporalGateway
from api.temporal_breaker import BreakerState
from bench.api_support import seed_callers
from bench.common import DevServer
from config import Settings
from tests.faults.conftest import AppDatabase, Workers

pytestmark = pytest.mark.devserver

BUDGET_SECONDS = 110
COOLDOWN = 2.0
REFUSED_CALLS = 6


async def test_calls_are_refused_at_once_while_temporal_is_away_and_sql_reads_go_on(
    dev_server: DevServer, workers: Workers, sqlite_db: AppDatabase
) -> None:
    async with asyncio.timeout(BUDGET_SECONDS):
        await workers.start(sqlite_db.url)
        callers = await seed_callers(sqlite_db.sessions)
        operator = {"Authorization": f"Bearer {callers['operator'][1]}"}
        unit = {"Authorization": f"Bearer {callers['unit'][1]}"}
        tickets = workers.tickets(sqlite_db, "F6")
        [no] = await tickets.register(1)
        settings = Settings(
            environment="test",
            temporal_address=dev_server.address,
            task_queue=workers.task_queue,
            database_url=sqlite_db.url,
            temporal_rpc_timeout_seconds=3.0,
            temporal_breaker_cooldown_seconds=COOLDOWN,
        )
        app = create_app(settings)
        async with (
            LifespanManager(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as http,
        ):
            gateway: TemporalGateway = app.state.runtime.temporal
            assert (await http.get(f"/tickets/{no}", headers=operator)).status_code == 200
            assert gateway.breaker.state == BreakerState.CLOSED

            dev_server.stop()
            # The first call finds out: it waits its timeout, the probe fails too, the breaker opens.
            first = await http.get(f"/tickets/{no}", headers=operator)
            assert first.status_code == 503 and first.json()["code"] == "TEMPORAL_UNAVAILABLE", first.text
            assert gateway.breaker.state == BreakerState.OPEN and gateway.breaker.times_opened == 1

            sent, refused = gateway.calls_sent, gateway.breaker.refused
            answers = [await http.get(f"/tickets/{no}", headers=operator) for _ in range(REFUSED_CALLS - 1)]
            answers.append(
                await http.post(
                    f"/tickets/{no}/sign-for", json={}, headers=unit | {"Idempotency-Key": str(uuid.uuid4())}
                )
            )
            for answer in answers:
                assert answer.status_code == 503, answer.text
                assert answer.json()["code"] == "TEMPORAL_UNAVAILABLE"
                assert 1 <= int(answer.headers["Retry-After"]) <= COOLDOWN
            assert gateway.calls_sent == sent, "a call went to Temporal while the breaker was open"
            assert gateway.breaker.refused == refused + REFUSED_CALLS

            # The read model is SQL: lists and units answer while Temporal is away.
            listed = await http.get("/tickets", headers=operator)
            assert listed.status_code == 200 and [t["ticket_no"] for t in listed.json()["items"]] == [no]
            assert (await http.get("/units", headers=unit)).status_code == 200
            assert gateway.breaker.state == BreakerState.OPEN

            await dev_server.start()
            back = await _answered(lambda: http.get(f"/tickets/{no}", headers=operator))
            assert back.status_code == 200, back.text
            assert gateway.breaker.state == BreakerState.CLOSED and gateway.breaker.times_opened == 1
            signed = await _answered(
                lambda: http.post(
                    f"/tickets/{no}/sign-for", json={}, headers=unit | {"Idempotency-Key": str(uuid.uuid4())}
                )
            )
            assert signed.status_code == 200 and signed.json()["stage"] == "handling", signed.text


async def _answered(send: Callable[[], Awaitable[httpx.Response]], within: float = 40) -> httpx.Response:
    """A client honouring Retry-After: it sends again while the API answers 503 TEMPORAL_UNAVAILABLE."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        response = await send()
        if response.status_code != 503 or loop.time() > deadline:
            return response
        assert response.json()["code"] == "TEMPORAL_UNAVAILABLE", response.text
        await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
