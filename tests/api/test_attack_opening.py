"""Attack: just after a slow registration, the lead's action was 404 TICKET_NOT_FOUND.

The ticket existed (its workflow had run its first task) but had not finished opening: no rule set
captured, no screening, no dispatch, so no unit stood in any relation to it, and the API answered as for a
ticket that does not exist. A client that trusts a 404 gives up on a real ticket. Now a ticket still
opening (revision 0) is 409 TICKET_OPENING with a Retry-After header for the callers who will see it (the
unit it is dispatched to, its co-units and the units above them), and still 404 for anyone else.

The opening is held for real: the worker's opening activity (the records' read of the rule set, A18 and
A11) waits until the test lets it go. On the dev server, where a workflow task that waits on a long local
activity is heartbeated and the ticket's state becomes readable half-open, as in production.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.testing import WorkflowEnvironment

from activities.hotline import HotlineActivities
from domain.commands import Registration
from domain.ticket import ActivityNames, OpeningFacts
from tests.api.support import Api, registration_body, serving
from tests.driver import DEV_SERVER, SERVER_STARTUP
from tests.support import SQLITE, read_model
from workflows import search_attributes as sa
from workflows.converter import demo_data_converter

pytestmark = pytest.mark.devserver

# Requests tried while the opening is held, each answered within the API's 1 s timeout: the first task's
# heartbeat (at 80% of its 10 s timeout) comes well within them.
ATTEMPTS = 60


class HeldOpening(HotlineActivities):
    """The real activities; the opening's read of the records waits until `opened.set()`."""

    def __init__(self, session_maker: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(session_maker)
        self.opened = asyncio.Event()

    @activity.defn(name=ActivityNames.OPEN_TICKET)
    async def open_ticket(self, registration: Registration) -> OpeningFacts:
        await self.opened.wait()
        return await super().open_ticket(registration)


@pytest.fixture
async def held(tmp_path: Path) -> AsyncIterator[tuple[Api, HeldOpening]]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(DEV_SERVER),
        dev_server_startup_timeout=SERVER_STARTUP,
        data_converter=demo_data_converter(),
        ui=False,
    )
    try:
        await sa.ensure_registered(env.client)
        async with read_model(SQLITE, tmp_path / "hotline.db") as session_maker:
            activities = HeldOpening(session_maker)
            async with serving(env, session_maker, activities, temporal_rpc_timeout_seconds=1.0) as api:
                yield api, activities
                activities.opened.set()
    finally:
        await env.shutdown()


async def first_answer(api: Api, path: str, as_: str, seen: list[int]) -> httpx.Response:
    """The first answer that is not "Temporal did not answer in time" (503, while the first workflow task
    is still running); every status is kept in `seen`."""
    for _ in range(ATTEMPTS):
        response = await api.post(path, {}, as_=as_)
        seen.append(response.status_code)
        if response.status_code != 503:
            return response
        assert response.json()["code"] == "TEMPORAL_UNAVAILABLE"
    raise AssertionError(f"{path}: only 503s while the opening was held")


async def test_an_action_on_a_ticket_still_opening_is_retryable_not_404(
    held: tuple[Api, HeldOpening],
) -> None:
    api, activities = held
    registered = await api.post("/tickets", registration_body(dispatch_to="WJ-URBAN", co_units=["WJ-POWER"]))
    # The slow registration: the ticket exists, its opening did not finish within the API's timeout.
    assert registered.status_code == 201 and registered.json()["ticket"] is None
    no = registered.json()["ticket_no"]

    seen: list[int] = []
    lead = await first_answer(api, f"/tickets/{no}/sign-for", "urban", seen)
    assert (lead.status_code, lead.json()["code"]) == (409, "TICKET_OPENING"), lead.text
    assert int(lead.headers["Retry-After"]) >= 1
    # A co-unit and a unit above the lead learn the same; reading the ticket too.
    co_unit = await first_answer(api, f"/tickets/{no}/sign-for", "power", seen)
    assert (co_unit.status_code, co_unit.json()["code"]) == (409, "TICKET_OPENING")
    above = await first_answer(api, f"/tickets/{no}/sign-for", "county", seen)
    assert (above.status_code, above.json()["code"]) == (409, "TICKET_OPENING")
    # A unit the ticket is not going to cannot tell it exists, opening or not (A32).
    stranger = await first_answer(api, f"/tickets/{no}/sign-for", "zhenjiang", seen)
    assert (stranger.status_code, stranger.json()["code"]) == (404, "TICKET_NOT_FOUND")
    assert seen.count(404) == 1  # the stranger's, never the lead's

    activities.opened.set()
    for _ in range(ATTEMPTS):  # the client's retry, as Retry-After asks
        signed = await api.post(f"/tickets/{no}/sign-for", {}, as_="urban")
        if signed.status_code == 200:
            break
        assert (signed.status_code, signed.json()["code"]) in {
            (409, "TICKET_OPENING"),
            (503, "TEMPORAL_UNAVAILABLE"),
        }
        await asyncio.sleep(0.1)
    assert (signed.status_code, signed.json()["stage"]) == (200, "handling")
    counts = {status: seen.count(status) for status in sorted(set(seen))}
    print(f"opening held: {len(seen)} actions answered {counts} before it opened")
