"""Input a clerk or a client may send by mistake, found from the outside: each is a 4xx with a code, and
nothing is written. Control characters (a NUL PostgreSQL cannot store), instants and days out of any
plausible range, units of the wrong tier (A6), co-units without a lead, duplicates and unknown fields."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from db.api_models import KnowledgePointRow, LeaderSessionRow
from db.models import TicketRow
from tests.api.support import Api, error, registration_body


async def count(api: Api, table: type) -> int:
    async with api.session_maker() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_control_characters_are_refused_before_anything_is_written(api: Api) -> None:
    tickets = await count(api, TicketRow)
    for content in ("a\u0000b", "bell\u0007", "\ud800 lone surrogate"):
        # Sent as the JSON escape a client would send: httpx cannot encode a lone surrogate itself.
        raw = json.dumps(registration_body(content=content), ensure_ascii=True)
        headers = api.auth("operator") | {"Content-Type": "application/json"}
        response = await api.http.post("/tickets", content=raw, headers=headers)
        assert error(response) == (422, "INVALID_INPUT", None), content
    assert await count(api, TicketRow) == tickets
    point = await api.post("/knowledge-points", {"title": "t\u0000", "body": "b"}, as_="urban")
    assert error(point) == (422, "INVALID_INPUT", None)
    # Tabs and line breaks are text.
    created = await api.register(content="路灯不亮\n地点：解放路\t12 号")
    assert (await api.ticket(created["ticket_no"]))["content"] == "路灯不亮\n地点：解放路\t12 号"


async def test_the_hotline_dispatches_to_member_units(api: Api) -> None:
    """A6: a tier-3 sub-unit gets a ticket forwarded by its member unit, not dispatched by the hotline; a
    tier-1 unit is not a handling unit. Co-units (assisting) may be of any tier."""
    for lead in ("WJ-URBAN-XH", "WJ"):
        response = await api.post("/tickets", registration_body(dispatch_to=lead))
        assert error(response) == (422, "NOT_A_MEMBER_UNIT", "A6"), lead
    no = (await api.register(dispatch_to=None, co_units=[]))["ticket_no"]
    refused = await api.post(f"/tickets/{no}/dispatch", {"lead_unit": "WJ-URBAN-XH"})
    assert error(refused) == (422, "NOT_A_MEMBER_UNIT", "A6")
    t = await api.act(no, "dispatch", {"lead_unit": "WJ-URBAN", "co_units": ["WJ-URBAN-XH", "WJ-URBAN-XH"]})
    assert (t["lead_unit"], t["co_units"]) == ("WJ-URBAN", ["WJ-URBAN-XH"])  # named twice, kept once
    # A coordination designates a member unit too (its own route, the same check).
    await api.act(no, "disputes", {"kind": "several_units", "units": ["WJ-URBAN", "WJ-POWER"], "reason": "r"})
    designate = await api.post(f"/coordinations/{no}/1/designate", {"lead_unit": "WJ-URBAN-XH"})
    assert error(designate) == (422, "NOT_A_MEMBER_UNIT", "A6")


async def test_co_units_need_a_lead(api: Api) -> None:
    response = await api.post("/tickets", registration_body(dispatch_to=None, co_units=["WJ-POWER"]))
    assert error(response) == (422, "CO_UNITS_WITHOUT_LEAD", "A14")


async def test_an_emergency_linked_twice_to_one_line_is_linked_once(api: Api) -> None:
    created = await api.register(emergency=True, category="help", linkage=["110", "110", "120"])
    assert (await api.ticket(created["ticket_no"]))["linkage"] == ["110", "120"]


async def test_a_leader_session_far_in_time_is_422_not_503(api: Api) -> None:
    sessions = await count(api, LeaderSessionRow)
    body = {"leader_name": "古人", "title": "t", "unit_id": "WJ", "starts_at": "0001-01-01T01:00:00+08:00"}
    created = await api.post("/leader-sessions", body | {"ends_at": "0001-01-01T05:00:00+08:00"})
    assert error(created) == (422, "INVALID_INPUT", None)
    assert await count(api, LeaderSessionRow) == sessions
    for window in (
        {"from": "0001-01-01T00:00:00+14:00", "to": "9999-12-31T00:00:00Z"},
        {"from": "2026-01-01T00:00:00Z", "to": "9999-12-31T23:59:59-14:00"},
    ):
        listed = await api.get("/leader-sessions", params=window)
        assert error(listed) == (422, "INVALID_INPUT", None), window


async def test_a_policy_published_years_away_is_refused(api: Api) -> None:
    """A28.2 reports a policy days ahead of publication; counting working days to the year 9999 would hold
    the API, so a publication day more than two years from today is a 422."""
    points = await count(api, KnowledgePointRow)
    for day in ("9999-12-31", "2001-01-01"):
        response = await api.post(
            "/knowledge-points",
            {"title": "t", "body": "b", "kind": "policy", "publishes_on": day},
            as_="urban",
        )
        assert error(response) == (422, "PUBLICATION_DAY_OUT_OF_RANGE", "A28.2"), day
    assert await count(api, KnowledgePointRow) == points
    soon = (await api.now() + timedelta(days=20)).date().isoformat()
    ok = await api.post(
        "/knowledge-points", {"title": "t", "body": "b", "kind": "policy", "publishes_on": soon}, as_="urban"
    )
    assert ok.status_code == 201, ok.text


async def test_an_unknown_field_is_refused_on_reference_data(api: Api) -> None:
    unit = await api.post("/units", {"id": "X-T2", "name": "n", "tier": 2, "foo": 1})
    assert error(unit) == (422, "INVALID_INPUT", None)
    point = await api.post("/knowledge-points", {"title": "t", "body": "b", "colour": "red"}, as_="urban")
    assert error(point) == (422, "INVALID_INPUT", None)
