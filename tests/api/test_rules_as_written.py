"""Issue 16 through HTTP: the real app with a real worker on the time-skipping server. A21 a supplementary
answer after the archive; A20 the unit's name and an anonymous request; A33 a county's own rules; A35 a rule
set past its validity; A17.4 the provincial figures. Each test quotes the text it enforces (the pure rules:
tests/unit/test_rules_as_written.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflow.v1 import WorkflowExecutionInfo
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest

from domain.rulesets import CITY, PROVINCIAL, county_rule_set, wd
from tests.api.support import POINTS, Api, closure_body, error, ticket_in
from workflows.ticket import ticket_workflow_id

UNIT_NAME = "武江区城市管理和综合执法局"  # WJ-URBAN in tests/api/support.py UNITS


async def archived(api: Api, no: str) -> dict[str, Any]:
    """The ticket once its workflow has archived it and the read model shows it."""
    for _ in range(200):
        view = await api.ticket(no)
        if view["stage"] == "archived":
            return view
        await asyncio.sleep(0.05)
    raise AssertionError(f"{no} never archived")


async def _run(api: Api, no: str) -> WorkflowExecutionInfo:
    """The ticket's latest run, from the raw description: the time-skipping server keeps an unset Datetime
    search attribute as a null payload, which the SDK's `describe()` cannot decode."""
    described = await api.env.client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=api.env.client.namespace,
            execution=WorkflowExecution(workflow_id=ticket_workflow_id(no)),
        )
    )
    return described.workflow_execution_info


async def test_a21_an_archived_ticket_still_takes_a_supplementary_answer(module_api: Api) -> None:
    """A21 「已办结的事项有新进展情况的，可申请补充答复。经 12345 热线审核通过后，可开通补充答复权限，补充答复
    内容由 12345 热线审核后方可发布」 sets no time limit: 90 days after conclusion the ticket is archived (its
    workflow completes); the unit's application starts it again from its state, and permission and content
    are reviewed as for any supplement."""
    api = module_api
    t = await ticket_in(api, "concluded")
    concluded = await api.ticket(t.no)
    await api.sleep_until(datetime.fromisoformat(concluded["archive_at"]) + timedelta(days=30))
    await archived(api, t.no)
    first_run = await _run(api, t.no)
    assert first_run.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
    # Someone else's unit cannot reopen it (404: it cannot see it), nor is it reopened by the attempt.
    other = await api.post(f"/tickets/{t.no}/supplements", {"reason": "x"}, as_="zhenjiang")
    assert other.status_code == 404
    assert (await api.ticket(t.no))["stage"] == "archived"

    view = await api.act(t.no, "supplements", {"reason": "新华南路路灯改造工程已立项"}, as_="urban")
    assert view["stage"] == "concluded" and view["outcome"] == "closed"
    kinds = [e["kind"] for e in view["timeline"]]
    assert kinds[-3:] == ["archived", "reopened_for_supplement", "supplement_applied"]
    reopened = await _run(api, t.no)  # a new run of the same ticket, started from its state
    assert reopened.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
    assert reopened.execution.run_id != first_run.execution.run_id
    await api.act(t.no, "supplements/S1/permission", {"approve": True})
    await api.act(t.no, "supplements/S1/content", {"content": "工程将于 12 月完工。"}, as_="urban")
    await api.act(t.no, "supplements/S1/review", {"approve": True})
    public = await api.get(f"/public/tickets/{t.no}", as_=None, headers={"X-Access-Secret": t.access_secret})
    assert [s["content"] for s in public.json()["supplements"]] == ["工程将于 12 月完工。"]
    # Archived again once the reopening's hour has passed and nothing is under way.
    await api.sleep_until(await api.now() + timedelta(hours=2))
    again = await archived(api, t.no)
    assert [e["kind"] for e in again["timeline"]].count("archived") == 2


