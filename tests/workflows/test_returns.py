"""Returns (A14.1–A14.3), their sign-off (A15) and the hotline's review (A16), on the time-skipping server.

Deadlines are worked out by hand from a calendar each test loads itself (`load_known_calendar`): the first
weekday after "today" is a holiday and the Saturday after it an adjusted working day (调休), so expected
instants cross a weekend, a holiday and a 调休 day. Each test gets a time-skipping server of its own
(see tests/driver.py own_time_skipping_server: a leftover ticket's timer stalls a shared server).
The helpers are tests/workflows/support.py's, shared with test_acceptance.py and test_coordination.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from domain.commands import (
    ApplyExtension,
    ApplyReturn,
    KnowledgePoint,
    Review,
    ReviewReturn,
    SignFor,
    SignOff,
    SurveyRecord,
    SurveyStart,
)
from domain.vocabulary import Decision, RefusalGround, ReturnKind, Stage
from tests.driver import OPERATOR, Hotline, unit
from tests.workflows.support import (
    ONE_DAY,
    SIGNED,
    a_return,
    act,
    events,
    kinds_after,
    load_known_calendar,
    only_event,
    refusal,
    register,
    sign_for,
)
from workflows.ticket import TicketWorkflow


def review(approve: bool, return_id: str = "R1", **fields: Any) -> ReviewReturn:
    return ReviewReturn(actor=OPERATOR, return_id=return_id, approve=approve, **fields)


# ========================================================================================== A14.1
async def test_a14_1_return_approved_redispatches_and_restarts_the_limit(hotline: Hotline) -> None:
    """A14.1 + A15: U1 returns within 1 WD; approved on the next working day -> U2 receives it, and the
    A17.2 limit (10 WD), the sign-for limit and the return window restart from the approval instant."""
    cal = await load_known_calendar(hotline)
    h = await register(hotline)
    s = await hotline.state(h)
    t0 = s.assignments[0].received_at
    assert s.assignments[0].return_by == cal.due(t0, 1)
    assert s.answer_due_at() == cal.due(t0, 10)

    s = await act(hotline, h, TicketWorkflow.apply_return, a_return())
    assert s.stage == Stage.RETURN_REVIEW
    [record] = s.returns
    assert (record.id, record.unit, record.rule, record.overdue, record.decision) == (
        "R1",
        "U1",
        "A14.1",
        False,
        Decision.PENDING,
    )
    applied = only_event(s, "return_applied")
    assert (applied.rule, applied.notify, applied.actor) == ("A14.1", ["hotline"], "unit:U1")
    assert (applied.data["return_id"], applied.data["kind"], applied.data["suggested_unit"]) == (
        "R1",
        "not_our_duty",
        "U2",
    )

    t1 = cal.working_day_at(t0, 1, 10)
    await hotline.sleep_until(t1)
    s = await act(hotline, h, TicketWorkflow.review_return, review(True, redispatch_to="U2"))
    approved_at = s.returns[0].decided_at
    assert approved_at is not None and t1 <= approved_at < t1 + timedelta(minutes=1)
    assert (s.returns[0].decision, s.returns[0].redispatched_to, s.returns[0].decided_by) == (
        Decision.APPROVED,
        "U2",
        OPERATOR.id,
    )
    assert s.stage == Stage.DISPATCHED
    assert [(a.lead_unit, a.designated) for a in s.assignments] == [("U1", False), ("U2", False)]
    assert s.assignments[1].received_at == approved_at
    assert s.answer_due_at() == cal.due(approved_at, 10) > cal.due(t0, 10)
    assert s.clocks["answer"].anchor_at == approved_at
    assert s.clocks["sign_for"].due_at == cal.due(approved_at, 1)
    assert s.assignments[1].return_by == cal.due(approved_at, 1)

    approved = only_event(s, "return_approved")
    assert (approved.rule, approved.notify, approved.data["redispatch_to"]) == ("A14.1", ["unit:U1"], "U2")
    redispatched = events(s, "dispatched")[-1]
    assert redispatched.seq == approved.seq + 1
    assert (redispatched.rule, redispatched.notify, redispatched.data["note"]) == (
        "A14",
        ["unit:U2"],
        "after return R1",
    )
    assert datetime.fromisoformat(redispatched.data["deadlines"]["answer"]) == cal.due(approved_at, 10)
    assert await refusal(hotline, h, TicketWorkflow.sign_for, SignFor(actor=unit("U1"))) == (
        "TICKET_NOT_FOUND",
        None,
        "not_yours",
    )
    assert (await sign_for(hotline, h, "U2")).stage == Stage.HANDLING


async def test_a14_1_a16_1_refused_return_keeps_the_limit_from_the_first_receipt(hotline: Hotline) -> None:
    """A14.1/A16.1: refused (the law makes it U1's matter) -> U1 keeps it; the limit is unchanged."""
    cal = await load_known_calendar(hotline)
    h = await register(hotline)
    s = await sign_for(hotline, h)
    t0 = s.assignments[0].received_at
    first_due = cal.due(t0, 10)
    assert s.answer_due_at() == first_due
    await act(hotline, h, TicketWorkflow.apply_return, a_return())
    # A16: a refusal names its ground.
    assert await refusal(
        hotline, h, TicketWorkflow.review_return, review(False, reason="the law says so")
    ) == ("REFUSAL_GROUND_REQUIRED", "A16", "invalid")

    await hotline.sleep_until(cal.working_day_at(t0, 1, 9))
    s = await act(
        hotline,
        h,
        TicketWorkflow.review_return,
        review(
            False,
            ground=RefusalGround.UNITS_MATTER_BY_LAW,
            reason="城市照明管理规定 第三条 makes it the district's duty",
        ),
    )
    [record] = s.returns
    assert (record.decision, record.ground, record.automatic, record.redispatched_to) == (
        Decision.REFUSED,
        RefusalGround.UNITS_MATTER_BY_LAW,
        False,
        None,
    )
    assert (s.stage, s.lead_unit, len(s.assignments)) == (Stage.HANDLING, "U1", 1)
    assert s.answer_due_at() == first_due and s.clocks["answer"].anchor_at == t0
    refused = only_event(s, "return_refused")
    assert (refused.rule, refused.notify, refused.actor, refused.data["ground"]) == (
        "A16.1",
        ["unit:U1"],
        "operator:op-1",
        "A16.1",
    )
    assert kinds_after(s, refused) == []


# ============================================================================================= A15
def test_a15_a_return_without_a_sign_off_does_not_validate() -> None:
    """A15: every return is signed off by the leader in charge or an authorised person."""
    with pytest.raises(ValidationError, match="signed_off_by"):
        ApplyReturn(actor=unit("U1"), kind=ReturnKind.NOT_OUR_DUTY, reason="r", basis="b")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="name"):
        a_return(signed_off_by=SignOff(name="  ", title="director"))
    with pytest.raises(ValidationError, match="title"):
        a_return(signed_off_by={"name": "Wang Qiang"})


