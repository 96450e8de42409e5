"""A10.6 and A18 at registration, and 并案 (joining), through HTTP against the real app with a real worker.

- A10.6: a caller raising the matter an open ticket holds is offered it (score, stage, why), in the
  registration's answer and from `POST /registrations/repeat-candidates`; a different matter at the same
  place is not a likely repeat; an operator without clearance never sees a confidential requester's ticket.
- A18 without `repeat_of`: the same requester raising a matter closed by a termination notice is refused,
  the notice cited (409 MATTER_TERMINATED); with new facts it is registered.
- A10.6 with A12: the office's synonym groups (`/knowledge-synonyms`, the search's) are the repeats'
  vocabulary: a group the office adds makes the next check count its words as one, and removing it undoes
  that.
- 并案: a new ticket joined to an open one ends as joined, its requester is told the earlier number; when
  the earlier one concludes, the joined ticket's requester gets the result by SMS (a real HTTP gateway on
  127.0.0.1, the dispatcher draining the outbox) and on their progress view. Joining is refused to itself,
  to a concluded or joined ticket, across categories, twice, and for a ticket others are joined to.
"""

from __future__ import annotations

import asyncio
from typing import Any

from db.models import TerminatedMatterRow
from tests.api.journeys import drain
from tests.api.support import Api, closure_body, error, rate, registration_body, ticket_in
from tests.delivery.support import HttpGateway, serving
from tests.support import on_each_database

PLACE = "武江区新华南路88号"
LAMP = "新华南路88号门口那排路灯坏了一个礼拜了，晚上黑乎乎的，老人出门都摔了"
LAMP_AGAIN = "你好，新华南路的路灯一直不亮，已经七八天了，希望尽快修一下"


async def candidates(api: Api, body: dict[str, Any], as_: str = "operator") -> list[dict[str, Any]]:
    found = await api.post("/registrations/repeat-candidates", body, as_=as_)
    assert found.status_code == 200, found.text
    items: list[dict[str, Any]] = found.json()["items"]
    return items


async def projected(api: Api, no: str, stage: str) -> None:
    """The read model has the ticket at `stage` (candidates come from SQL, which lags the workflow)."""
    await api.listed(no, (await api.ticket(no))["revision"], stage=stage)


