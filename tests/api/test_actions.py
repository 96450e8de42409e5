"""The other actions through HTTP: acceptance (A12, A13), emergencies (A17.3, A23), survey (A14.3),
termination (A18), supplementary answers (A21), refusals citing the knowledge base (A16.6) and disputes
settled by designation (A14.5)."""

from __future__ import annotations

from datetime import timedelta

from tests.api.journeys import concluded_ticket
from tests.api.support import RETURN, Api, at


async def test_a13_not_accepted_the_requester_is_told_why(api: Api) -> None:
    created = await api.register(dispatch_to=None)
    no = created["ticket_no"]
    t = await api.act(no, "not-accept", {"reason": "A10.3", "basis": "该事项已进入信访程序"})
    assert (t["stage"], t["outcome"], t["not_accepted_reason"]) == ("not_accepted", "not_accepted", "A10.3")
    public = (
        await api.get(
            f"/public/tickets/{no}", as_=None, headers={"X-Access-Secret": created["access_secret"]}
        )
    ).json()
    assert (public["not_accepted_reason"], public["not_accepted_basis"]) == ("A10.3", "该事项已进入信访程序")


async def test_a12_a_consultation_answered_at_once_is_rated(api: Api) -> None:
    point = (
        await api.post("/knowledge-points", {"title": "社保卡补办", "body": "到社保网点办理"}, as_="power")
    ).json()
    no = (await api.register(category="consultation", dispatch_to=None))["ticket_no"]
    unknown = await api.post(
        f"/tickets/{no}/answer", {"answer": "见知识库", "knowledge_point_id": "KP-nonexistent"}
    )
    assert (unknown.status_code, unknown.json()["code"], unknown.json()["rule"]) == (
        422,
        "UNKNOWN_KNOWLEDGE_POINT",
        "A12",
    )
    t = await api.act(no, "answer", {"answer": "到任一社保网点办理", "knowledge_point_id": point["id"]})
    assert (t["stage"], t["outcome"], t["answered_at_once"]) == (
        "rating",
        "answered_at_once",
        "到任一社保网点办理",
    )


async def test_a17_3_an_emergency_is_linked_and_handled(api: Api) -> None:
    no = (await api.register(dispatch_to="WJ-POWER", emergency=True, linkage=["119"]))["ticket_no"]
    t = await api.ticket(no, as_="power")
    # A23: the line's acknowledgement limit beside the unit's (charged to the hotline).
    assert set(t["clocks"]) == {"sign_for", "handle", "answer", "linkage_ack:119"} and t["linkage"] == ["119"]
    assert t["clocks"]["linkage_ack:119"]["charged_to"] == "hotline"
    assert any(e["kind"] == "emergency_linkage" and e["rule"] == "A23" for e in t["timeline"])
    t = await api.act(no, "emergency-response", {"note": "抢修人员已到场"}, as_="power")
    assert t["clocks"]["handle"]["met_at"] is not None
    again = await api.refused(no, "emergency-response", {"note": "again"}, as_="power")
    assert (again.status_code, again.json()["code"]) == (409, "ALREADY_REPORTED")
    ordinary = (await api.register(dispatch_to="WJ-POWER"))["ticket_no"]
    refused = await api.refused(ordinary, "emergency-response", {"note": "n"}, as_="power")
    assert (refused.json()["code"], refused.json()["rule"]) == ("NOT_AN_EMERGENCY", "A17.3")


async def test_a14_3_a_survey_starts_once(api: Api) -> None:
    no = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    t = await api.act(no, "survey", {"note": "会同街道现场核查"}, as_="urban")
    assert t["assignments"][-1]["survey_started_at"] is not None
    again = await api.refused(no, "survey", {}, as_="urban")
    assert (again.json()["code"], again.json()["rule"]) == ("SURVEY_ALREADY_STARTED", "A14.3")


async def test_a18_a_termination_notice_is_filed_with_12345_which_concludes_it(api: Api) -> None:
    """A18 「在12345热线备案」: the unit's notice waits for the hotline's review, like a closure."""
    prior = (await concluded_ticket(api))["ticket_no"]
    no = (await api.register(dispatch_to="WJ-URBAN", repeat_of=prior))["ticket_no"]
    notice = {"notice_ref": "韶武城终字〔2026〕12号", "served_at": (await api.now()).isoformat()}
    t = await api.act(no, "termination", notice, as_="urban")
    assert (t["stage"], t["outcome"]) == ("closure_review", None)
    t = await api.act(no, "closure/review", {"approve": True})
    assert (t["stage"], t["outcome"]) == ("concluded", "terminated")


