"""A4, A6, A25 supervision orders through HTTP, with a real worker on the time-skipping server: the office
issues two, the lead answers one in time, the other passes its time unanswered; the list of the ticket's
orders and the supervision report (A25) show both, the overdue one counted against the unit. Orders on a
concluded ticket and malformed orders are refused with their codes (docs/errors.md)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from db.models import NoticeRow
from tests.api.journeys import concluded_ticket
from tests.api.support import Api
from tests.support import Backend

URGE = {"kind": "urge", "reason": "诉求人再次来电，请尽快处置", "respond_within": {"hours": 2}}
SUPERVISE = {"kind": "supervise", "reason": "请说明整改计划", "respond_within": {"hours": 4}}
EVER = {"from": "2001-01-01T00:00:00+08:00", "to": "2199-01-01T00:00:00+08:00"}


async def orders(api: Api, no: str, as_: str = "operator") -> list[dict[str, Any]]:
    response = await api.get(f"/tickets/{no}/supervision-orders", as_=as_)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def supervision_report(api: Api, no: str, expected: int) -> list[tuple[str, str | None, str | None]]:
    """The ticket's lines in the A25 report, once the read model has projected them (it lags a little)."""
    for _ in range(200):
        page = (await api.get("/reports/supervision", params=EVER | {"limit": 1000})).json()
        lines = [
            (x["signal"], x["unit"], x["order_id"] or x["clock"])
            for x in page["items"]
            if x["ticket_no"] == no
        ]
        if len(lines) >= expected:
            return lines
        await asyncio.sleep(0.05)
    raise AssertionError(f"the report never listed {expected} lines for {no}")


async def eventually_notices(api: Api, no: str, at_least: int) -> list[tuple[str, str]]:
    """The ticket's supervision notices (kind, recipient) in the outbox, once projected."""
    for _ in range(200):
        async with api.session_maker() as session:
            rows = await session.scalars(select(NoticeRow).where(NoticeRow.ticket_no == no))
            found = [(n.kind, n.recipient) for n in rows if n.kind.startswith("supervision_")]
        if len(found) >= at_least:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {at_least} supervision notices for {no}")


async def test_a25_an_order_answered_in_time_and_one_overdue_are_listed_and_reported(
    api: Api, backend: Backend
) -> None:
    """On SQLite, and on PostgreSQL too when HOTLINE_TEST_DATABASE_URL is set (the report reads JSON)."""
    no = (await api.register(dispatch_to="WJ-URBAN", co_units=["WJ-POWER"]))["ticket_no"]
    await api.act(no, "supervision-orders", URGE)
    t = await api.act(no, "supervision-orders", SUPERVISE)
    assert [e["kind"] for e in t["timeline"]].count("supervision_ordered") == 2

    # The order says which: hours or working days, not both (422 at the edge).
    both = URGE | {"respond_within": {"hours": 2, "working_days": 1}}
    bad = await api.refused(no, "supervision-orders", both)
    assert (bad.status_code, bad.json()["code"]) == (422, "INVALID_INPUT")
    # Answered by the lead, once.
    await api.act(no, "supervision-orders/S1/answer", {"answer": "已派员到场"}, as_="urban")
    again = await api.refused(no, "supervision-orders/S1/answer", {"answer": "再次答复"}, as_="urban")
    assert (again.status_code, again.json()["code"], again.json()["rule"]) == (
        409,
        "SUPERVISION_ORDER_ALREADY_ANSWERED",
        "A25",
    )
    missing = await api.refused(no, "supervision-orders/S7/answer", {"answer": "x"}, as_="urban")
    assert (missing.status_code, missing.json()["code"]) == (409, "NO_SUCH_SUPERVISION_ORDER")

    s1, s2 = await orders(api, no, as_="power")  # a co-unit sees the ticket, so its orders
    assert (s1["id"], s1["status"], s1["late"], s1["kind_label"]["zh"]) == ("S1", "answered", False, "催办")
    assert (s2["id"], s2["status"], s2["card"], s2["unit"]) == ("S2", "open", "green", "WJ-URBAN")
    assert s2["respond_within"] == {"working_days": None, "hours": 4.0}
    assert s2["due_at"].endswith("+08:00")

    # Its four hours pass unanswered: overdue, a yellow card counted against the unit (A22, A25).
    await api.sleep_until(datetime.fromisoformat(s2["due_at"]) + timedelta(seconds=1))
    await api.until(no, lambda v: v["clocks"]["supervision:S2"]["card"] == "yellow")
    s2 = (await orders(api, no))[1]
    assert (s2["status"], s2["card"], s2["answered_at"]) == ("overdue", "yellow", None)
    assert await supervision_report(api, no, 3) == [
        ("supervision_ordered", "WJ-URBAN", "S1"),
        ("supervision_ordered", "WJ-URBAN", "S2"),
        ("supervision_overdue", "WJ-URBAN", "supervision:S2"),
    ]

    # The unit hears of each order through its notices (the outbox, A25), the office of each answer.
    notices = await eventually_notices(api, no, 3)
    assert ("supervision_ordered", "unit:WJ-URBAN") in notices
    assert ("supervision_answered", "hotline") in notices

    # Never on a concluded ticket (A22 has stopped its limits; no unit holds it).
    no = (await concluded_ticket(api))["ticket_no"]
    refused = await api.refused(no, "supervision-orders", URGE)
    assert (refused.status_code, refused.json()["code"], refused.json()["rule"]) == (
        409,
        "STAGE_FORBIDS_ACTION",
        "A25",
    )
    assert await orders(api, no) == []