@on_each_database  # the candidate SQL (LIKE with its escapes, the phone index) on PostgreSQL too
async def test_a10_6_repeats_are_offered_and_a18_refuses_a_terminated_matter_without_repeat_of(
    api: Api,
) -> None:
    earlier = await api.register(
        content=LAMP, location=PLACE, requester={"name": "王芳", "phone": "13700000001"}
    )
    other = await api.register(content="新华南路88号门口的井盖丢了，一个大洞", location=PLACE)
    for no in (earlier["ticket_no"], other["ticket_no"]):
        await projected(api, no, "dispatched")

    # A10.6: another caller on the same lamp is offered the open ticket, in the registration's answer.
    created = await api.register(
        content=LAMP_AGAIN, location="韶关市武江区新华南路88号附近", requester={"phone": "+86 139-0000-0002"}
    )
    offered = {c["ticket_no"]: c for c in created["repeat_candidates"]}
    lamp = offered[earlier["ticket_no"]]
    assert lamp["likely_repeat"] and lamp["reasons"] == ["same_place"] and lamp["stage"] == "dispatched"
    assert lamp["score"] >= 0.09 and lamp["requester"]["masked"] and lamp["requester"]["name"] == "王*"
    # The manhole at the same door is another matter: offered (same place), not as a likely repeat.
    assert other["ticket_no"] not in offered or not offered[other["ticket_no"]]["likely_repeat"]
    assert created["repeat_candidates"][0]["ticket_no"] == earlier["ticket_no"]

    # While the caller is on the line: the same requester's number, however written, finds their ticket.
    mine = await candidates(api, {"content": "上次说的事还没人来", "requester_phone": "137 0000 0001"})
    assert [c["ticket_no"] for c in mine] == [earlier["ticket_no"]] and mine[0]["reasons"] == [
        "same_requester"
    ]
    assert (
        await api.post("/registrations/repeat-candidates", {"content": "x"}, as_="urban")
    ).status_code == 403
    bad = await api.post("/registrations/repeat-candidates", {"content": "x", "requester_phone": "abc"})
    assert error(bad) == (422, "INVALID_PHONE", "A11")

    # A32: a confidential requester's ticket is offered only to cleared operators.
    secret = await api.register(
        content=LAMP,
        location=PLACE,
        requester={"phone": "13600000003", "confidential": True},
        dispatch_to=None,
    )
    await projected(api, secret["ticket_no"], "registered")
    asked = {"content": LAMP_AGAIN, "location": PLACE}
    assert secret["ticket_no"] in {c["ticket_no"] for c in await candidates(api, asked)}
    assert secret["ticket_no"] not in {
        c["ticket_no"] for c in await candidates(api, asked, "operator_uncleared")
    }

    # A18: the same requester's matter, concluded, raised again and closed by a termination notice …
    concluded = await ticket_in(api, "concluded")
    first = await api.post("/tickets", registration_body(), key="a18-retried-registration")
    again = first.json()
    notice = {
        "notice_ref": "韶武城终字〔2026〕12号",
        "prior_ticket_no": concluded.no,
        "served_at": (await api.now()).isoformat(),
    }
    await api.act(again["ticket_no"], "termination", notice, as_="urban")
    await api.act(again["ticket_no"], "closure/review", {"approve": True, "reason": "无新情况、新理由"})
    await until_filed(api, again["ticket_no"])
    # … is refused at the door without repeat_of, the ticket and the notice cited (A18).
    body = registration_body(
        content="解放路的路灯还是不亮，都一个多礼拜了", requester={"phone": "138 0000 0000"}
    )
    refused = await api.post("/tickets", body)
    assert error(refused) == (409, "MATTER_TERMINATED", "A18")
    assert (
        again["ticket_no"] in refused.json()["message"]
        and "韶武城终字〔2026〕12号" in refused.json()["message"]
    )
    # A retry of the registration made before the notice answers with its ticket, not with the refusal.
    retried = await api.post("/tickets", registration_body(), key="a18-retried-registration")
    assert retried.status_code == 201 and retried.headers["Idempotent-Replayed"] == "true", retried.text
    # Another matter of the same requester, or the same one with new facts, is registered.
    assert (await api.post("/tickets", registration_body(content="楼下烧烤店油烟太大"))).status_code == 201
    with_facts = await api.post("/tickets", body | {"new_facts": "路灯修好后又坏，且灯杆倾斜"})
    assert with_facts.status_code == 201, with_facts.text


@on_each_database  # the groups are read from the database at every check
async def test_a10_6_an_office_synonym_group_counts_at_the_next_repeat_check(api: Api) -> None:
    hydrant = await api.register(content="新华南路88号门口的消防栓一直在往外喷水", location=PLACE)
    await projected(api, hydrant["ticket_no"], "dispatched")
    asked = {"content": "楼下消火栓被车撞歪了", "location": PLACE}

    async def offered() -> dict[str, Any] | None:
        found = await candidates(api, asked)
        return next((c for c in found if c["ticket_no"] == hydrant["ticket_no"]), None)

    # 消防栓 and 消火栓 are one thing, but no seeded group says so: nothing alike but the place.
    assert await offered() is None
    added = await api.post("/knowledge-synonyms", {"terms": ["消防栓", "消火栓"]})
    assert added.status_code == 201, added.text
    same = await offered()
    assert same is not None and same["likely_repeat"] and same["score"] >= 0.09, same
    assert same["reasons"] == ["same_place"]

    assert (await api.delete(f"/knowledge-synonyms/{added.json()['id']}")).status_code == 204
    assert await offered() is None


async def until_filed(api: Api, ticket_no: str) -> None:
    for _ in range(200):
        async with api.session_maker() as session:
            if await session.get(TerminatedMatterRow, ticket_no) is not None:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the termination notice never reached the register")