async def test_a18_a_termination_notice_names_the_same_requester_s_concluded_matter(api: Api) -> None:
    """A18 "已依法办理完毕": the earlier ticket must be another, earlier ticket of the same requester that was
    concluded. Whatever is wrong with the number — never registered, still open, another requester's — the
    unit hears the same answer, so it cannot probe which tickets exist or how they ended; nothing changes."""
    open_prior = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    someone_elses = (await concluded_ticket(api, requester={"name": "张三", "phone": "13900000001"}))[
        "ticket_no"
    ]
    no = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    served = (await api.now()).isoformat()
    answers = []
    for prior in ("GD12345-20250101-00000000", open_prior, someone_elses):
        notice = {"notice_ref": "韶武城终字〔2026〕13号", "prior_ticket_no": prior, "served_at": served}
        refused = await api.post(f"/tickets/{no}/termination", notice, as_="urban")
        assert (refused.status_code, refused.json()["code"], refused.json()["rule"]) == (
            422,
            "PRIOR_TICKET_NOT_ELIGIBLE",
            "A18",
        )
        answers.append({k: v for k, v in refused.json().items() if k != "request_id"})
    assert answers[0] == answers[1] == answers[2]
    notice = {"notice_ref": "n", "prior_ticket_no": no, "served_at": served}
    itself = await api.post(f"/tickets/{no}/termination", notice, as_="urban")
    assert (itself.status_code, itself.json()["code"]) == (422, "PRIOR_IS_THIS_TICKET")
    repeat = (await api.register(dispatch_to="WJ-URBAN", repeat_of=open_prior))["ticket_no"]
    refused = await api.post(
        f"/tickets/{repeat}/termination",
        {"notice_ref": "韶武城终字〔2026〕14号", "served_at": served},
        as_="urban",
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "PRIOR_TICKET_NOT_ELIGIBLE")
    t = await api.ticket(no)
    assert (t["stage"], t["outcome"]) == ("dispatched", None)


async def test_a21_a_supplementary_answer_is_reviewed_then_published(api: Api) -> None:
    created = await concluded_ticket(api)
    no = created["ticket_no"]
    t = await api.act(no, "supplements", {"reason": "路灯改造工程已立项"}, as_="urban")
    supplement = t["supplements"][0]["id"]
    early = await api.refused(no, f"supplements/{supplement}/content", {"content": "x"}, as_="urban")
    assert (early.json()["code"], early.json()["rule"]) == ("NO_SUCH_SUPPLEMENT", "A21")
    await api.act(no, f"supplements/{supplement}/permission", {"approve": True})
    await api.act(no, f"supplements/{supplement}/content", {"content": "改造工程将于 12 月完工"}, as_="urban")
    secret = {"X-Access-Secret": created["access_secret"]}
    hidden = (await api.get(f"/public/tickets/{no}", as_=None, headers=secret)).json()
    assert hidden["supplements"] == []  # not before the hotline reviewed it (A21)
    await api.act(no, f"supplements/{supplement}/review", {"approve": True})
    public = (await api.get(f"/public/tickets/{no}", as_=None, headers=secret)).json()
    assert [s["content"] for s in public["supplements"]] == ["改造工程将于 12 月完工"]


async def test_a16_6_a_refusal_cites_a_knowledge_point_uploaded_after_registration(api: Api) -> None:
    no = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    point = (await api.post("/knowledge-points", {"title": "路灯", "body": "城管局负责"}, as_="urban")).json()
    await api.act(no, "returns", RETURN, as_="urban")
    t = await api.act(
        no,
        "returns/R1/review",
        {
            "approve": False,
            "ground": "A16.6",
            "reason": "知识库已有答复口径",
            "knowledge_point_id": point["id"],
        },
    )
    assert t["stage"] == "dispatched"
    assert t["returns"][0]["knowledge_point"]["id"] == point["id"]


async def test_a16_6_a_point_corrected_after_registration_grounds_a_refusal(api: Api) -> None:
    """A16.6 weighs the applicable point's time: a point uploaded before the ticket was registered cannot
    ground a refusal (the hotline could have answered with it), but once the unit corrects it after
    registration (A29) the text the refusal relies on is newer than the ticket, and the refusal stands."""
    point = (await api.post("/knowledge-points", {"title": "路灯", "body": "城管局负责"}, as_="urban")).json()
    await api.env.sleep(timedelta(minutes=5))
    no = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    await api.act(no, "returns", RETURN, as_="urban")
    refusal = {
        "approve": False,
        "ground": "A16.6",
        "reason": "知识库已有答复口径",
        "knowledge_point_id": point["id"],
    }
    early = await api.post(f"/tickets/{no}/returns/R1/review", refusal)
    assert (early.status_code, early.json()["code"], early.json()["rule"]) == (
        409,
        "KNOWLEDGE_POINT_PREDATES_REGISTRATION",
        "A16.6",
    )

    await api.env.sleep(timedelta(minutes=5))
    corrected = await api.http.put(
        f"/knowledge-points/{point['id']}",
        json={"title": "路灯", "body": "路灯由城管局负责维护，报修电话 12319"},
        headers=api.auth("urban"),
    )
    assert corrected.status_code == 200, corrected.text
    t = await api.act(no, "returns/R1/review", refusal)
    assert (t["stage"], t["returns"][0]["decision"]) == ("dispatched", "refused")
    kp = t["returns"][0]["knowledge_point"]
    assert (kp["id"], at(kp["corrected_at"])) == (point["id"], at(corrected.json()["corrected_at"]))


