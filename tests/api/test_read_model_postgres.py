"""Issue 3, must-show 4: the API's read model on PostgreSQL as on SQLite.

Every test here runs on each database (tests/support.py `on_each_database`): `session_maker`, which the
`api` fixture and its worker use, is SQLite, and PostgreSQL in a schema of its own when
HOTLINE_TEST_DATABASE_URL is set. Here: the recursive unit-tree query (A6), the JSON `co_units` filter and
its LIKE escaping, the operator's one-unit filter. The privacy tests (tests/api/test_privacy.py: lists,
queues, masking, audit, A32) and the idempotency tests (tests/api/test_idempotency.py: the ON CONFLICT claim
of a registration, actions retried) that touch SQL are marked `on_each_database` where they are.

Every action also re-projects its ticket: the projection's ON CONFLICT upserts run on both databases.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from db.api_models import IdentityReadRow
from db.models import RestrictedCallerRow, TicketRow
from tests.api.support import Api
from tests.support import on_each_database

pytestmark = on_each_database


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