async def test_joining_a_ticket_tells_its_requester_the_earlier_number_and_then_the_result(api: Api) -> None:
    earlier = await api.register(
        content=LAMP, location=PLACE, requester={"name": "王芳", "phone": "13700000001"}
    )
    e = earlier["ticket_no"]
    new = await api.register(
        content=LAMP_AGAIN, location=PLACE, requester={"name": "赵强", "phone": "13900000002"}
    )
    n = new["ticket_no"]
    assert e in {c["ticket_no"] for c in new["repeat_candidates"] if c["likely_repeat"]}

    # 并案: refused to itself, to a concluded ticket, across categories (A10.6).
    assert error(await api.refused(n, "join", {"into": n})) == (422, "JOIN_TO_ITSELF", "A10.6")
    concluded = await ticket_in(api, "concluded")
    assert error(await api.refused(n, "join", {"into": concluded.no}))[:2] == (409, "JOIN_TARGET_CONCLUDED")
    question = await api.register(category="consultation", dispatch_to=None)
    refused = await api.refused(n, "join", {"into": question["ticket_no"]})
    assert error(refused)[:2] == (409, "JOIN_INCOMPATIBLE_MATTER")

    joined = await api.act(n, "join", {"into": e, "reason": "同一路灯故障"})
    assert (joined["stage"], joined["outcome"], joined["joined_to"]) == ("joined", "joined", e)
    assert all(c["met_at"] for c in joined["clocks"].values())  # its limits stop
    assert [ev["kind"] for ev in joined["timeline"]][-1] == "joined_to"
    carrying = await api.until(e, lambda t: n in t["joined"])
    assert carrying["timeline"][-1]["kind"] == "ticket_joined"
    # Twice, a ticket others wait on, or onto a joined ticket: refused.
    assert error(await api.refused(n, "join", {"into": e})) == (409, "ALREADY_JOINED", "A10.6")
    third = await api.register(content=LAMP_AGAIN, location=PLACE)
    assert error(await api.refused(e, "join", {"into": third["ticket_no"]}))[:2] == (
        409,
        "HAS_JOINED_TICKETS",
    )
    assert error(await api.refused(third["ticket_no"], "join", {"into": n}))[:2] == (
        409,
        "JOIN_TARGET_JOINED",
    )
    listed = await api.listed(n, joined["revision"], stage="joined")
    assert (listed["outcome"], listed["joined_to"]) == ("joined", e)

    # The earlier ticket is handled and concluded: its result is passed to the joined ticket (A20).
    await api.act(e, "sign-for", as_="urban")
    await api.act(e, "contacts", {"channel": "phone", "purpose": "result", "reached": True}, as_="urban")
    points = (await api.ticket(e))["request_points"]
    await api.act(e, "closure", closure_body(points, await api.now()), as_="urban")
    await api.act(e, "closure/review", {"approve": True})
    await rate(api, _secrets(earlier), "satisfied")
    told = await api.until(n, lambda t: t["joined_result"] is not None)
    assert told["joined_result"]["ticket_no"] == e and told["joined_result"]["result"] == "路灯已恢复照明"
    assert told["timeline"][-1]["kind"] == "joined_result" and "requester" in told["timeline"][-1]["notify"]
    # The joined ticket's workflow has ended, properly: it returned once it passed the result on.
    handle = api.env.client.get_workflow_handle(f"ticket-{n}")
    result = await handle.result()  # the run's small result (SLIM_RESULT); its state is the query's
    ended = await handle.query("state")
    assert (result["stage"], ended["stage"], ended["joined_result"]["ticket_no"]) == ("joined", "joined", e)
    sent = await api.until(e, lambda t: t["timeline"][-1]["kind"] == "joined_results_sent")
    assert sent["timeline"][-1]["data"]["ticket_nos"] == [n]

    # The joined requester's own view shows the result, point by point.
    page = await api.get(f"/public/tickets/{n}", as_=None, headers={"X-Access-Secret": new["access_secret"]})
    assert page.status_code == 200, page.text
    view = page.json()
    assert (view["stage"], view["joined_to"], view["joined_result"]) == ("joined", e, "路灯已恢复照明")
    assert view["answer"]["result"] == "路灯已恢复照明"
    assert [p["kind"] for p in view["progress"]][-2:] == ["joined_to", "joined_result"]
    html = (await api.get(new["progress_page"], as_=None)).text
    assert f'与工单 <span class="ticket-no">{e}</span> 为同一事项' in html and "路灯已恢复照明" in html

    # … and by SMS, through the outbox and a real gateway: first the earlier number, then the result.
    gateway = HttpGateway()
    async with serving(gateway):
        await drain(api, sms_provider="http", sms_http_url=gateway.url)
    texts = [a.body["text"] for a in gateway.arrivals if a.body["phone"] == "13900000002"]
    kinds = [a.body["kind"] for a in gateway.arrivals if a.body["phone"] == "13900000002"]
    assert kinds == ["registered", "joined_to", "joined_result"], kinds
    assert e in texts[1] and n in texts[1]
    assert "路灯已恢复照明" in texts[2] and e in texts[2]


def _secrets(created: dict[str, Any]) -> Any:
    from tests.api.support import Ticket

    return Ticket(created["ticket_no"], created["access_secret"], created["rating_code"])