async def test_a14_5_a_dispute_is_settled_by_designating_the_lead(api: Api) -> None:
    no = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    dispute = {
        "kind": "contested_jurisdiction",
        "units": ["WJ-URBAN", "WJ-POWER"],
        "reason": "双方均称不属本单位",
    }
    t = await api.act(no, "disputes", dispute, as_="urban")
    assert t["stage"] == "coordinating"
    designated = await api.post(f"/coordinations/{no}/1/designate", {"lead_unit": "WJ-POWER"})
    assert designated.status_code == 200 and designated.json()["designation"]["lead_unit"] == "WJ-POWER"
    t = await api.until(no, lambda t: t["lead_unit"] == "WJ-POWER")
    assert t["assignments"][-1]["designated"] is True
    again = await api.post(f"/coordinations/{no}/1/designate", {"lead_unit": "WJ-URBAN"})
    assert (again.status_code, again.json()["code"]) == (409, "ALREADY_DESIGNATED")
    assert (await api.post(f"/coordinations/{no}/2/designate", {"lead_unit": "WJ-URBAN"})).status_code == 404


async def test_a18_only_the_lead_learns_whether_an_earlier_ticket_exists(api: Api) -> None:
    """A co-unit filing a notice hears 403 whatever number it names: the check of the earlier matter would
    otherwise tell it which ticket numbers exist and how they ended."""
    no = (await api.register(dispatch_to="WJ-URBAN", co_units=["WJ-POWER"]))["ticket_no"]
    served = (await api.now()).isoformat()
    for prior in ("GD12345-20250101-00000000", no):
        notice = {"notice_ref": "n", "prior_ticket_no": prior, "served_at": served}
        probe = await api.post(f"/tickets/{no}/termination", notice, as_="power")
        assert (probe.status_code, probe.json()["code"]) == (403, "NOT_YOUR_ACTION")


async def test_a6_a14_1_a_return_suggests_a_member_unit(api: Api) -> None:
    no = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    refused = await api.post(
        f"/tickets/{no}/returns", RETURN | {"suggested_unit": "WJ-URBAN-XH"}, as_="urban"
    )
    assert (refused.status_code, refused.json()["code"], refused.json()["rule"]) == (
        422,
        "NOT_A_MEMBER_UNIT",
        "A6",
    )


async def test_issue_17_an_action_is_answered_from_the_read_model_its_projection_wrote(api: Api) -> None:
    """A ticket opened since the slim result answers an action with its revision; the API shows the ticket
    from the read model the action's projection wrote in the same workflow task — one call to Temporal
    (the update), not two — and with every event's recipients, as the workflow's own state has them."""
    no = (await api.register(dispatch_to="WJ-POWER"))["ticket_no"]
    gateway = api.app.state.runtime.temporal
    sent = gateway.calls_sent
    shown = await api.act(no, "sign-for", {}, as_="power")
    assert gateway.calls_sent == sent + 1, "the action's answer asked Temporal again"
    assert shown["stage"] == "handling" and shown["timeline"][-1]["kind"] == "signed_for"
    # What the workflow's state says (the query an older API asked): the same timeline, recipients and all.
    queried = await gateway.ticket_state(no)
    assert queried is not None
    assert [(e["id"], e["notify"]) for e in shown["timeline"]] == [(e.id, e.notify) for e in queried.timeline]
    assert any(e["notify"] for e in shown["timeline"])


async def test_issue_17_events_projected_without_their_recipients_are_answered_from_the_workflow(
    api: Api,
) -> None:
    """Events projected before migration 0023 kept no recipients: the read model cannot show the ticket
    whole, so the API asks the workflow, as before (api/runtime.py `state_after`)."""
    from sqlalchemy import update

    from db.models import TimelineEventRow

    no = (await api.register(dispatch_to="WJ-POWER"))["ticket_no"]
    async with api.session_maker.begin() as session:
        await session.execute(
            update(TimelineEventRow).where(TimelineEventRow.ticket_no == no).values(notify=None)
        )
    gateway = api.app.state.runtime.temporal
    sent = gateway.calls_sent
    shown = await api.act(no, "sign-for", {}, as_="power")
    assert gateway.calls_sent == sent + 2  # the update, then the state query
    assert shown["timeline"][0]["notify"] == (await gateway.ticket_state(no)).timeline[0].notify
