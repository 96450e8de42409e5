"""The credential cache (api/auth.py `CredentialCache`, issue 17): a token's lookup is kept for
HOTLINE_CREDENTIAL_CACHE_SECONDS, and a revocation is honoured within that bound however it was made.

The cache's clock is injected and turned by hand: the bound is shown by the answers on either side of it,
never by waiting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.auth import CredentialCache, Role
from api.errors import ApiError
from db.api_models import CredentialRow
from operations.credentials import create_unit, issue_credential, revoke_credential
from tests.api.support import Api, api_settings


class HandTurnedClock:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


@asynccontextmanager
async def app_with_clock(
    api: Api, clock: HandTurnedClock, seconds: float
) -> AsyncIterator[httpx.AsyncClient]:
    """A second API process on the same database and Temporal, its credential cache on `clock`."""
    app = create_app(
        api_settings("credential-cache", credential_cache_seconds=seconds),
        client=api.env.client,
        session_maker=api.session_maker,
        clock=api.env.get_current_time,
        credential_clock=clock,
    )
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hotline.test") as http,
    ):
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_revoked_credential_is_refused_within_the_cache_lifetime(api: Api) -> None:
    clock = HandTurnedClock()
    issued = await issue_credential(api.session_maker, role="unit_staff", name="夜班", unit_id="WJ-URBAN")
    async with app_with_clock(api, clock, seconds=5.0) as http:
        assert (await http.get("/units", headers=bearer(issued.token))).status_code == 200
        # Revoked outside this API process (the CLI's own function): the lookup made 4.9 s ago still stands.
        assert await revoke_credential(api.session_maker, issued.id)
        clock.seconds += 4.9
        assert (await http.get("/units", headers=bearer(issued.token))).status_code == 200
        # At the bound it is looked up again, and refused from then on.
        clock.seconds += 0.1
        refused = await http.get("/units", headers=bearer(issued.token))
        assert (refused.status_code, refused.json()["code"]) == (401, "UNAUTHENTICATED")
        clock.seconds += 60
        assert (await http.get("/units", headers=bearer(issued.token))).status_code == 401


async def test_a_new_credential_works_at_once_and_an_unknown_token_is_not_kept(api: Api) -> None:
    clock = HandTurnedClock()
    async with app_with_clock(api, clock, seconds=5.0) as http:
        assert (await http.get("/units", headers=bearer("no-such-token"))).status_code == 401
        issued = await issue_credential(api.session_maker, role="operator", name="新话务员")
        # Nothing was kept of the refusals, so the clock need not move for a new token to work.
        assert (await http.get("/units", headers=bearer(issued.token))).status_code == 200


async def test_a_unit_deactivated_through_the_api_is_refused_at_once_despite_the_cache(api: Api) -> None:
    clock = HandTurnedClock()
    staff = await issue_credential(api.session_maker, role="unit_staff", name="供电", unit_id="WJ-POWER")
    operator = await issue_credential(api.session_maker, role="operator", name="值班长")
    async with app_with_clock(api, clock, seconds=60.0) as http:
        assert (await http.get("/units", headers=bearer(staff.token))).status_code == 200
        done = await http.post("/units/WJ-POWER/deactivation", headers=bearer(operator.token))
        assert done.status_code == 200, done.text
        # The clock has not moved: the deactivation itself dropped the unit's cached credentials.
        assert (await http.get("/units", headers=bearer(staff.token))).status_code == 401


async def test_zero_seconds_looks_every_token_up(api: Api) -> None:
    clock = HandTurnedClock()
    issued = await issue_credential(api.session_maker, role="operator", name="代班")
    async with app_with_clock(api, clock, seconds=0) as http:
        assert (await http.get("/units", headers=bearer(issued.token))).status_code == 200
        await revoke_credential(api.session_maker, issued.id)
        assert (await http.get("/units", headers=bearer(issued.token))).status_code == 401


async def test_the_cache_keeps_at_most_its_bound_and_drops_the_least_recently_used(
    session_maker: async_sessionmaker[AsyncSession],
) -> None:
    sessions = session_maker
    clock = HandTurnedClock()
    cache = CredentialCache(30.0, clock=clock, max_entries=2)
    await create_unit(sessions, unit_id="SG-GAS", name="燃气公司", tier=2)
    a, b, c = [await issue_credential(sessions, role="unit_staff", name=n, unit_id="SG-GAS") for n in "abc"]
    assert (await cache.caller(sessions, a.token)).role == Role.UNIT_STAFF
    await cache.caller(sessions, b.token)
    await cache.caller(sessions, a.token)  # a is now the most recently used
    await cache.caller(sessions, c.token)  # b goes
    # Every row revoked behind the cache's back: what it kept answers, what it dropped is looked up.
    async with sessions.begin() as session:
        await session.execute(update(CredentialRow).values(revoked_at=CredentialRow.created_at))
    assert (await cache.caller(sessions, a.token)).credential_id == a.id
    assert (await cache.caller(sessions, c.token)).credential_id == c.id
    with pytest.raises(ApiError) as refused:
        await cache.caller(sessions, b.token)
    assert refused.value.code == "UNAUTHENTICATED"