async def test_a15_the_sign_off_is_recorded_with_the_return(hotline: Hotline) -> None:
    """A15: the sign-off travels into the return record and the timeline."""
    h = await register(hotline)
    s = await act(hotline, h, TicketWorkflow.apply_return, a_return())
    assert s.returns[0].application.signed_off_by == SIGNED
    assert only_event(s, "return_applied").data["signed_off_by"] == {
        "name": "Wang Qiang",
        "title": "deputy director in charge",
        "filed": {"person_id": 1, "role": "leader_in_charge", "authorised_by": ""},
    }


# ====================================================================================== A16 automatic
@pytest.mark.parametrize(("reason", "basis"), [("", "城市照明管理规定"), ("not ours", "   ")])
async def test_a16_2_a_return_without_reason_or_basis_is_refused_at_once(
    hotline: Hotline, reason: str, basis: str
) -> None:
    """A16.2: no reason or no basis -> refused by the system at once; no hotline review, stage unchanged."""
    h = await register(hotline)
    await sign_for(hotline, h)
    s = await act(hotline, h, TicketWorkflow.apply_return, a_return(reason=reason, basis=basis))
    [record] = s.returns
    assert (record.decision, record.automatic, record.ground, record.decided_by) == (
        Decision.REFUSED,
        True,
        RefusalGround.NO_REASON_OR_BASIS,
        "system",
    )
    assert record.decided_at == record.applied_at
    assert (s.stage, s.lead_unit, s.pending_return()) == (Stage.HANDLING, "U1", None)
    applied, refused = only_event(s, "return_applied"), only_event(s, "return_refused")
    assert refused.seq == applied.seq + 1
    assert (refused.rule, refused.actor, refused.notify) == ("A16.2", "system", ["unit:U1"])
    assert (refused.data["ground"], refused.data["automatic"]) == ("A16.2", True)
    assert await refusal(hotline, h, TicketWorkflow.review_return, review(True, redispatch_to="U2")) == (
        "STAGE_FORBIDS_ACTION",
        "A14.1",
        "conflict",
    )