async def test_a20_a_written_answer_in_the_unit_s_name_and_an_anonymous_request(module_api: Api) -> None:
    """A17 one extension granted, then A20 「若诉求人要求提供书面答复材料，则须以本单位名义予以答复」: asked for at registration, the closure
    carries the document issued by the handling unit, and the requester's view names that unit (never a
    person). A request with no contact details cannot be told by phone: its closure says why."""
    api = module_api
    created = await api.register(written_answer_requested=True)
    no = created["ticket_no"]
    assert (await api.ticket(no))["written_answer_requested_at"] is not None
    await api.act(no, "sign-for", as_="urban")
    # A17 「延期办理只能 1 次」: refused, the application does not use up the ticket's one extension.
    ask = {"reason": "需协调供电部门", "requester_told": True}
    await api.act(no, "extension", ask, as_="urban")
    await api.act(no, "extension/review", {"approve": False, "reason": "理由不充分"})
    await api.act(no, "extension", ask | {"reason": "供电线路需改造"}, as_="urban")
    extended = await api.act(no, "extension/review", {"approve": True})
    assert [e["decision"] for e in extended["extensions"]] == ["refused", "approved"]
    assert error(await api.refused(no, "extension", ask, as_="urban"))[1:] == (
        "EXTENSION_ALREADY_USED",
        "A17",
    )
    await api.act(no, "contacts", {"channel": "phone", "purpose": "result", "reached": True}, as_="urban")
    body = closure_body(POINTS, await api.now())
    assert error(await api.refused(no, "closure", body, as_="urban")) == (
        422,
        "WRITTEN_ANSWER_REQUIRED",
        "A20",
    )
    foreign = body | {"written_answer": {"document_ref": "浈住建函〔2026〕3号", "issuing_unit": "ZJ-HOUSING"}}
    assert (
        error(await api.refused(no, "closure", foreign, as_="urban"))[1] == "WRITTEN_ANSWER_NOT_IN_UNIT_NAME"
    )
    own = body | {"written_answer": {"document_ref": "武城管函〔2026〕12号", "issuing_unit": "WJ-URBAN"}}
    await api.act(no, "closure", own, as_="urban")
    await api.act(no, "closure/review", {"approve": True})
    public = await api.get(
        f"/public/tickets/{no}", as_=None, headers={"X-Access-Secret": created["access_secret"]}
    )
    answer = public.json()["answer"]
    assert (answer["answered_by"], answer["written_answer"]) == (UNIT_NAME, "武城管函〔2026〕12号")
    assert "urban" not in public.text and "cred-" not in public.text  # no staff named
    page = await api.http.get(created["progress_page"])  # the requester's page (/t/<token>) says the same
    assert page.status_code == 200 and "答复单位：<strong>" + UNIT_NAME in page.text
    assert "武城管函〔2026〕12号（以" + UNIT_NAME + "名义出具）" in page.text

    anonymous = (await api.register(requester={"name": "匿名"}))["ticket_no"]
    await api.act(anonymous, "sign-for", as_="urban")
    call = {"channel": "phone", "purpose": "result", "reached": False}
    assert error(await api.refused(anonymous, "contacts", call, as_="urban")) == (
        409,
        "NO_PHONE_ON_RECORD",
        "A20",
    )
    plain = closure_body(POINTS, await api.now())
    assert (
        error(await api.refused(anonymous, "closure", plain, as_="urban"))[1] == "NO_CONTACT_REASON_REQUIRED"
    )
    reason = "诉求人匿名反映，未留联系方式，无法告知办理结果"
    view = await api.act(anonymous, "closure", plain | {"no_contact_reason": reason}, as_="urban")
    applied = next(e for e in view["timeline"] if e["kind"] == "closure_applied")
    assert applied["data"]["no_contact_reason"] == reason


async def test_a33_a35_a17_4_the_rule_set_a_ticket_gets(module_api: Api) -> None:
    """A33 「各县（市、区）12345 热线管理机构……可根据本细则制定本级热线管理或实施细则」: a ticket led by a unit
    in 武江区's tree takes 武江区's own set without the operator naming it, at registration or at its first
    dispatch; A17.4 a provincial platform's ticket keeps the province's (15 WD for a complaint); A35
    「有效期 3 年」 a ticket under the city's set, past 2025-11-03, is flagged and listed for the office."""
    api = module_api
    county = county_rule_set("440203", "武江区 12345 工单办理细则", county_unit_id="WJ", sign_for=wd(2))
    not_a_county = county.model_copy(update={"county_unit_id": "WJ-URBAN"}).model_dump(mode="json")
    assert error(await api.post("/rule-sets", not_a_county)) == (422, "NOT_A_COUNTY", "A33")
    loaded = await api.post("/rule-sets", county.model_dump(mode="json"))
    assert loaded.status_code == 201, loaded.text
    twice = county.model_copy(update={"id": "county-wj-again"}).model_dump(mode="json")
    assert error(await api.post("/rule-sets", twice)) == (409, "COUNTY_HAS_RULE_SET", "A33")

    at_registration = await api.ticket((await api.register(dispatch_to="WJ-URBAN"))["ticket_no"])
    assert at_registration["rule_set"] == county.key and not at_registration["rule_set_lapsed"]

    later = (await api.register(dispatch_to=None))["ticket_no"]
    assert (await api.ticket(later))["rule_set"] == CITY.key
    view = await api.act(later, "dispatch", {"lead_unit": "WJ-URBAN"})
    assert view["rule_set"] == county.key
    assert next(e for e in view["timeline"] if e["kind"] == "rule_set_adopted")["rule"] == "A33"

    elsewhere = await api.ticket((await api.register(dispatch_to=None, category="consultation"))["ticket_no"])
    assert elsewhere["rule_set"] == CITY.key and elsewhere["rule_set_lapsed"]  # A35: flagged, not refused

    provincial = await api.register(channel="provincial_platform", dispatch_to="WJ-URBAN", as_="operator")
    pview = await api.ticket(provincial["ticket_no"])
    assert pview["rule_set"] == PROVINCIAL.key
    assert pview["clocks"]["answer"]["period"] == {"working_days": 15, "hours": None}

    listed = await api.get("/rule-sets/lapsed")
    assert listed.status_code == 200, listed.text
    [city] = [r for r in listed.json() if r["rule_set"] == CITY.key]
    assert city["valid_until"] == "2025-11-03" and city["successor"] is None
    assert elsewhere["ticket_no"] in city["open_tickets"] and later not in city["open_tickets"]
    assert (await api.get("/rule-sets/lapsed", as_="urban")).status_code == 403
