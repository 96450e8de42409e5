"""What people look at, through HTTP: the files (CSV and xlsx read back), hot spots, the dashboard by scope,
the report pages' access, and `/metrics` on the API and on the worker (parsed with prometheus-client).

One week, built once (its own time-skipping server), then only read. Monday 09:00 Asia/Shanghai:
- T1 (WJ-URBAN, signed for): its content starts with `=` and its location with `+`: formula injection.
- T2 (WJ-URBAN, signed for, forwarded to WJ-URBAN-XH).
- T3 (WJ-POWER) and T4 (WJ-URBAN, a confidential requester, A32): never signed for.
Wednesday 09:00: T5 (WJ-POWER), never signed for. Friday 10:00: T3 and T4 are more than 2 WD past their
sign-for limit (end of Tuesday): red; T5 past its own (end of Thursday): yellow (A22).
"""

from __future__ import annotations

import csv
import io
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from openpyxl import load_workbook
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.app import create_app
from api.exports import header
from db.gauges import read_model_gauges
from tests.api.support import Api, api_settings, serving
from tests.driver import own_time_skipping_server
from worker import ReadModelGauges, build_worker, telemetry

SCRAPE_TOKEN = "scrape-only-token-for-the-test"
FORMULA = '=HYPERLINK("http://evil.example","点我")'
WEEK = {"from": "2026-01-01T00:00:00+08:00", "to": "2100-01-01T00:00:00+08:00"}


@dataclass(frozen=True)
class World:
    api: Api
    nos: dict[str, str]
    period: dict[str, str]


async def _ticket(api: Api, unit: str, *, sign: bool, **overrides: Any) -> str:
    no: str = (await api.register(dispatch_to=unit, **overrides))["ticket_no"]
    if sign:
        await api.act(no, "sign-for", as_={"WJ-URBAN": "urban", "WJ-POWER": "power"}[unit])
    return no