async def test_a16_7_a_return_after_an_extension_application_is_refused_at_once(hotline: Hotline) -> None:
    """A16.7: the unit already applied for an extension (A17) -> its return is refused automatically."""
    h = await register(hotline)
    await sign_for(hotline, h)
    s = await act(
        hotline,
        h,
        TicketWorkflow.apply_extension,
        ApplyExtension(actor=unit("U1"), reason="waiting for the power company's parts", requester_told=True),
    )
    assert s.stage == Stage.EXTENSION_REVIEW
    s = await act(hotline, h, TicketWorkflow.review_extension, Review(actor=OPERATOR, approve=True))
    assert s.stage == Stage.HANDLING
    due = s.answer_due_at()

    s = await act(hotline, h, TicketWorkflow.apply_return, a_return())
    [record] = s.returns
    assert (record.decision, record.automatic, record.ground) == (
        Decision.REFUSED,
        True,
        RefusalGround.EXTENSION_ALREADY_APPLIED,
    )
    assert (s.stage, s.answer_due_at()) == (Stage.HANDLING, due)
    refused = only_event(s, "return_refused")
    assert (refused.rule, refused.actor, refused.notify, refused.data["automatic"]) == (
        "A16.7",
        "system",
        ["unit:U1"],
        True,
    )


# ============================================================================================ A16.6
def kb_refusal(uploaded_at: datetime, could_not_answer: bool = False) -> ReviewReturn:
    return review(
        False,
        ground=RefusalGround.KNOWLEDGE_POINT,
        reason="the KB lists street lighting under U1",
        knowledge_point=KnowledgePoint(id="KB-7", uploaded_at=uploaded_at),
        hotline_could_not_answer_directly=could_not_answer,
    )


async def test_a16_6_a_knowledge_point_from_before_registration_cannot_ground_a_refusal(
    hotline: Hotline,
) -> None:
    """A16.6: a KB point the hotline had at registration cannot be held against the unit — unless the
    hotline could not answer with it directly."""
    h = await register(hotline)
    s = await act(hotline, h, TicketWorkflow.apply_return, a_return())
    registered = s.registration.received_at
    for uploaded in (registered - ONE_DAY, registered):  # before, and at the very instant of, registration
        assert await refusal(hotline, h, TicketWorkflow.review_return, kb_refusal(uploaded)) == (
            "KNOWLEDGE_POINT_PREDATES_REGISTRATION",
            "A16.6",
            "conflict",
        )
    assert await refusal(
        hotline,
        h,
        TicketWorkflow.review_return,
        review(False, ground=RefusalGround.KNOWLEDGE_POINT, reason="KB"),
    ) == ("KNOWLEDGE_POINT_REQUIRED", "A16.6", "invalid")
    s = await hotline.state(h)
    assert (s.stage, s.returns[0].decision) == (Stage.RETURN_REVIEW, Decision.PENDING)

    s = await act(
        hotline, h, TicketWorkflow.review_return, kb_refusal(registered - ONE_DAY, could_not_answer=True)
    )
    assert (s.returns[0].decision, s.returns[0].ground) == (Decision.REFUSED, RefusalGround.KNOWLEDGE_POINT)
    assert s.returns[0].knowledge_point == KnowledgePoint(id="KB-7", uploaded_at=registered - ONE_DAY)
    refused = only_event(s, "return_refused")
    assert (refused.rule, refused.data["knowledge_point"]["id"]) == ("A16.6", "KB-7")


