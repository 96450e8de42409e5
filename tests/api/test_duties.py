"""Issue 16, "Duties not modelled yet", through the API: county offices (A4), the register of leaders and
staff and the return's sign-off (A5, A15), sub-centres (A8), restrictions (A11) and co-units' assistance
(A14). One app and worker for the module (`module_api`); each test makes the tickets it needs.

The authorization matrix (test_authorization_matrix.py) has the county offices' column for every endpoint;
these show what they do inside their county and what they are refused outside it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.errors import TICKET_NOT_FOUND
from operations.credentials import create_unit, issue_credential
from tests.api.support import (
    CO_UNIT,
    LEAD,
    POINTS,
    RETURN,
    SIGNER,
    Api,
    Ticket,
    closure_body,
    error,
    rate,
    registration_body,
    ticket_in,
)

EVER = {"from": "2001-01-01T00:00:00+08:00", "to": "2199-01-01T00:00:00+08:00"}


def events(view: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in view["timeline"] if e["kind"] == kind]


# ============================================================================================== A4
async def test_a4_a_county_office_receives_dispatches_and_reports_for_its_own_county(module_api: Api) -> None:
    """A4 「各县（市、区）政府要指定部门……由指定部门具体负责热线事项接收、转交办、督办、考核、回访、归档……等本级
    热线的日常运行管理工作」: WJ's office registers and dispatches within WJ; ZJ's never sees the ticket."""
    api = module_api
    received = await api.register(as_="wj_office", dispatch_to=None)
    no = received["ticket_no"]
    assert received["ticket"]["relation"] == "office"  # A4: the office of what it received
    assert error(await api.get(f"/tickets/{no}", as_="zj_office"))[:2] == (404, TICKET_NOT_FOUND)

    # 「转交办」 within its county only: a unit of another county is refused before the ticket is touched.
    outside = {"lead_unit": LEAD, "co_units": ["ZJ-HOUSING"]}
    assert error(await api.post(f"/tickets/{no}/dispatch", outside, as_="wj_office")) == (
        422,
        "NOT_IN_YOUR_COUNTY",
        "A4",
    )
    refused = await api.post(f"/tickets/{no}/dispatch", {"lead_unit": LEAD}, as_="zj_office")
    assert error(refused)[:2] == (404, TICKET_NOT_FOUND)
    view = await api.act(no, "dispatch", {"lead_unit": LEAD, "co_units": [CO_UNIT]}, as_="wj_office")
    assert view["lead_unit"] == LEAD
    registered = await api.post("/tickets", registration_body(dispatch_to="ZJ-HOUSING"), as_="wj_office")
    assert error(registered) == (422, "NOT_IN_YOUR_COUNTY", "A4")
    at_once = await api.register(as_="wj_office", dispatch_to=LEAD)  # received and dispatched in one step
    assert (at_once["ticket"]["relation"], at_once["ticket"]["lead_unit"]) == ("office", LEAD)

    # Its list holds the ticket, ZJ's does not; 「督办、考核」 of another county's unit is 403.
    assert await api.listed(no, view["revision"], as_="wj_office")
    zj_list = (await api.get("/tickets", as_="zj_office", params={"limit": 200})).json()["items"]
    assert no not in {t["ticket_no"] for t in zj_list}
    for report in ("bulletin", "supervision"):
        answer = await api.get(f"/reports/{report}", as_="wj_office", params=EVER | {"unit": "ZJ-HOUSING"})
        assert error(answer) == (403, "NOT_YOUR_UNIT", "A4"), report


# ========================================================================================= A5, A15
async def test_a5_a15_a_return_is_signed_off_by_a_filed_leader_or_one_they_authorised(
    module_api: Api,
) -> None:
    """A5 「各成员单位热线工作分管领导及工作人员如有调整，应及时报12345热线工作领导小组办公室备案」; A15 「各单位退回
    12345热线处理的诉求事项，应由承办单位分管领导或经授权的有关负责同志签批」."""
    api = module_api
    register = "/units/WJ-URBAN/filed-people"
    people = (await api.get(register, as_="urban")).json()
    leader = next(p for p in people if p["name"] == SIGNER["name"])
    # A5: a unit files its own people only.
    other = await api.post(register, {"role": "staff", "name": "刘洋", "title": "科员"}, as_="power")
    assert error(other) == (403, "NOT_YOUR_UNIT", "A5")
    signatory = {"role": "authorised_signatory", "name": "张敏", "title": "办公室主任"}
    assert error(await api.post(register, signatory, as_="urban")) == (422, "AUTHORISER_REQUIRED", "A15")
    clerk = await api.post(register, {"role": "staff", "name": "陈晨", "title": "热线工作人员"}, as_="urban")
    assert clerk.status_code == 201, clerk.text
    by_clerk = signatory | {"authorised_by": clerk.json()["id"]}
    assert error(await api.post(register, by_clerk, as_="urban")) == (422, "AUTHORISER_NOT_A_LEADER", "A15")
    filed = await api.post(register, signatory | {"authorised_by": leader["id"]}, as_="urban")
    assert filed.status_code == 201, filed.text

    # A15: no one on file cannot sign; the authorised signatory can, named with the leader who authorised.
    first = await ticket_in(api, "dispatched")
    unknown = RETURN | {"signed_off_by": {"name": "无名氏", "title": "副局长"}}
    assert error(await api.post(f"/tickets/{first.no}/returns", unknown, as_="urban")) == (
        422,
        "SIGN_OFF_NOT_FILED",
        "A15",
    )
    by_signatory = RETURN | {"signed_off_by": {"name": "张敏", "title": "办公室主任"}}
    view = await api.act(first.no, "returns", by_signatory, as_="urban")
    sign_off = events(view, "return_applied")[0]["data"]["signed_off_by"]
    assert sign_off["filed"] == {
        "person_id": filed.json()["id"],
        "role": "authorised_signatory",
        "authorised_by": SIGNER["name"],
    }

    # A5 「如有调整」: a new leader replaces the old, in one recorded change; the old one's authorisation lapses.
    successor = {"role": "leader_in_charge", "name": "赵刚", "title": "副局长", "replaces": leader["id"]}
    replaced = await api.post(register, successor | {"reason": "原分管领导调任"}, as_="urban")
    assert replaced.status_code == 201, replaced.text
    second = await ticket_in(api, "dispatched")
    lapsed = await api.post(f"/tickets/{second.no}/returns", by_signatory, as_="urban")
    assert error(lapsed) == (422, "SIGN_OFF_NOT_FILED", "A15")
    changes = (await api.get(f"{register}/changes", as_="wj_office")).json()
    mine = [
        (c["change"], c["person"]["name"], c["by"]) for c in changes if c["at"] >= filed.json()["filed_at"]
    ]
    urban = api.credential_ids["urban"]
    assert mine[-3:] == [
        ("filed", "张敏", urban),
        ("withdrawn", SIGNER["name"], urban),
        ("filed", "赵刚", urban),
    ]
    assert changes[-2]["reason"] == "原分管领导调任"
    # Put the register back as the module's other tests expect it (RETURN names 王强).
    restored = await api.post(register, {"role": "leader_in_charge", **SIGNER}, as_="operator")
    assert restored.status_code == 201, restored.text


# ============================================================================================== A8
async def test_a8_a_transferred_call_is_recorded_and_the_sub_centre_is_rated_and_assessed(
    module_api: Api,
) -> None:
    """A8 「12345热线按照知识库解答一般性咨询，专业问题通过电话转接、派发工单等方式转分中心办理。分中心向热线归集
    相关数据，参与全市热线工作考评」."""
    api = module_api
    now = await api.now()
    await create_unit(
        api.session_maker,
        unit_id="SG-12328",
        name="12328交通运输服务监督电话分中心",
        tier=2,
        kind="sub_centre",
        now=now,
    )
    issued = await issue_credential(
        api.session_maker, role="unit_staff", name="12328", unit_id="SG-12328", now=now
    )
    api.tokens["sub_centre"] = issued.token
    transferred = {"dispatch_to": "SG-12328", "transferred_by_call": True, "content": "出租车拒载投诉"}
    assert error(await api.post("/tickets", registration_body(**transferred | {"dispatch_to": LEAD}))) == (
        422,
        "NOT_A_SUB_CENTRE",
        "A8",
    )
    web = registration_body(**transferred | {"channel": "web"})
    assert error(await api.post("/tickets", web)) == (422, "NOT_A_CALL", "A8")

    created = await api.register(**transferred)
    no = created["ticket_no"]
    (event,) = events(created["ticket"], "call_transferred")
    assert (event["rule"], event["data"], event["notify"]) == (
        "A8",
        {"sub_centre": "SG-12328"},
        ["unit:SG-12328", "hotline"],
    )
    # The sub-centre handles it as a unit does, and the requester rates it.
    await api.act(no, "sign-for", as_="sub_centre")
    await api.act(
        no, "contacts", {"channel": "phone", "purpose": "result", "reached": True}, as_="sub_centre"
    )
    await api.act(no, "closure", closure_body(POINTS, await api.now()), as_="sub_centre")
    await api.act(no, "closure/review", {"approve": True})
    await rate(api, Ticket(no, created["access_secret"], created["rating_code"]), "satisfied")
    concluded = await api.until(no, lambda v: v["stage"] == "concluded")
    await api.listed(no, concluded["revision"])
    assessment = (await api.get("/reports/assessment", params=EVER)).json()
    sub_centre = next(u for u in assessment["units"] if u["unit"] == "SG-12328")
    assert sub_centre["components"]["satisfaction"]["denominator"] == 1
    assert sub_centre["components"]["timeliness"]["numerator"] == 1


# ============================================================================================= A11
async def test_a11_the_office_lists_lifts_and_refers_restrictions_and_the_operator_sees_their_end(
    module_api: Api,
) -> None:
    """A11 「12345热线管理机构对行为人实行30个自然日内限制占用12345电话资源的措施；涉嫌违反治安管理法律法规的，
    依法交由公安机关处理」."""
    api = module_api
    restricted = await api.post("/restrictions", {"phone": "13911112222", "reason": "多次辱骂话务员"})
    assert restricted.status_code == 201, restricted.text
    until = datetime.fromisoformat(restricted.json()["until"])
    call = await api.register(requester={"name": "王五", "phone": "139 1111 2222"}, dispatch_to=None)
    assert datetime.fromisoformat(call["caller_restricted_until"]) == until  # shown to the operator
    assert call["ticket"]["stage"] == "not_accepted"
    (looked_up,) = (await api.get("/restrictions", params={"phone": "+86 13911112222"})).json()
    assert looked_up["active"] is True and datetime.fromisoformat(looked_up["until"]) == until

    referral = {"to": "police", "reference": "韶公武(治)受字〔2026〕1234号"}
    referred = (await api.post("/restrictions/13911112222/referral", referral)).json()
    assert (referred["referred_to"], referred["referral_ref"]) == ("police", referral["reference"])
    lifted = await api.post("/restrictions/13911112222/lifting", {"reason": "来电人书面致歉"})
    assert lifted.status_code == 200, lifted.text
    record = lifted.json()
    assert (record["active"], record["lifted_by"], record["lift_reason"]) == (
        False,
        api.credential_ids["operator"],
        "来电人书面致歉",
    )
    assert datetime.fromisoformat(record["restricted_until"]) == until  # the period it had is kept
    again = await api.post("/restrictions/13911112222/lifting", {"reason": "再次"})
    assert error(again) == (409, "RESTRICTION_NOT_ACTIVE", "A11")
    assert (await api.get("/restrictions", params={"phone": "13911112222"})).json() == []
    (kept,) = (await api.get("/restrictions", params={"phone": "13911112222", "active": "false"})).json()
    assert kept["referred_to"] == "police"
    after = await api.register(requester={"name": "王五", "phone": "13911112222"}, dispatch_to=None)
    assert after["caller_restricted_until"] is None and after["ticket"]["stage"] == "registered"
    assert error(await api.post("/restrictions/13000000001/lifting", {"reason": "x"})) == (
        404,
        "RESTRICTION_NOT_FOUND",
        "A11",
    )


# ============================================================================================= A14
async def test_a14_a_co_unit_records_its_assistance_for_the_lead_and_the_office(module_api: Api) -> None:
    """A14 「承办单位……牵头协调相关单位办理，相关单位应当积极配合」; A14.5 「协办单位应当积极配合办理，不得推诿」."""
    api = module_api
    ticket = await ticket_in(api, "handling")  # lead WJ-URBAN, co-unit WJ-POWER
    opinion = {
        "opinion": "已派员核实：该路段供电正常，灯具故障属城管局管养",
        "attachments": ["att://power-1"],
    }
    await api.act(ticket.no, "assistance", opinion, as_="power")
    for reader in ("urban", "operator"):  # on the timeline the lead and the office read
        (event,) = events(await api.ticket(ticket.no, as_=reader), "assistance_recorded")
        assert event["data"] == {"unit": CO_UNIT, **opinion}
        assert (event["rule"], set(event["notify"])) == ("A14", {f"unit:{LEAD}", "hotline"})
    assert error(await api.post(f"/tickets/{ticket.no}/assistance", opinion, as_="urban"))[:2] == (
        403,
        "NOT_YOUR_ACTION",
    )
    assert error(await api.post(f"/tickets/{ticket.no}/assistance", opinion, as_="zhenjiang"))[:2] == (
        404,
        TICKET_NOT_FOUND,
    )
