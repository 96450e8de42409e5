"""Issue 3, must-show 4: the API's read model on PostgreSQL as on SQLite.

Here `session_maker` (which the `api` fixture and its worker use) is the read-model database of
tests/db/conftest.py: SQLite, and PostgreSQL in a schema of its own when HOTLINE_TEST_DATABASE_URL is set.
On it run:

- the queue tests below: the recursive unit-tree query (A6), the JSON `co_units` filter and its LIKE
  escaping, the operator's one-unit filter;
- the privacy tests (tests/api/test_privacy.py: lists, queues, masking, audit, A32) and the idempotency
  tests (tests/api/test_idempotency.py: the ON CONFLICT claim of a registration, actions retried), imported
  below and collected again, on PostgreSQL only (their own modules run them on SQLite).

Every action also re-projects its ticket: the projection's ON CONFLICT upserts run on both databases.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.api_models import IdentityReadRow
from db.models import RestrictedCallerRow, TicketRow
from db.seed import seed_reference_data
from db.session import make_session_maker
from tests.api.conftest import Api
from tests.api.test_idempotency import (  # noqa: F401 - collected again, here on PostgreSQL
    test_a_key_is_the_callers_own_and_bound_to_its_body,
    test_a_retried_action_has_one_effect,
    test_a_retried_rating_counts_once,
    test_a_retried_registration_answers_with_the_same_ticket_and_secrets,
    test_concurrent_duplicate_registrations_make_one_ticket,
)
from tests.api.test_privacy import (  # noqa: F401 - collected again, here on PostgreSQL
    test_a_confidential_requester_is_seen_only_by_cleared_staff,
    test_a_unit_sees_its_own_its_sub_units_and_nothing_else,
    test_an_integrator_sees_only_what_it_registered_masked,
    test_lists_always_mask_the_requester,
    test_the_handling_unit_sees_the_requester_a_co_unit_sees_it_masked,
    test_the_requester_sees_progress_but_no_identity_or_unit_internals,
)
from tests.db.conftest import engine  # noqa: F401 - SQLite, and PostgreSQL in a schema of its own


@pytest.fixture
async def session_maker(
    engine: AsyncEngine,  # noqa: F811 - the fixture imported above
    request: pytest.FixtureRequest,
) -> async_sessionmaker[AsyncSession]:
    if engine.dialect.name == "sqlite" and request.function.__module__ != __name__:
        pytest.skip(f"{request.function.__module__} runs it on SQLite")
    maker = make_session_maker(engine)
    await seed_reference_data(maker)
    return maker


async def queue(api: Api, as_: str, **params: Any) -> set[str]:
    page = (await api.get("/tickets", as_=as_, params=params | {"limit": 200})).json()
    return {line["ticket_no"] for line in page["items"]}


async def projected(api: Api, *numbers: str) -> None:
    """The read model lags the workflows a little: wait until it holds each ticket's latest revision."""
    for no in numbers:
        await api.listed(no, (await api.ticket(no))["revision"])


async def test_a_queue_follows_the_unit_tree_and_the_co_units(api: Api) -> None:
    """A6: a unit's queue holds the tickets it or a unit below it leads, is forwarded or assists."""
    urban = (await api.register(dispatch_to="WJ-URBAN", co_units=["WJ-POWER"]))["ticket_no"]
    town = (await api.register(dispatch_to="WJ-POWER", co_units=["WJ-URBAN-XH"]))["ticket_no"]
    other = (await api.register(dispatch_to="ZJ-HOUSING"))["ticket_no"]
    await projected(api, urban, town, other)

    # The county (tier 1) sees down to tier 3: through WJ-URBAN-XH it finds the ticket WJ-POWER leads.
    assert await queue(api, "county") == {urban, town}
    assert (await queue(api, "urban"), await queue(api, "urban", role="lead")) == ({urban, town}, {urban})
    assert await queue(api, "urban", role="co") == {town}  # its sub-unit assists (JSON co_units)
    assert (await queue(api, "power", role="lead"), await queue(api, "power", role="co")) == ({town}, {urban})
    assert (await queue(api, "xinhua"), await queue(api, "zhenjiang")) == ({town}, {other})
    # An operator's one-unit filter is that unit alone, not its tree.
    assert await queue(api, "operator", unit="WJ-URBAN") == {urban}
    assert await queue(api, "operator", unit="WJ-URBAN-XH", role="co") == {town}
    assert await queue(api, "operator", stage="dispatched", category="complaint") == {urban, town, other}


async def test_a_co_unit_filter_matches_the_unit_id_not_a_pattern(api: Api) -> None:
    """`_` is a LIKE wildcard: the unit WJ_A must not find the tickets WJXA assists."""
    for unit_id in ("WJ_A", "WJXA"):
        created = await api.post("/units", {"id": unit_id, "name": unit_id, "tier": 2, "parent_id": "WJ"})
        assert created.status_code == 201, created.text
    assists = (await api.register(dispatch_to="WJ-URBAN", co_units=["WJXA"]))["ticket_no"]
    await projected(api, assists)

    assert await queue(api, "operator", unit="WJXA", role="co") == {assists}
    assert await queue(api, "operator", unit="WJ_A") == set()


async def test_upserts_keep_one_row(api: Api) -> None:
    """ON CONFLICT DO UPDATE: a phone restricted again restarts its period (A11); a ticket acted on is
    re-projected onto its one row, at the latest revision."""
    for reason in ("多次辱骂话务员", "再次辱骂"):
        assert (
            await api.post("/restrictions", {"phone": "13900000001", "reason": reason})
        ).status_code == 201
    async with api.session_maker() as session:
        rows = (await session.scalars(select(RestrictedCallerRow))).all()
    assert [(r.phone, r.reason) for r in rows] == [("13900000001", "再次辱骂")]

    no = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    await api.act(no, "sign-for", as_="urban")
    await projected(api, no)
    latest = (await api.ticket(no))["revision"]
    async with api.session_maker() as session:
        tickets = (await session.scalars(select(TicketRow).where(TicketRow.ticket_no == no))).all()
        audited = (
            await session.scalars(select(IdentityReadRow).where(IdentityReadRow.ticket_no == no))
        ).all()
    assert [(t.stage, t.revision) for t in tickets] == [("handling", latest)]
    assert audited, "the A32 audit log is written on this database too"