async def test_a16_6_a_knowledge_point_uploaded_after_registration_grounds_a_refusal(
    hotline: Hotline,
) -> None:
    """A16.6: a KB point uploaded after the ticket was registered: the refusal stands, U1 keeps it."""
    h = await register(hotline)
    s = await act(hotline, h, TicketWorkflow.apply_return, a_return())
    uploaded = s.registration.received_at + timedelta(seconds=1)
    s = await act(hotline, h, TicketWorkflow.review_return, kb_refusal(uploaded))
    assert (s.returns[0].decision, s.returns[0].ground, s.lead_unit) == (
        Decision.REFUSED,
        RefusalGround.KNOWLEDGE_POINT,
        "U1",
    )
    assert s.stage == Stage.DISPATCHED  # never signed for: back where it was
    assert only_event(s, "return_refused").rule == "A16.6"


async def test_a16_6_a_point_corrected_after_registration_grounds_a_refusal(hotline: Hotline) -> None:
    """A16.6 "适用知识点上传时间": a point uploaded before registration but corrected after it (A29) was not
    there to answer with when the ticket came in, in the text the refusal relies on."""
    h = await register(hotline)
    s = await act(hotline, h, TicketWorkflow.apply_return, a_return())
    registered = s.registration.received_at
    stale = KnowledgePoint(
        id="KB-7", uploaded_at=registered - ONE_DAY, corrected_at=registered - timedelta(hours=1)
    )
    assert await refusal(
        hotline,
        h,
        TicketWorkflow.review_return,
        review(False, ground=RefusalGround.KNOWLEDGE_POINT, reason="KB", knowledge_point=stale),
    ) == ("KNOWLEDGE_POINT_PREDATES_REGISTRATION", "A16.6", "conflict")
    fresh = stale.model_copy(update={"corrected_at": registered + timedelta(minutes=1)})
    s = await act(
        hotline,
        h,
        TicketWorkflow.review_return,
        review(False, ground=RefusalGround.KNOWLEDGE_POINT, reason="KB", knowledge_point=fresh),
    )
    assert (s.returns[0].decision, s.returns[0].knowledge_point) == (Decision.REFUSED, fresh)


# ============================================================================================ A14.2
async def test_a14_2_registration_blocks_handling_return(hotline: Hotline) -> None:
    """A14.2: the registration itself blocks handling -> a return with a note, reviewed (refused: A16.3)."""
    h = await register(hotline)
    s = await act(
        hotline,
        h,
        TicketWorkflow.apply_return,
        a_return(
            ReturnKind.REGISTRATION_BLOCKS_HANDLING,
            reason="no address or landmark recorded",
            basis="A14.2",
            suggested_unit=None,
        ),
    )
    assert s.stage == Stage.RETURN_REVIEW
    assert (s.returns[0].rule, s.returns[0].overdue, s.returns[0].decision) == (
        "A14.2",
        False,
        Decision.PENDING,
    )
    applied = only_event(s, "return_applied")
    assert (applied.rule, applied.data["kind"], applied.data["suggested_unit"]) == (
        "A14.2",
        "registration_blocks_handling",
        None,
    )
    # No suggested unit: approving it needs the hotline to name one.
    assert await refusal(hotline, h, TicketWorkflow.review_return, review(True)) == (
        "REDISPATCH_UNIT_REQUIRED",
        "A14.1",
        "invalid",
    )
    s = await act(
        hotline,
        h,
        TicketWorkflow.review_return,
        review(
            False, ground=RefusalGround.FLAWS_DO_NOT_BLOCK, reason="the requester's phone gives the address"
        ),
    )
    assert (s.returns[0].decision, s.stage) == (Decision.REFUSED, Stage.DISPATCHED)
    assert only_event(s, "return_refused").rule == "A16.3"


async def test_a14_2_identity_withheld_requires_the_missing_items(hotline: Hotline) -> None:
    """A14.2: the unit lists what the requester must supply (MISSING_ITEMS_REQUIRED)."""
    h = await register(hotline)
    assert await refusal(hotline, h, TicketWorkflow.apply_return, a_return(ReturnKind.IDENTITY_WITHHELD)) == (
        "MISSING_ITEMS_REQUIRED",
        "A14.2",
        "invalid",
    )
    s = await hotline.state(h)
    assert (s.returns, s.stage) == ([], Stage.DISPATCHED)