@pytest.fixture(scope="module")
async def world(module_session_maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[World]:
    async with (
        own_time_skipping_server() as env,
        serving(env, module_session_maker, metrics_token=SCRAPE_TOKEN) as api,
    ):
        await api.weekends_only()
        monday = await api.next_monday()
        await api.sleep_until(monday)
        nos = {
            "t1": await _ticket(api, "WJ-URBAN", sign=True, content=FORMULA, location="+武江区解放路 1 号"),
            "t2": await _ticket(api, "WJ-URBAN", sign=True),
            "t3": await _ticket(api, "WJ-POWER", sign=False),
            "t4": await _ticket(
                api,
                "WJ-URBAN",
                sign=False,
                requester={"name": "王芳", "phone": "13900000000", "confidential": True},
            ),
        }
        await api.act(nos["t2"], "forward", {"sub_unit": "WJ-URBAN-XH"}, as_="urban")
        await api.sleep_until(monday + timedelta(days=2))
        nos["t5"] = await _ticket(api, "WJ-POWER", sign=False)
        await api.sleep_until(monday + timedelta(days=4, hours=1))
        for no, card in ((nos["t3"], "red"), (nos["t4"], "red"), (nos["t5"], "yellow")):
            await api.until(no, lambda v, card=card: v["card"] == card)
        for no in nos.values():
            await api.listed(no, (await api.ticket(no))["revision"])
        period = {"from": monday.isoformat(), "to": (monday + timedelta(days=7)).isoformat()}
        yield World(api, nos, period)


def csv_rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def xlsx_rows(response: httpx.Response, sheet: str) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert (
        response.headers["content-type"]
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    ws = load_workbook(io.BytesIO(response.content), read_only=True)[sheet]
    head, *rows = list(ws.iter_rows(values_only=True))
    return [{str(h): ("" if v is None else v) for h, v in zip(head, row, strict=True)} for row in rows]


def filename(response: httpx.Response) -> tuple[str, str]:
    """The ASCII `filename` and the RFC 5987 `filename*` of Content-Disposition."""
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; ")
    parts = dict(p.strip().split("=", 1) for p in disposition.split(";")[1:])
    assert parts["filename*"].startswith("UTF-8''")
    return parts["filename"].strip('"'), unquote(parts["filename*"].removeprefix("UTF-8''"))


async def test_the_bulletin_and_assessment_files_read_back_as_the_json_says(world: World) -> None:
    api = world.api
    bulletin = (await api.get("/reports/bulletin", params=world.period)).json()
    from_csv = csv_rows(await api.get("/reports/bulletin.csv", params=world.period))
    xlsx = await api.get("/reports/bulletin.xlsx", params=world.period)
    from_xlsx = xlsx_rows(xlsx, "单位办理情况")
    day = world.period["from"][:10]
    assert filename(xlsx)[1].startswith(f"12345热线通报_{day}_") and filename(xlsx)[1].endswith(".xlsx")
    assert filename(xlsx)[0].startswith("hotline-bulletin_")
    assert [r["单位编码"] for r in from_csv] == [u["unit"] for u in bulletin["units"]]
    for line, in_csv, in_xlsx in zip(bulletin["units"], from_csv, from_xlsx, strict=True):
        assert in_csv["单位名称"] == in_xlsx["单位名称"] == line["name"]
        for field in ("received", "open", "yellow", "red", "yellow_cards", "red_cards", "returns_applied"):
            assert int(in_csv[header(field)]) == in_xlsx[header(field)] == line[field], field
        assert int(in_csv["办理评价·不满意"]) == line["satisfaction"]["dissatisfied"]
    power = next(u for u in bulletin["units"] if u["unit"] == "WJ-POWER")
    assert (power["received"], power["red_cards"], power["yellow_cards"]) == (2, 1, 2)  # T3 yellow then red
    volumes = {(r["分类"], r["项目"]): r["数量"] for r in xlsx_rows(xlsx, "受理总量")}
    assert volumes[("total", "合计")] == bulletin["volumes"]["total"] == 5
    assert volumes[("category", "complaint")] == bulletin["volumes"]["by_category"]["complaint"]

    assessment = (await api.get("/reports/assessment", params=world.period)).json()
    scored = csv_rows(await api.get("/reports/assessment.csv", params=world.period))
    assert [(r["单位编码"], r["考核得分"]) for r in scored] == [
        (u["unit"], "" if u["score"] is None else str(u["score"])) for u in assessment["units"]
    ]
    # The same access as the JSON: a unit's bulletin for that unit only; the assessment for the office.
    assert (
        await api.get("/reports/bulletin.csv", params=world.period | {"unit": "WJ-POWER"}, as_="urban")
    ).status_code == 403
    assert (await api.get("/reports/assessment.xlsx", params=world.period, as_="urban")).status_code == 403


async def test_the_ticket_list_file_has_every_line_of_the_list_with_formulas_defused(world: World) -> None:
    api = world.api
    listed = (await api.get("/tickets", params={"limit": 200})).json()
    response = await api.get("/tickets.csv")
    rows = csv_rows(response)
    assert (
        response.headers["x-total-count"] == str(listed["total"])
        and response.headers["x-export-truncated"] == "false"
    )
    assert filename(response) == ("hotline-tickets.csv", "12345热线工单列表.csv")
    assert [r["工单编号"] for r in rows] == [t["ticket_no"] for t in listed["items"]]
    t1 = next(r for r in rows if r["工单编号"] == world.nos["t1"])
    assert t1["诉求内容"] == "'" + FORMULA and t1["事发地点"] == "'+武江区解放路 1 号"  # OWASP: not a formula
    assert t1["登记时间"].endswith("+08:00") and t1["诉求人"] == "李*"  # masked, as in the list (A32)
    book = xlsx_rows(await api.get("/tickets.xlsx", params={"card": "red"}), "工单列表")
    red = (await api.get("/tickets", params={"card": "red"})).json()["items"]
    assert (
        [r["工单编号"] for r in book] == [t["ticket_no"] for t in red] == [world.nos["t4"], world.nos["t3"]]
    )
    # A unit's file is its queue; an unknown filter is refused as on the list.
    mine = csv_rows(await api.get("/tickets.csv", as_="power"))
    assert {r["工单编号"] for r in mine} == {world.nos["t3"], world.nos["t5"]}
    refused = await api.get("/tickets.csv", params={"stgae": "handling"})
    assert (refused.status_code, refused.json()["code"]) == (422, "UNKNOWN_PARAMETER")


async def test_the_dashboard_shows_each_caller_its_own_tree(world: World) -> None:
    api, nos = world.api, world.nos

    async def board(caller: str, **params: Any) -> dict[str, tuple[int, int, list[str]]]:
        response = await api.get("/reports/dashboard", as_=caller, params=params)
        assert response.status_code == 200, response.text
        return {
            u["unit"]: (u["yellow"], u["red"], [t["ticket_no"] for t in u["tickets"]])
            for u in response.json()["units"]
        }

    everything = {"WJ-POWER": (1, 1, [nos["t3"], nos["t5"]]), "WJ-URBAN": (0, 1, [nos["t4"]])}
    assert await board("operator") == everything
    uncleared = everything | {"WJ-URBAN": (0, 1, [])}  # A32: counted, not listed
    assert await board("operator_uncleared") == uncleared
    assert await board("county") == uncleared  # WJ: both are below it (A6)
    assert await board("urban") == {"WJ-URBAN": (0, 1, [])}
    assert await board("xinhua") == {} and await board("zhenjiang") == {}
    assert await board("operator", unit="WJ-POWER") == {"WJ-POWER": everything["WJ-POWER"]}
    refused = await api.get("/reports/dashboard", as_="urban", params={"unit": "WJ-POWER"})
    assert (refused.status_code, refused.json()["code"]) == (403, "NOT_YOUR_UNIT")
    assert (await api.get("/reports/dashboard", as_="integrator")).status_code == 403
    friday = (datetime.fromisoformat(world.period["from"]) + timedelta(days=4)).date()
    days = (await api.get("/reports/dashboard")).json()
    assert (days["due_today"]["day"], days["due_next_working_day"]["day"]) == (
        friday.isoformat(),
        (friday + timedelta(days=3)).isoformat(),  # the Monday after: the next working day
    )


async def test_hot_spots_through_the_api(world: World) -> None:
    response = await world.api.get("/reports/hotspots", params={"week": world.period["from"][:10]})
    assert response.status_code == 200, response.text
    items = {(i["matter_type"], i["district"]): i for i in response.json()["items"]}
    # Five complaints with no domain, all in 武江区 (WJ is the county, A3 属地), new this week.
    spot = items[("投诉", "WJ")]
    assert (spot["counts"], spot["rising"], spot["new"], spot["district_name"]) == (
        [0, 0, 0, 0, 5],
        True,
        True,
        "武江区",
    )
    power = (
        await world.api.get("/reports/hotspots", as_="power", params={"week": world.period["from"][:10]})
    ).json()
    assert [(i["matter_type"], i["this_week"]) for i in power["items"]] == [("投诉", 2)]


async def test_the_report_pages_let_in_the_staff_only(world: World) -> None:
    api = world.api
    anonymous = await api.get("/reports/dashboard.html", as_=None)
    assert anonymous.status_code == 401 and "/reports/sign-in" in anonymous.text
    assert (await api.get("/reports/dashboard.html", as_="integrator")).status_code == 403
    signed = await api.http.post("/reports/sign-in", data={"token": api.tokens["operator"]})
    assert signed.status_code == 200 and "httponly" in signed.headers["set-cookie"].lower()
    assert "path=/reports" in signed.headers["set-cookie"].lower()
    page = await api.http.get("/reports/bulletin.html", params=world.period)  # the cookie, no header
    assert page.status_code == 200 and page.text.count("<svg") == 4
    forever = {"from": "2001-01-01T00:00:00+08:00", "to": "2199-01-01T00:00:00+08:00"}
    far = await api.http.get("/reports/bulletin.html", params=forever)
    assert far.status_code == 200, far.text  # the trend and the hot spots so far
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy  # no script may run
    api.http.cookies.clear()
    wrong = await api.http.post("/reports/sign-in", data={"token": "nope"})
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers


def metrics_of(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    return {
        family.name: [(sample.labels, sample.value) for sample in family.samples]
        for family in text_string_to_metric_families(text)
    }


async def test_the_api_metrics_scraped_and_parsed(world: World) -> None:
    api = world.api
    assert (await api.get("/metrics", as_=None)).status_code == 401
    assert (await api.get("/metrics", as_="operator")).status_code == 401  # an operator's token is not it
    await api.get(f"/tickets/{world.nos['t1']}")
    await api.get("/reports/dashboard", as_="integrator")
    await api.get("/tickets.csv", params={"card": "red"})
    response = await api.http.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
    assert response.status_code == 200
    families = metrics_of(response.text)
    latency = families["hotline_http_request_duration_seconds"]
    routes = {labels["route"] for labels, _ in latency}
    assert {"/tickets/{no}", "/tickets", "/reports/dashboard", "/tickets.{fmt}"} <= routes
    assert not any(no in route for route in routes for no in world.nos.values())  # templates, not paths
    counted = {(labels["route"], labels["method"], labels["status"]) for labels, _ in latency}
    assert ("/reports/dashboard", "GET", "403") in counted
    tickets = {(labels["stage"], labels["card"]): value for labels, value in families["hotline_tickets"]}
    assert tickets[("dispatched", "red")] == 2 and tickets[("dispatched", "yellow")] == 1
    assert tickets[("handling", "green")] == 2 and sum(tickets.values()) == 5
    assert {labels["status"] for labels, _ in families["hotline_notices_outstanding"]} == {
        "pending",
        "dead_lettered",
        "held",
    }
    # Unset, the endpoint is not there at all.
    bare = create_app(api_settings("no-metrics"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bare), base_url="http://x") as http:
        assert (await http.get("/metrics", headers={"Authorization": "Bearer x"})).status_code == 404


async def test_the_worker_serves_temporal_s_metrics_and_the_read_model_s(world: World) -> None:
    api = world.api
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    runtime = telemetry(f"127.0.0.1:{port}")
    config = api.env.client.config()
    client = await Client.connect(
        api.env.client.service_client.config.target_host,
        namespace=api.env.client.namespace,
        data_converter=config["data_converter"],
        runtime=runtime,
    )
    queue = f"metrics-{uuid.uuid4()}"
    async with build_worker(client, api.session_maker, queue):
        gauges = ReadModelGauges(runtime.metric_meter, api.session_maker)
        await gauges.publish()
        async with httpx.AsyncClient() as http:
            text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    families = metrics_of(text)
    temporal = {name for name, samples in families.items() if name.startswith("temporal_")}
    assert any(labels.get("task_queue") == queue for name in temporal for labels, _ in families[name]), (
        temporal
    )
    tickets, _ = await read_model_gauges(api.session_maker)
    published = {(labels["stage"], labels["card"]): value for labels, value in families["hotline_tickets"]}
    assert published == {key: float(n) for key, n in tickets.items()}
