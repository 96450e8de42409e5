"""Attack: a Unix time was accepted as `received_at` (pydantic reads "1700000000" as an instant).

Every instant a body carries is now ISO 8601 with its offset, and every day ISO 8601 (api/edge.py): a Unix
time, as a string or a number, is 422 INVALID_INPUT with the field's error type `iso8601_instant` or
`iso8601_day`, and nothing is written. Checked at the edge only: the domain models that workflows decode on
replay are unchanged.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from db.api_models import KnowledgePointRow, LeaderSessionRow
from db.models import TicketRow
from domain.calendar import SHANGHAI
from tests.api.support import Api, closure_body, registration_body

# Unix times as a client might send them, and instants without a usable form.
UNIX_TIMES: list[Any] = ["1700000000", 1700000000, "1700000000.5", 1.7e9, "0"]
NOT_ISO_INSTANTS: list[Any] = [*UNIX_TIMES, "2026-12-01", "2026-12-01 09:00:00+08:00", "20261201T090000+0800"]
NOT_ISO_DAYS: list[Any] = ["1700000000", 1700006400, "2026-12-01T00:00:00+08:00", "20261201"]


async def rows(api: Api, table: type) -> int:
    async with api.session_maker() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


def refused(response: Any, field: str, kind: str) -> bool:
    body = response.json()
    return (
        response.status_code == 422
        and body["code"] == "INVALID_INPUT"
        and any(e["loc"][-1] == field and e["type"] == kind for e in body["errors"])
    )


async def test_a_unix_time_is_no_instant(api: Api) -> None:
    tickets = await rows(api, TicketRow)
    for value in NOT_ISO_INSTANTS:
        response = await api.post("/tickets", registration_body(received_at=value))
        assert refused(response, "received_at", "iso8601_instant"), (value, response.text)
    assert await rows(api, TicketRow) == tickets

    # Every instant of an action's body: a contact's time, a closure's handling, a notice's service.
    no = (await api.register())["ticket_no"]
    await api.act(no, "sign-for", as_="urban")
    for value in UNIX_TIMES:
        contact = await api.post(
            f"/tickets/{no}/contacts",
            {"channel": "phone", "purpose": "result", "reached": True, "at": value},
            as_="urban",
        )
        assert refused(contact, "at", "iso8601_instant"), value
        closure = await api.post(
            f"/tickets/{no}/closure",
            closure_body(["p"], await api.now()) | {"handled_at": value},
            as_="urban",
        )
        assert refused(closure, "handled_at", "iso8601_instant"), value
        notice = await api.post(
            f"/tickets/{no}/termination", {"notice_ref": "r", "served_at": value}, as_="urban"
        )
        assert refused(notice, "served_at", "iso8601_instant"), value
    assert (await api.ticket(no))["contacts"] == []

    # Reference data: a leader's session on the roster (A7), and a query's instant.
    sessions = await rows(api, LeaderSessionRow)
    start = (await api.now() + timedelta(days=1)).isoformat()
    for value in UNIX_TIMES:
        body = {"leader_name": "王伟", "title": "区长", "unit_id": "WJ", "starts_at": value, "ends_at": start}
        assert refused(await api.post("/leader-sessions", body), "starts_at", "iso8601_instant"), value
        listed = await api.get("/leader-sessions", params={"from": str(value)})
        assert listed.status_code == 422, value
    assert await rows(api, LeaderSessionRow) == sessions

    # ISO 8601 with an offset, as `Z` or as hours, is an instant.
    for value in ("2026-11-30T09:00:00+08:00", "2026-11-30T01:00:00Z", "2026-11-30T01:00Z"):
        created = await api.post("/tickets", registration_body(received_at=value))
        assert created.status_code == 201, (value, created.text)


async def test_a_unix_time_is_no_day(api: Api) -> None:
    no = (await api.register())["ticket_no"]
    events = len((await api.ticket(no))["timeline"])
    for value in NOT_ISO_DAYS:
        consultation = await api.post(
            f"/tickets/{no}/consultations", {"meeting": "会商纪要", "held_on": value, "decision": "d"}
        )
        assert refused(consultation, "held_on", "iso8601_day"), value
        point = await api.post(
            "/knowledge-points",
            {"title": "t", "body": "b", "kind": "policy", "publishes_on": value},
            as_="urban",
        )
        assert refused(point, "publishes_on", "iso8601_day"), value
        notice = await api.post(
            "/calendar/years", {"year": 2027, "holidays": [value], "adjusted_workdays": []}
        )
        assert notice.status_code == 422 and notice.json()["errors"][0]["type"] == "iso8601_day", value
    assert await rows(api, KnowledgePointRow) == 0
    assert len((await api.ticket(no))["timeline"]) == events
    today = (await api.now()).astimezone(SHANGHAI).date().isoformat()
    held = await api.post(
        f"/tickets/{no}/consultations", {"meeting": "会商纪要", "held_on": today, "decision": "d"}
    )
    assert held.status_code == 200, held.text