async def test_a14_2_identity_withheld_lists_the_missing_items_once(hotline: Hotline) -> None:
    """A14.2: what must be supplied is listed once (MISSING_ITEMS_LISTED_ONCE on a second try)."""
    h = await register(hotline)
    items = ["house number", "name on the electricity account"]
    s = await act(
        hotline,
        h,
        TicketWorkflow.apply_return,
        a_return(ReturnKind.IDENTITY_WITHHELD, missing_items=items, suggested_unit=None),
    )
    assert (s.returns[0].rule, s.returns[0].application.missing_items) == ("A14.2", items)
    assert only_event(s, "return_applied").data["missing_items"] == items
    s = await act(
        hotline,
        h,
        TicketWorkflow.review_return,
        review(
            False,
            ground=RefusalGround.CAN_PROCEED_ON_KNOWN_FACTS,
            reason="the street and lamp number suffice",
        ),
    )
    assert s.stage == Stage.DISPATCHED
    assert await refusal(
        hotline,
        h,
        TicketWorkflow.apply_return,
        a_return(ReturnKind.IDENTITY_WITHHELD, missing_items=["ID card number"]),
    ) == ("MISSING_ITEMS_LISTED_ONCE", "A14.2", "conflict")
    assert len((await hotline.state(h)).returns) == 1


async def test_a14_1_a_not_our_duty_return_suggests_whose_it_is(hotline: Hotline) -> None:
    """A14.1 "提出转交相关单位处理的建议": no suggested unit -> SUGGESTED_UNIT_REQUIRED, nothing recorded."""
    h = await register(hotline)
    assert await refusal(hotline, h, TicketWorkflow.apply_return, a_return(suggested_unit=None)) == (
        "SUGGESTED_UNIT_REQUIRED",
        "A14.1",
        "invalid",
    )
    assert (await hotline.state(h)).returns == []


async def test_a14_2_a_registration_error_return_has_no_window(hotline: Hotline) -> None:
    """A14.2: the 1-WD window and "逾期退回" belong to the identity-withheld return. A registration error
    found while contacting the requester, days after receipt, is an on-time return; a withheld identity
    reported after the window is overdue."""
    cal = await load_known_calendar(hotline)
    h = await register(hotline)
    s = await hotline.state(h)
    await hotline.sleep_until(cal.due(s.assignments[0].received_at, 3))
    s = await act(
        hotline,
        h,
        TicketWorkflow.apply_return,
        a_return(
            ReturnKind.REGISTRATION_BLOCKS_HANDLING,
            suggested_unit=None,
            reason="the address registered is in another county",
            basis="登记地址与实际不符",
        ),
    )
    assert (s.returns[0].overdue, s.stage) == (False, Stage.RETURN_REVIEW)
    assert events(s, "overdue_return") == []

    h = await register(hotline)
    s = await hotline.state(h)
    await hotline.sleep_until(cal.due(s.assignments[0].received_at, 1) + timedelta(minutes=1))
    s = await act(
        hotline,
        h,
        TicketWorkflow.apply_return,
        a_return(ReturnKind.IDENTITY_WITHHELD, suggested_unit=None, missing_items=["联系电话"]),
    )
    assert (s.returns[0].overdue, only_event(s, "overdue_return").rule) == (True, "A14.2")


