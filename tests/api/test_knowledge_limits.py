"""The knowledge base through the API. A28: a policy's report lead, and error notices with their due
times, closed by the unit's correction; the counting itself is in tests/unit/test_knowledge_limits.py.
A29: a unit corrects its own points. A30/A31: shared with sub-centres, closed to other systems."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx

from db.seed import read_working_calendar
from domain.calendar import WorkingCalendar
from domain.knowledge import ErrorSeverity, correction_due
from operations.credentials import issue_credential
from tests.api.support import Api, at


async def calendar(api: Api) -> WorkingCalendar:
    async with api.session_maker() as session:
        return await read_working_calendar(session)


async def put(api: Api, path: str, body: dict[str, Any], as_: str) -> httpx.Response:
    return await api.http.put(path, json=body, headers=api.auth(as_))


async def upload(api: Api, as_: str = "power", **fields: Any) -> httpx.Response:
    return await api.post(
        "/knowledge-points", {"title": "阶梯电价调整", "body": "自明年起执行。"} | fields, as_=as_
    )


async def errors(api: Api, as_: str = "operator", **params: str) -> list[dict[str, Any]]:
    response = await api.get("/knowledge-points/errors", as_=as_, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_policy_records_how_many_working_days_ahead_it_was_reported(api: Api) -> None:
    """A28.2: 3–10 working days before publication. Recorded for assessment, not refused."""
    days = await calendar(api)
    today = days.local_date(await api.now())

    def working_days_ahead(n: int) -> date:
        return days.nth_working_day_after(today, n)[0]

    for ahead, timing in ((5, "on_time"), (1, "late"), (15, "early")):
        response = await upload(api, kind="policy", publishes_on=working_days_ahead(ahead).isoformat())
        assert response.status_code == 201, response.text
        point = response.json()
        assert (point["kind"], point["report_lead_working_days"], point["report_timing"]) == (
            "policy",
            ahead,
            timing,
        )

    duty = (await upload(api, title="供电营业厅", body="营业时间 8:30–17:30")).json()
    assert (duty["kind"], duty["publishes_on"], duty["report_timing"]) == ("duty", None, None)

    missing = await upload(api, kind="policy")
    assert (missing.status_code, missing.json()["code"], missing.json()["rule"]) == (
        422,
        "PUBLICATION_DAY_REQUIRED",
        "A28.2",
    )
    stray = await upload(api, kind="event_script", publishes_on=today.isoformat())
    assert (stray.status_code, stray.json()["code"]) == (422, "PUBLICATION_DAY_ONLY_FOR_POLICY")
    nonsense = await upload(api, kind="rumour")
    assert (nonsense.status_code, nonsense.json()["code"]) == (422, "INVALID_INPUT")


async def test_an_error_notice_is_due_in_2_working_days_and_closed_by_the_units_correction(api: Api) -> None:
    point = (await upload(api, title="停电公告", body="联系电话 95598")).json()
    noticed = await api.now()
    response = await api.post(
        f"/knowledge-points/{point['id']}/errors", {"severity": "general", "note": "联系电话已变更"}
    )
    assert response.status_code == 201, response.text
    notice = response.json()
    expected = correction_due(await calendar(api), noticed, ErrorSeverity.GENERAL)
    assert abs(at(notice["due_at"]) - expected.due_at) < timedelta(seconds=5)
    assert (notice["unit_id"], notice["state"]) == ("WJ-POWER", "open")

    # The owning unit sees it; another unit neither sees it nor may correct the point.
    assert [n["id"] for n in await errors(api, as_="power")] == [notice["id"]]
    assert await errors(api, as_="urban") == []
    other = await api.get("/knowledge-points/errors", as_="urban", params={"unit_id": "WJ-POWER"})
    assert (other.status_code, other.json()["code"]) == (403, "NOT_YOUR_UNIT")
    refused = await put(api, f"/knowledge-points/{point['id']}", {"title": "t", "body": "b"}, as_="urban")
    assert (refused.status_code, refused.json()["code"], refused.json()["rule"]) == (
        403,
        "NOT_YOUR_UNIT",
        "A29",
    )

    await api.sleep_until(at(notice["due_at"]) + timedelta(minutes=1))
    assert [n["id"] for n in await errors(api, state="overdue")] == [notice["id"]]
    assert await errors(api, state="open") == []

    corrected = await put(
        api,
        f"/knowledge-points/{point['id']}",
        {"title": "停电公告", "body": "联系电话 95598-1"},
        as_="power",
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["body"] == "联系电话 95598-1" and corrected.json()["corrected_at"]
    [closed] = await errors(api)
    assert closed["state"] == "corrected_late"
    assert await errors(api, state="overdue") == []
    assert [n["id"] for n in await errors(api, state="corrected_late")] == [notice["id"]]


async def test_a_major_error_is_due_in_24_hours(api: Api) -> None:
    point = (
        await upload(api, kind="event_script", title="台风停电应答口径", body="抢修进度以公告为准")
    ).json()
    notice = (
        await api.post(
            f"/knowledge-points/{point['id']}/errors", {"severity": "major", "note": "抢修电话有误"}
        )
    ).json()
    assert at(notice["due_at"]) - at(notice["noticed_at"]) == timedelta(hours=24)
    await api.env.sleep(timedelta(hours=3))
    await put(
        api,
        f"/knowledge-points/{point['id']}",
        {"title": "台风停电应答口径", "body": "抢修电话 95598"},
        as_="power",
    )
    assert [n["state"] for n in await errors(api, as_="power")] == ["corrected_on_time"]


async def test_only_the_hotline_gives_error_notices(api: Api) -> None:
    point = (await upload(api)).json()
    by_unit = await api.post(
        f"/knowledge-points/{point['id']}/errors", {"severity": "general", "note": "x"}, as_="urban"
    )
    assert by_unit.status_code == 403
    unknown = await api.post("/knowledge-points/kp-nope/errors", {"severity": "general", "note": "x"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "KNOWLEDGE_POINT_NOT_FOUND")
    bad = await api.post(f"/knowledge-points/{point['id']}/errors", {"severity": "minor", "note": "x"})
    assert bad.status_code == 422
    assert isinstance(datetime.fromisoformat(point["uploaded_at"]), datetime)


async def test_the_knowledge_base_is_shared_with_sub_centres_and_closed_to_other_systems(api: Api) -> None:
    """A31: a sub-centre's points join 12345's knowledge base the moment they are uploaded, for the hotline
    and every unit. A30: the content is the hotline's and the units'; another system (an integrator's
    credential) or anyone without a credential cannot read it."""
    created = await api.post(
        "/units", {"id": "SC-12328", "name": "交通运输服务监督分中心", "tier": 2, "kind": "sub_centre"}
    )
    assert created.status_code == 201, created.text
    issued = await issue_credential(
        api.session_maker, role="unit_staff", name="分中心坐席", unit_id="SC-12328"
    )
    api.tokens["sub_centre"] = issued.token

    point = await upload(api, as_="sub_centre", title="出租车投诉受理", body="出租车服务投诉由12328受理")
    assert point.status_code == 201, point.text
    for reader in ("operator", "urban", "sub_centre"):
        page = (await api.get("/knowledge-points", as_=reader, params={"unit_id": "SC-12328"})).json()
        assert [p["id"] for p in page["items"]] == [point.json()["id"]], reader

    assert (await api.get("/knowledge-points", as_="integrator")).status_code == 403
    assert (await api.get("/knowledge-points", as_=None)).status_code == 401


async def test_the_knowledge_base_is_searched_by_words(api: Api) -> None:
    """A12: the operator answering on the spot finds points by the words they hold, in the title or the
    text, every word required; `%` and `_` are plain characters; `kind` narrows it."""
    water = (await upload(api, title="浈江区停水通知", body="12 月 3 日 8:00–18:00 东河片区停水")).json()
    power = (await upload(api, title="计划停电", body="浈江区 12 月 5 日检修停电")).json()
    odd = (await upload(api, title="折扣 50%_以上", body="x")).json()

    async def found(**params: str) -> set[str]:
        response = await api.get("/knowledge-points", as_="operator", params=params | {"limit": "200"})
        assert response.status_code == 200, response.text
        return {p["id"] for p in response.json()["items"]}

    assert {water["id"], power["id"]} <= await found(q="浈江")
    assert water["id"] in await found(q="停水 东河") and power["id"] not in await found(q="停水 东河")
    assert await found(q="50%_") == {odd["id"]}
    assert water["id"] not in await found(q="5_%")
    assert await found(q="停水", kind="policy") == set()
