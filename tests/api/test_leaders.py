"""A7: the roster of leaders of the city, the counties and the departments who answer the hotline in
person (api/routes/leaders.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.api.support import Api, at


def session_body(start: datetime, hours: float = 2, **overrides: Any) -> dict[str, Any]:
    return {
        "leader_name": "王伟",
        "title": "区长",
        "unit_id": "WJ",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=hours)).isoformat(),
    } | overrides


async def test_the_office_keeps_the_roster_and_staff_read_it(api: Api) -> None:
    now = await api.now()
    tomorrow, next_week = now + timedelta(days=1), now + timedelta(days=7)
    first = await api.post("/leader-sessions", session_body(tomorrow))
    second = await api.post(
        "/leader-sessions", session_body(next_week, leader_name="李娜", title="局长", unit_id="WJ-URBAN")
    )
    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    assert at(first.json()["starts_at"]) == tomorrow

    upcoming = (await api.get("/leader-sessions", as_="power")).json()
    assert [s["leader_name"] for s in upcoming] == ["王伟", "李娜"]  # earliest first, from now on
    window = {"from": (now + timedelta(days=2)).isoformat(), "to": (now + timedelta(days=8)).isoformat()}
    assert [s["id"] for s in (await api.get("/leader-sessions", params=window)).json()] == [
        second.json()["id"]
    ]
    by_unit = (await api.get("/leader-sessions", params={"unit_id": "WJ-URBAN"})).json()
    assert [s["unit_id"] for s in by_unit] == ["WJ-URBAN"]

    # A session over is off the default view, still in a window that reaches back to it.
    await api.env.sleep(timedelta(days=1, hours=3))
    assert [s["leader_name"] for s in (await api.get("/leader-sessions")).json()] == ["李娜"]
    back = {"from": now.isoformat()}
    assert len((await api.get("/leader-sessions", params=back)).json()) == 2


async def test_a_session_is_checked_before_it_goes_on_the_roster(api: Api) -> None:
    start = await api.now() + timedelta(days=3)
    assert (await api.post("/leader-sessions", session_body(start))).status_code == 201

    def code(response: Any) -> tuple[int, str, str | None]:
        body = response.json()
        return response.status_code, body["code"], body.get("rule")

    overlap = await api.post("/leader-sessions", session_body(start + timedelta(hours=1)))
    assert code(overlap) == (409, "SESSION_OVERLAPS", "A7")
    backwards = await api.post("/leader-sessions", session_body(start + timedelta(days=1), hours=-1))
    assert code(backwards) == (422, "SESSION_ENDS_BEFORE_IT_STARTS", "A7")
    endless = await api.post("/leader-sessions", session_body(start + timedelta(days=1), hours=13))
    assert code(endless) == (422, "SESSION_TOO_LONG", "A7")
    town = await api.post("/leader-sessions", session_body(start + timedelta(days=2), unit_id="WJ-URBAN-XH"))
    assert code(town) == (422, "NOT_A_LEADERS_UNIT", "A7")
    unknown = await api.post("/leader-sessions", session_body(start + timedelta(days=2), unit_id="NOPE"))
    assert code(unknown)[:2] == (422, "UNKNOWN_UNIT")
    naive = await api.post("/leader-sessions", session_body(start) | {"starts_at": "2026-12-03T09:00:00"})
    assert code(naive)[:2] == (422, "INVALID_INPUT")
    # The same leader right after the first session, and another leader at the same time: both fine.
    assert (await api.post("/leader-sessions", session_body(start + timedelta(hours=2)))).status_code == 201
    other = session_body(start, leader_name="李娜", unit_id="WJ-URBAN")
    assert (await api.post("/leader-sessions", other)).status_code == 201
    empty = await api.get("/leader-sessions", params={"from": start.isoformat(), "to": start.isoformat()})
    assert code(empty)[:2] == (422, "EMPTY_WINDOW")
    assert (await api.post("/leader-sessions", session_body(start), as_="urban")).status_code == 403