# ======================================================================================= overdue
async def test_a14_1_a14_2_a_return_after_the_1_wd_window_is_overdue_not_lost(hotline: Hotline) -> None:
    """A14.1/A14.2: a return later than 1 WD after receipt is recorded, flagged overdue, and still reviewed."""
    cal = await load_known_calendar(hotline)
    h = await register(hotline)
    s = await hotline.state(h)
    return_by = cal.due(s.assignments[0].received_at, 1)
    assert s.assignments[0].return_by == return_by
    await hotline.sleep_until(return_by + timedelta(minutes=1))

    s = await act(hotline, h, TicketWorkflow.apply_return, a_return())
    [record] = s.returns
    assert (record.overdue, record.decision, s.stage) == (True, Decision.PENDING, Stage.RETURN_REVIEW)
    assert record.applied_at > return_by
    applied, overdue = only_event(s, "return_applied"), only_event(s, "overdue_return")
    assert applied.data["overdue"] is True and overdue.seq == applied.seq + 1
    assert (overdue.rule, overdue.notify, overdue.actor, overdue.data) == (
        "A14.1",
        ["hotline"],
        "unit:U1",
        {"return_id": "R1"},
    )
    s = await act(hotline, h, TicketWorkflow.review_return, review(True))  # to the suggested unit
    assert (s.lead_unit, s.returns[0].redispatched_to, s.stage) == ("U2", "U2", Stage.DISPATCHED)


# ============================================================================================ A14.3
SURVEY = SurveyRecord(record_ref="files/survey-0412.pdf", photo_refs=["files/p1.jpg", "files/p2.jpg"])


async def test_a14_3_a_survey_return_needs_a_started_survey_and_its_record(hotline: Hotline) -> None:
    """A14.3: no survey started -> NO_SURVEY_STARTED; started within 1 WD (return window 2 WD from the
    start); a return without the record and photos -> SURVEY_RECORD_REQUIRED."""
    cal = await load_known_calendar(hotline)
    h = await register(hotline)
    s = await sign_for(hotline, h)
    t0 = s.assignments[0].received_at
    assert s.assignments[0].survey_start_by == cal.due(t0, 1)
    survey_return = a_return(ReturnKind.SURVEY_NOT_OURS, survey=SURVEY)
    assert await refusal(hotline, h, TicketWorkflow.apply_return, survey_return) == (
        "NO_SURVEY_STARTED",
        "A14.3",
        "conflict",
    )

    start = cal.working_day_at(t0, 1, 9)  # the next working day: inside the 1-WD window
    await hotline.sleep_until(start)
    s = await act(hotline, h, TicketWorkflow.start_survey, SurveyStart(actor=unit("U1"), note="site visit"))
    started_at = s.assignments[0].survey_started_at
    assert started_at is not None and start <= started_at < start + timedelta(minutes=1)
    assert s.assignments[0].survey_return_by == cal.due(started_at, 2)
    started = only_event(s, "survey_started")
    assert (started.rule, started.notify, started.data["late"], started.data["note"]) == (
        "A14.3",
        ["hotline"],
        False,
        "site visit",
    )
    assert datetime.fromisoformat(started.data["return_by"]) == cal.due(started_at, 2)
    assert await refusal(hotline, h, TicketWorkflow.start_survey, SurveyStart(actor=unit("U1"))) == (
        "SURVEY_ALREADY_STARTED",
        "A14.3",
        "conflict",
    )
    assert await refusal(hotline, h, TicketWorkflow.apply_return, a_return(ReturnKind.SURVEY_NOT_OURS)) == (
        "SURVEY_RECORD_REQUIRED",
        "A14.3",
        "invalid",
    )
    assert (await hotline.state(h)).returns == []


async def test_a14_3_a_survey_return_within_2_wd_of_the_survey_is_on_time(hotline: Hotline) -> None:
    """A14.3: survey started within 1 WD, return with record and photos within 2 WD of that start: on
    time, although the plain 1-WD return window of A14.1 has passed."""
    cal = await load_known_calendar(hotline)
    h = await register(hotline)
    s = await sign_for(hotline, h)
    await hotline.sleep_until(cal.working_day_at(s.assignments[0].received_at, 1, 9))
    s = await act(hotline, h, TicketWorkflow.start_survey, SurveyStart(actor=unit("U1")))
    survey_return_by = cal.due(s.assignments[0].survey_started_at, 2)

    await hotline.sleep_until(survey_return_by - timedelta(hours=1))
    s = await act(
        hotline, h, TicketWorkflow.apply_return, a_return(ReturnKind.SURVEY_NOT_OURS, survey=SURVEY)
    )
    [record] = s.returns
    assert record.applied_at > s.assignments[0].return_by  # past the A14.1 window, inside the A14.3 one
    assert (record.rule, record.overdue, s.stage) == ("A14.3", False, Stage.RETURN_REVIEW)
    applied = only_event(s, "return_applied")
    assert (applied.rule, applied.data["overdue"]) == ("A14.3", False)
    assert applied.data["survey"] == {
        "record_ref": "files/survey-0412.pdf",
        "photo_refs": ["files/p1.jpg", "files/p2.jpg"],
    }
    assert events(s, "overdue_return") == []


