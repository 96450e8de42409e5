"""A23: linkage with 110/119/120/122 through the API, with a real worker, against emergency lines' systems
that are real HTTP servers on 127.0.0.1 (the JSON `POST {endpoint}/handovers` and `/results` they take)."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from operations.credentials import issue_credential
from tests.api.support import Api, closure_body, registration_body

NOT_AN_EMERGENCY = "小区楼道灯不亮"
GAS = "新华南路 12 号楼下闻到燃气泄漏的味道"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class LineSystem:
    """A line's dispatch system (接处警系统): records what it is sent, answers with its own reference."""

    line: str
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def of(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]


@pytest.fixture
def line_system() -> Iterator[Callable[[str], LineSystem]]:
    servers: list[ThreadingHTTPServer] = []

    def start(line: str) -> LineSystem:
        system = LineSystem(line)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with system.lock:
                    system.received.append(Received(self.path, dict(self.headers.items()), body))
                    n = len(system.received)
                answer = json.dumps({"reference": f"JJ-{line}-{n:04d}"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        system.url = f"http://127.0.0.1:{server.server_address[1]}"
        return system

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


async def configure(api: Api, system: LineSystem) -> None:
    response = await api.put(f"/linkage-lines/{system.line}", {"endpoint": system.url})
    assert response.status_code == 200, response.text


async def line_credential(api: Api, line: str) -> str:
    name = f"line{line}"
    if name not in api.tokens:
        issued = await issue_credential(
            api.session_maker, role="integrator", name=f"{line} 指挥中心", line=line
        )
        api.tokens[name] = issued.token
    return name


async def eventually(check: Callable[[], Any], what: str) -> Any:
    for _ in range(200):
        found = check()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"not reached: {what}")


async def events(api: Api, no: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in (await api.ticket(no))["timeline"] if e["kind"] == kind]


async def registered(api: Api, **overrides: Any) -> str:
    return str((await api.register(**overrides))["ticket_no"])


# -- the emergency-matter list ---------------------------------------------------------------------------------
async def test_a23_a_matter_type_added_to_the_list_makes_the_next_registration_an_emergency(api: Api) -> None:
    """A23 「动态调整的突发事项清单」: the office adds a matter at run time; the next registration naming it is an
    emergency (A17.3: handled within 2 hours) linked to the entry's lines, without the operator's flag."""
    before = await api.ticket(await registered(api, content=GAS))
    assert (before["emergency"], before["linkage"]) == (False, [])
    put = await api.put(
        "/emergency-matters/gas-leak",
        {"matter_type": "燃气泄漏", "keywords": ["燃气泄漏", "煤气味"], "lines": ["119"]},
    )
    assert put.status_code == 200, put.text
    assert [m["id"] for m in (await api.get("/emergency-matters")).json()] == ["gas-leak"]
    gas = await api.register(content=GAS)
    t = await api.ticket(gas["ticket_no"])
    assert t["emergency"] is True and "handle" in t["clocks"], t
    assert t["linkage"] == ["119"]
    by_type = await api.ticket(await registered(api, content="有异味", matter_type="燃气泄漏"))
    assert by_type["emergency"] is True
    plain = await api.ticket(await registered(api, content=NOT_AN_EMERGENCY))
    assert plain["emergency"] is False
    assert (await api.delete("/emergency-matters/gas-leak")).status_code == 204
    assert (await api.ticket(await registered(api, content=GAS)))["emergency"] is False
    refused = await api.put("/emergency-matters/gas-leak", {"matter_type": "x"}, as_="urban")
    assert refused.status_code == 403


# -- a hand-over, acknowledged or not ---------------------------------------------------------------------------
async def test_a23_a_hand_over_the_line_acknowledges(
    api: Api, line_system: Callable[[str], LineSystem]
) -> None:
    police = line_system("110")
    await configure(api, police)
    no = await registered(api, emergency=True, linkage=["110"], content="路口有人持刀闹事")
    [handover] = await eventually(lambda: police.of("/handovers"), "the hand-over reaches 110")
    assert handover.body["ticket_no"] == no and handover.body["line"] == "110"
    assert handover.headers["Idempotency-Key"] == f"ticket-{no}-linkage-110"
    assert "李华" not in json.dumps(handover.body, ensure_ascii=False) and "13800000000" not in str(
        handover.body
    )
    await eventually(lambda: events(api, no, "linkage_handed_over"), "the ticket records the hand-over")

    token = await line_credential(api, "110")
    ack = {"by": "110指挥中心 3号台", "reference": "JJ20261201-0042"}
    first = await api.post(f"/linkages/{no}/110/acknowledgement", ack, as_=token)
    assert first.status_code == 200, first.text
    assert (first.json()["acknowledged_by"], first.json()["reference"]) == (
        "110指挥中心 3号台",
        "JJ-110-0001",
    )
    again = await api.post(f"/linkages/{no}/110/acknowledgement", ack | {"by": "someone else"}, as_=token)
    assert again.json()["acknowledged_by"] == "110指挥中心 3号台"  # idempotent: the first stands
    [acknowledged] = await eventually(lambda: events(api, no, "linkage_acknowledged"), "the ack is recorded")
    assert (acknowledged["rule"], acknowledged["actor"]) == ("A23", "linkage:110")
    t = await api.ticket(no)
    assert t["clocks"]["linkage_ack:110"]["met_at"] is not None
    await api.env.sleep(timedelta(minutes=10))
    assert not await events(api, no, "linkage_escalated")
    assert len(police.of("/handovers")) == 1


async def test_a23_a_hand_over_not_acknowledged_is_escalated_at_the_rule_set_time(
    api: Api, line_system: Callable[[str], LineSystem]
) -> None:
    """A23: no acknowledgement within the rule set's `linkage_ack` (5 minutes): the duty officer is told and
    the hotline's own card turns; the unit's card is not touched."""
    fire = line_system("119")
    await configure(api, fire)
    no = await registered(api, emergency=True, linkage=["119"], content="仓库冒烟")
    await eventually(lambda: events(api, no, "linkage_handed_over"), "handed over")
    await api.env.sleep(timedelta(minutes=4))
    assert not await events(api, no, "linkage_escalated")
    await api.env.sleep(timedelta(minutes=2))
    [escalated] = await eventually(lambda: events(api, no, "linkage_escalated"), "escalated after 5 minutes")
    assert escalated["notify"] == ["hotline"] and escalated["data"]["line"] == "119"
    cards = [e for e in await events(api, no, "card_changed") if e["data"]["clock"] == "linkage_ack:119"]
    assert cards and cards[0]["data"]["charged_to"] == "hotline" and cards[0]["data"]["after"] == "yellow"
    t = await api.ticket(no)
    assert t["clocks"]["linkage_ack:119"]["card"] == "yellow"
    # A late acknowledgement is still recorded.
    token = await line_credential(api, "119")
    late = await api.post(f"/linkages/{no}/119/acknowledgement", {"by": "119 值班员"}, as_=token)
    assert late.status_code == 200 and late.json()["escalated"] is True
    await eventually(lambda: events(api, no, "linkage_acknowledged"), "late acknowledgement recorded")


async def test_a23_one_line_s_credential_cannot_acknowledge_another_line_s_hand_over(
    api: Api, line_system: Callable[[str], LineSystem]
) -> None:
    police = line_system("110")
    await configure(api, police)
    no = await registered(api, emergency=True, linkage=["110"], content="有人落水")
    await eventually(lambda: police.of("/handovers"), "handed over")
    fire = await line_credential(api, "119")
    refused = await api.post(f"/linkages/{no}/110/acknowledgement", {"by": "119"}, as_=fire)
    assert (refused.status_code, refused.json()["code"], refused.json()["rule"]) == (
        403,
        "LINE_MISMATCH",
        "A23",
    )
    for caller in ("integrator", "urban"):
        not_a_line = await api.post(f"/linkages/{no}/110/acknowledgement", {"by": "x"}, as_=caller)
        assert (not_a_line.status_code, not_a_line.json()["code"]) == (403, "LINE_MISMATCH")
    assert not await events(api, no, "linkage_acknowledged")


async def test_a23_an_unconfigured_line_is_unreachable_and_the_duty_officer_told(api: Api) -> None:
    no = await registered(api, emergency=True, linkage=["120"], content="老人晕倒")
    [unreachable] = await eventually(lambda: events(api, no, "linkage_unreachable"), "recorded unreachable")
    assert unreachable["notify"] == ["hotline"] and unreachable["data"]["line"] == "120"


async def test_a23_an_integrator_links_an_existing_ticket(
    api: Api, line_system: Callable[[str], LineSystem]
) -> None:
    traffic = line_system("122")
    await configure(api, traffic)
    no = await registered(api, content="路口信号灯故障，车辆拥堵")
    linked = await api.post(f"/tickets/{no}/linkage", {"lines": ["122"]}, as_="integrator")
    assert linked.status_code == 200, linked.text
    await eventually(lambda: traffic.of("/handovers"), "122 receives the hand-over")
    [event] = await events(api, no, "emergency_linkage")
    assert event["notify"] == ["linkage:122"] and event["rule"] == "A23"
    again = await api.post(f"/tickets/{no}/linkage", {"lines": ["122"]})
    assert (again.status_code, again.json()["code"]) == (409, "ALREADY_LINKED")
    # A line named twice is one linkage (one child workflow per line), as a co-unit named twice is one.
    twice = await api.post(f"/tickets/{no}/linkage", {"lines": ["120", "120"]})
    assert twice.status_code == 200, twice.text
    assert [x["line"] for x in twice.json()] == ["120"]
    unit = await api.post(f"/tickets/{no}/linkage", {"lines": ["110"]}, as_="urban")
    assert unit.status_code == 403


# -- a matter a line hands to 12345 ---------------------------------------------------------------------------
async def test_a23_a_matter_handed_over_by_110_is_told_its_result(
    api: Api, line_system: Callable[[str], LineSystem]
) -> None:
    """A23 「双向移交」: 110 hands a non-emergency matter to 12345 with its own reference; when the ticket
    concludes, 110's system is told the result under that reference."""
    police = line_system("110")
    await configure(api, police)
    token = await line_credential(api, "110")
    source = {"line": "110", "reference": "JJ20261201-0099"}
    body = {"channel": "linkage", "linkage_source": source, "dispatch_to": None}
    wrong_line = await api.post("/tickets", registration_body(**body), as_=await line_credential(api, "119"))
    assert (wrong_line.status_code, wrong_line.json()["code"]) == (403, "LINE_MISMATCH")
    no_channel = await api.post(
        "/tickets", registration_body(linkage_source=source, dispatch_to=None), as_=token
    )
    assert (no_channel.status_code, no_channel.json()["code"]) == (422, "LINKAGE_SOURCE")
    created = await api.post("/tickets", registration_body(**body), as_=token)
    assert created.status_code == 201, created.text
    no = created.json()["ticket_no"]
    await api.act(no, "dispatch", {"lead_unit": "WJ-URBAN"})
    await api.act(no, "sign-for", as_="urban")
    await api.act(no, "contacts", {"reached": True, "purpose": "result"}, as_="urban")
    await api.act(
        no, "closure", closure_body(["修复解放路路灯", "说明维修时限"], await api.now()), as_="urban"
    )
    await api.act(no, "closure/review", {"approve": True})
    rated = await api.post(
        f"/public/tickets/{no}/rating",
        {"acceptance": ["satisfied"], "handling": ["satisfied"]},
        as_=None,
        headers={"X-Rating-Code": created.json()["rating_code"]},
    )
    assert rated.status_code == 200, rated.text
    [result] = await eventually(lambda: police.of("/results"), "110 is told the result")
    assert (result.body["ticket_no"], result.body["reference"], result.body["outcome"]) == (
        no,
        "JJ20261201-0099",
        "closed",
    )
    assert result.body["answer"] == "路灯已恢复照明" and result.headers["Idempotency-Key"] == f"result-{no}"
    [told] = await eventually(lambda: events(api, no, "linkage_result_told"), "recorded on the timeline")
    assert told["data"]["told"] is True