async def test_a14_3_a_survey_return_after_2_wd_of_the_survey_is_overdue(hotline: Hotline) -> None:
    """A14.3: later than 2 WD after starting the survey = overdue return, recorded and flagged."""
    cal = await load_known_calendar(hotline)
    h = await register(hotline)
    s = await act(hotline, h, TicketWorkflow.start_survey, SurveyStart(actor=unit("U1")))
    survey_return_by = cal.due(s.assignments[0].survey_started_at, 2)
    assert s.assignments[0].survey_return_by == survey_return_by
    await hotline.sleep_until(survey_return_by + timedelta(minutes=1))
    s = await act(
        hotline, h, TicketWorkflow.apply_return, a_return(ReturnKind.SURVEY_NOT_OURS, survey=SURVEY)
    )
    assert (s.returns[0].overdue, s.stage) == (True, Stage.RETURN_REVIEW)
    overdue = only_event(s, "overdue_return")
    assert (overdue.rule, overdue.data) == ("A14.3", {"return_id": "R1"})


async def test_a14_3_a_survey_started_after_1_wd_makes_its_return_overdue(hotline: Hotline) -> None:
    """A14.3: the survey starts within 1 WD of receipt; a late start is flagged and so is its return."""
    cal = await load_known_calendar(hotline)
    h = await register(hotline)
    s = await hotline.state(h)
    await hotline.sleep_until(cal.due(s.assignments[0].received_at, 1) + timedelta(hours=9))
    s = await act(hotline, h, TicketWorkflow.start_survey, SurveyStart(actor=unit("U1")))
    assert only_event(s, "survey_started").data["late"] is True
    s = await act(
        hotline, h, TicketWorkflow.apply_return, a_return(ReturnKind.SURVEY_NOT_OURS, survey=SURVEY)
    )
    assert s.returns[0].overdue is True
    assert only_event(s, "overdue_return").rule == "A14.3"


# ======================================================================================= who returns
@pytest.mark.parametrize("who", ["co-unit U2", "unit U9", "operator"])
async def test_a14_1_only_the_lead_may_return(hotline: Hotline, who: str) -> None:
    """A14.1: a co-handling unit, an unrelated unit or the hotline cannot return the lead's ticket."""
    h = await register(hotline, co_units=["U2"])
    actor = {"co-unit U2": unit("U2"), "unit U9": unit("U9"), "operator": OPERATOR}[who]
    assert await refusal(
        hotline, h, TicketWorkflow.apply_return, a_return(actor=actor, suggested_unit="U3")
    ) == ("TICKET_NOT_FOUND", None, "not_yours")
    assert (await hotline.state(h)).returns == []


async def test_a14_1_review_of_an_unknown_return_is_refused(hotline: Hotline) -> None:
    """A14.1: the hotline reviews the pending return by its id (NO_SUCH_PENDING_RETURN); not to the
    returning unit itself; and only the hotline reviews."""
    h = await register(hotline)
    await act(hotline, h, TicketWorkflow.apply_return, a_return())
    assert await refusal(hotline, h, TicketWorkflow.review_return, review(True, "R9")) == (
        "NO_SUCH_PENDING_RETURN",
        "A14.1",
        "conflict",
    )
    assert await refusal(hotline, h, TicketWorkflow.review_return, review(True, redispatch_to="U1")) == (
        "REDISPATCH_TO_SAME_UNIT",
        "A14.1",
        "invalid",
    )
    assert await refusal(
        hotline, h, TicketWorkflow.review_return, ReviewReturn(actor=unit("U2"), return_id="R1", approve=True)
    ) == ("TICKET_NOT_FOUND", None, "not_yours")
    assert (await hotline.state(h)).returns[0].decision == Decision.PENDING
