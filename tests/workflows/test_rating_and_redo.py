"""A24 rating, callback and redo on the time-skipping server; instants worked out by hand.

Calendar helpers live in support.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio.client import WorkflowHandle

from domain.commands import (
    AnswerAtOnce,
    ApplyExtension,
    ApplyReturn,
    ContactAttempt,
    DecideRedo,
    Designation,
    FiledSignatory,
    RaiseDispute,
    Rate,
    RecordCallback,
    Review,
    ReviewReturn,
    SignFor,
    SignOff,
)
from domain.ticket import StageRating, TicketState
from domain.vocabulary import (
    Category,
    ContactChannel,
    Decision,
    DisputeKind,
    Outcome,
    RatingOption,
    RefusalGround,
    ReturnKind,
    Stage,
)
from tests.driver import OPERATOR, Hotline, unit
from tests.workflows.support import (
    MONDAY,
    ONE_SECOND,
    WAKE_UP,
    at_local,
    end_of,
    events,
    load_test_calendar,
    next_weekday,
    register,
    verdict,
)
from workflows.coordination import CoordinationWorkflow
from workflows.ticket import TicketWorkflow

U1 = unit("U1")
DAY = timedelta(hours=24)
BASICALLY = RatingOption.BASICALLY_SATISFIED
SATISFIED = Rate(acceptance=["satisfied"], handling=["satisfied"])
DISSATISFIED = Rate(acceptance=["dissatisfied"], handling=["dissatisfied"])
APPROVE_REDO = DecideRedo(actor=OPERATOR, approve=True)


async def close(hotline: Hotline, h: WorkflowHandle[Any, Any], *, sign: bool = True) -> TicketState:
    """Sign for (first round), tell the requester, apply to close, the hotline approves (A20)."""
    if sign:
        await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=U1))
    s = await hotline.inform_requester(h)
    await hotline.act(h, TicketWorkflow.apply_closure, hotline.closure(s))
    return await hotline.act(h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))


async def dissatisfied_callback(
    hotline: Hotline, *, wants_redo: bool
) -> tuple[WorkflowHandle[Any, Any], TicketState]:
    h = await register(hotline, Category.COMPLAINT)
    await close(hotline, h)
    s = await hotline.act(h, TicketWorkflow.rate, Rate(acceptance=["satisfied"], handling=["dissatisfied"]))
    assert s.stage == Stage.CALLBACK
    s = await hotline.act(
        h,
        TicketWorkflow.record_callback,
        RecordCallback(actor=OPERATOR, channel=ContactChannel.PHONE, reached=True, wants_redo=wants_redo),
    )
    return h, s


# -- the 24-hour window -----------------------------------------------------------------------------------
async def test_a24_no_answer_in_24_hours_reads_as_basically_satisfied(hotline: Hotline) -> None:
    """A24: no answer within 24 natural hours of the rating request = basically satisfied, both stages."""
    h = await register(hotline, Category.COMPLAINT)
    s = await close(hotline, h)
    assert (s.stage, s.outcome) == (Stage.RATING, Outcome.CLOSED)
    approved = events(s, "closure_approved")
    assert len(approved) == 1 and set(approved[0].notify) == {"unit:U1", "requester"}
    rating = s.ratings[0]
    expires = rating.requested_at + DAY
    assert (rating.round, rating.final, rating.expires_at) == (1, False, expires)
    requested = events(s, "rating_requested")
    assert len(requested) == 1 and (requested[0].rule, requested[0].notify) == ("A24", ["requester"])
    assert datetime.fromisoformat(requested[0].data["expires_at"]) == expires

    await hotline.sleep_until(expires - ONE_SECOND)
    assert (await hotline.state(h)).stage == Stage.RATING
    await hotline.sleep_until(expires + ONE_SECOND)
    s = await hotline.until(h, lambda s: s.stage == Stage.CONCLUDED)
    default = StageRating(option=BASICALLY, defaulted_because="no answer")
    assert (s.ratings[0].acceptance, s.ratings[0].handling) == (default, default)
    rated_at = s.ratings[0].rated_at
    assert rated_at is not None and expires <= rated_at < expires + WAKE_UP
    defaulted = events(s, "rating_defaulted")
    assert len(defaulted) == 1 and defaulted[0].rule == "A24"
    assert expires <= defaulted[0].at < expires + WAKE_UP
    assert len(events(s, "concluded")) == 1 and s.outcome == Outcome.CLOSED
    assert s.concluded_at is not None and s.archive_at == s.concluded_at + timedelta(days=90)


async def test_a24_several_options_read_as_basically_satisfied(hotline: Hotline) -> None:
    """A24: the requester picks ONE option; several = basically satisfied. A minute before the window
    closes is still in time."""
    h = await register(hotline, Category.COMPLAINT)
    s = await close(hotline, h)
    await hotline.sleep_until(s.ratings[0].expires_at - timedelta(minutes=1))
    s = await hotline.act(
        h, TicketWorkflow.rate, Rate(acceptance=["satisfied", "very_satisfied"], handling=["very_satisfied"])
    )
    assert s.ratings[0].acceptance == StageRating(option=BASICALLY, defaulted_because="several options")
    assert s.ratings[0].handling == StageRating(option=RatingOption.VERY_SATISFIED)
    assert s.stage == Stage.CONCLUDED
    rated = events(s, "rated")
    assert len(rated) == 1 and rated[0].rule == "A24" and rated[0].data["round"] == 1


async def test_a24_an_invalid_option_reads_as_basically_satisfied(hotline: Hotline) -> None:
    """A24: an invalid option = basically satisfied; an invalid handling rating never starts a callback."""
    h = await register(hotline, Category.COMPLAINT)
    await close(hotline, h)
    s = await hotline.act(h, TicketWorkflow.rate, Rate(acceptance=["satisfied"], handling=["terrible!!"]))
    assert s.ratings[0].handling == StageRating(option=BASICALLY, defaulted_because="invalid option")
    assert s.ratings[0].acceptance == StageRating(option=RatingOption.SATISFIED)
    assert s.stage == Stage.CONCLUDED and not events(s, "callback_due")


async def test_a24_a_rating_after_the_window_is_refused_as_window_closed(hotline: Hotline) -> None:
    """A24: the requester answers within 24 hours; later the window is closed."""
    h = await register(hotline, Category.COMPLAINT)
    s = await close(hotline, h)
    await hotline.sleep_until(s.ratings[0].expires_at + timedelta(minutes=1))
    await hotline.until(h, lambda s: s.stage == Stage.CONCLUDED)
    err = await hotline.refused(h, TicketWorkflow.rate, SATISFIED)
    assert verdict(err) == ("RATING_WINDOW_CLOSED", "A24")


async def test_a24_rating_twice_is_refused_as_already_rated(hotline: Hotline) -> None:
    """A24: one answer per rating request; the first one stands."""
    h = await register(hotline, Category.COMPLAINT)
    await close(hotline, h)
    await hotline.act(h, TicketWorkflow.rate, SATISFIED)
    err = await hotline.refused(h, TicketWorkflow.rate, Rate(acceptance=[], handling=["very_dissatisfied"]))
    assert verdict(err) == ("ALREADY_RATED", "A24")
    s = await hotline.state(h)
    assert s.ratings[0].handling == StageRating(option=RatingOption.SATISFIED)
    assert len(events(s, "rated")) == 1


# -- callback -----------------------------------------------------------------------------------------------
async def test_a24_dissatisfied_handling_starts_a_callback_and_no_redo_concludes(hotline: Hotline) -> None:
    """A24: dissatisfied -> the hotline calls back; the requester does not ask for a redo -> concluded."""
    _, s = await dissatisfied_callback(hotline, wants_redo=False)
    due = events(s, "callback_due")
    assert len(due) == 1 and (due[0].rule, due[0].notify, due[0].data["round"]) == ("A24", ["hotline"], 1)
    recorded = events(s, "callback_recorded")
    assert len(recorded) == 1 and recorded[0].rule == "A24" and recorded[0].data["wants_redo"] is False
    assert (s.stage, s.outcome, s.redo_count) == (Stage.CONCLUDED, Outcome.CLOSED, 0)
    assert len(s.assignments) == 1 and len(events(s, "concluded")) == 1


async def test_a24_redo_without_the_requester_asking_is_refused(hotline: Hotline) -> None:
    """A24: a redo follows the requester's request."""
    h, _ = await dissatisfied_callback(hotline, wants_redo=False)
    err = await hotline.refused(h, TicketWorkflow.decide_redo, APPROVE_REDO)
    assert verdict(err) == ("REQUESTER_DID_NOT_ASK", "A24")


# -- redo -------------------------------------------------------------------------------------------------
async def test_a24_one_redo_with_the_same_limit_no_extension_and_a_final_rating(
    hotline: Hotline,
) -> None:
    """A24: redo after a callback; the original limit (10 WD) counted from the redo; no extension (A17);
    a return follows A14.1 (verdicts 4: 「不得延期办理」 forbids only the extension); the second rating is final: dissatisfied again is called back, as every dissatisfied
    rating is, and the callback concludes it, whatever the requester asks: no second redo."""
    monday = next_weekday(await hotline.now(), MONDAY)
    friday = monday + timedelta(days=4)
    holiday = monday + timedelta(days=9)  # the Wednesday of the next week
    await load_test_calendar(hotline.session_maker, monday, monday + timedelta(days=40), holidays=[holiday])
    await hotline.sleep_until(at_local(monday, 9))
    h, s = await dissatisfied_callback(hotline, wants_redo=True)
    assert s.stage == Stage.CALLBACK and s.callbacks[0].redo_decision == Decision.PENDING

    await hotline.sleep_until(at_local(friday, 15))
    s = await hotline.act(
        h,
        TicketWorkflow.decide_redo,
        DecideRedo(actor=OPERATOR, approve=True, reason="Requester: lamp still dark"),
    )
    redo_at = s.assignments[-1].received_at
    assert at_local(friday, 15) <= redo_at < at_local(friday, 15, 1)
    assert (s.stage, s.redo_count, s.outcome) == (Stage.HANDLING, 1, None)
    assert s.assignments[-1].redo and s.assignments[-1].signed_for_at == redo_at
    ordered = events(s, "redo_ordered")
    assert len(ordered) == 1 and (ordered[0].rule, ordered[0].notify) == ("A24", ["unit:U1"])
    assert events(s, "dispatched", redo=True)
    answer = s.clocks["answer"]
    # 10 WD from Friday: Mon(1) Tue(2) [Wed holiday] Thu(3) Fri(4) | Mon(5)..Fri(9) | Mon(10) -> monday + 21.
    assert (answer.anchor_at, answer.period.working_days) == (redo_at, 10)
    assert answer.due_at == end_of(monday + timedelta(days=21)) and answer.met_at is None
    assert s.clocks["sign_for"].met_at is not None  # the first round's clock kept for the record

    no_extension = await hotline.refused(
        h, TicketWorkflow.apply_extension, ApplyExtension(actor=U1, reason="More time", requester_told=True)
    )
    assert verdict(no_extension) == ("NO_EXTENSION_IN_REDO", "A24")
    # A24 「不得延期办理」 forbids only the extension (verdicts 4): a return in a redo follows A14.1, reviewed
    # under A16 like any return; refused here, the redo goes on with its limit.
    s = await hotline.act(
        h,
        TicketWorkflow.apply_return,
        ApplyReturn(
            actor=U1,
            kind=ReturnKind.NOT_OUR_DUTY,
            reason="Power company's lamp",
            basis="Lighting rules",
            suggested_unit="U2",
            signed_off_by=SignOff(
                name="Wang",
                title="Deputy director",
                filed=FiledSignatory(person_id=1, role="leader_in_charge"),
            ),
        ),
    )
    assert s.stage == Stage.RETURN_REVIEW and s.returns[-1].rule == "A14.1"
    s = await hotline.act(
        h,
        TicketWorkflow.review_return,
        ReviewReturn(
            actor=OPERATOR,
            return_id=s.returns[-1].id,
            approve=False,
            ground=RefusalGround.UNITS_MATTER_BY_LAW,
            reason="The lamps are the bureau's by its 三定方案",
        ),
    )
    assert s.stage == Stage.HANDLING and s.clocks["answer"].due_at == answer.due_at

    s = await close(hotline, h, sign=False)
    second = s.ratings[-1]
    assert (s.stage, len(s.ratings), second.round, second.final) == (Stage.RATING, 2, 2, True)
    assert events(s, "rating_requested")[-1].data["final"] is True
    s = await hotline.act(h, TicketWorkflow.rate, DISSATISFIED)
    assert (s.stage, s.outcome) == (Stage.CALLBACK, Outcome.CLOSED)
    assert [e.data["final"] for e in events(s, "callback_due")] == [False, True]
    second_redo = await hotline.refused(h, TicketWorkflow.decide_redo, APPROVE_REDO)
    assert verdict(second_redo) == ("REDO_ALREADY_USED", "A24")
    s = await hotline.act(
        h,
        TicketWorkflow.record_callback,
        RecordCallback(actor=OPERATOR, channel=ContactChannel.PHONE, reached=True, wants_redo=True),
    )
    assert (s.stage, s.outcome, s.redo_count, len(s.callbacks)) == (Stage.CONCLUDED, Outcome.CLOSED, 1, 2)


async def test_a24_a_redone_ticket_needs_the_requester_told_the_new_result(hotline: Hotline) -> None:
    """A20 after A24: the redo produces a new result; the unit tells the requester before closing again
    (regression: the first round's contact used to count)."""
    h, _ = await dissatisfied_callback(hotline, wants_redo=True)
    s = await hotline.act(h, TicketWorkflow.decide_redo, APPROVE_REDO)
    err = await hotline.refused(h, TicketWorkflow.apply_closure, hotline.closure(s))
    assert verdict(err) == ("REQUESTER_NOT_INFORMED", "A20")
    s = await hotline.act(
        h, TicketWorkflow.record_contact, ContactAttempt(actor=U1, at=await hotline.now(), reached=True)
    )
    assert s.requester_informed_at is not None and s.requester_informed_at >= s.assignments[-1].received_at


async def test_a24_default_rating_is_stamped_with_the_end_of_the_window(hotline: Hotline) -> None:
    """A24: "no answer in time" takes effect when the 24 hours end, however late the worker records it
    (the worker wakes for the window's end a few milliseconds after it)."""
    h = await register(hotline, Category.COMPLAINT)
    s = await close(hotline, h)
    expires = s.ratings[0].expires_at
    await hotline.sleep_until(expires + ONE_SECOND)
    s = await hotline.until(h, lambda s: s.stage == Stage.CONCLUDED)
    assert s.ratings[0].rated_at == expires
    assert events(s, "rating_defaulted")[0].at == expires


async def test_a24_a12_a_redo_of_a_consultation_answered_on_the_spot_goes_to_the_unit_named(
    hotline: Hotline,
) -> None:
    """A12 + A24: the hotline answered a consultation itself and the requester is dissatisfied and asks for
    a redo. There is no unit to send it back to: the approval names one (REDO_UNIT_REQUIRED without it),
    which receives it with the consultation's own limit and no extension."""
    h = await register(hotline, Category.CONSULTATION, dispatch_to=None)
    await hotline.act(h, TicketWorkflow.answer_at_once, AnswerAtOnce(actor=OPERATOR, answer="See the KB"))
    await hotline.act(h, TicketWorkflow.rate, DISSATISFIED)
    await hotline.act(
        h,
        TicketWorkflow.record_callback,
        RecordCallback(actor=OPERATOR, channel=ContactChannel.PHONE, reached=True, wants_redo=True),
    )
    assert verdict(await hotline.refused(h, TicketWorkflow.decide_redo, APPROVE_REDO)) == (
        "REDO_UNIT_REQUIRED",
        "A24",
    )
    s = await hotline.act(
        h, TicketWorkflow.decide_redo, DecideRedo(actor=OPERATOR, approve=True, lead_unit="U2")
    )
    assert (s.lead_unit, s.stage, s.redo_count, s.assignments[-1].redo) == ("U2", Stage.HANDLING, 1, True)
    assert events(s, "redo_ordered")[0].notify == ["unit:U2"]
    assert s.clocks["answer"].period.working_days == 2  # A17.1, the consultation's own limit
    no_extension = await hotline.refused(
        h,
        TicketWorkflow.apply_extension,
        ApplyExtension(actor=unit("U2"), reason="More time", requester_told=True),
    )
    assert verdict(no_extension) == ("NO_EXTENSION_IN_REDO", "A24")


async def test_a24_a_redo_goes_back_to_its_unit_not_another(hotline: Hotline) -> None:
    h, _ = await dissatisfied_callback(hotline, wants_redo=True)
    elsewhere = DecideRedo(actor=OPERATOR, approve=True, lead_unit="U2")
    assert verdict(await hotline.refused(h, TicketWorkflow.decide_redo, elsewhere)) == (
        "REDO_GOES_BACK_TO_THE_UNIT",
        "A24",
    )
    s = await hotline.act(
        h, TicketWorkflow.decide_redo, DecideRedo(actor=OPERATOR, approve=True, lead_unit="U1")
    )
    assert (s.lead_unit, s.redo_count) == ("U1", 1)


async def test_a24_no_extension_in_a_redo_even_after_a_coordination_changes_the_lead(
    hotline: Hotline,
) -> None:
    """A24: the redo has no extension; a dispute in the redo that designates another lead starts a new
    receipt, but the ticket is still being redone, so that lead may not extend it either."""
    h, _ = await dissatisfied_callback(hotline, wants_redo=True)
    await hotline.act(h, TicketWorkflow.decide_redo, APPROVE_REDO)
    s = await hotline.act(
        h,
        TicketWorkflow.raise_dispute,
        RaiseDispute(
            actor=OPERATOR, kind=DisputeKind.SEVERAL_UNITS, units=["U1", "U2"], reason="the lamp is U2's"
        ),
    )
    child = hotline.client.get_workflow_handle_for(CoordinationWorkflow.run, s.coordinations[0].workflow_id)
    await child.execute_update(CoordinationWorkflow.designate, Designation(actor=OPERATOR, lead_unit="U2"))
    await hotline.until(h, lambda s: s.lead_unit == "U2" and s.open_coordination() is None)
    refused = await hotline.refused(
        h,
        TicketWorkflow.apply_extension,
        ApplyExtension(actor=unit("U2"), reason="More time", requester_told=True),
    )
    assert verdict(refused) == ("NO_EXTENSION_IN_REDO", "A24")


async def test_a24_a_redo_follows_a_dissatisfied_handling_not_acceptance(hotline: Hotline) -> None:
    """A24 rates the acceptance and the handling apart: dissatisfied with the acceptance only, the hotline
    still calls back, but a redo (sending the handling back to the unit) is refused: HANDLING_NOT_DISSATISFIED."""
    h = await register(hotline, Category.COMPLAINT)
    await close(hotline, h)
    s = await hotline.act(h, TicketWorkflow.rate, Rate(acceptance=["dissatisfied"], handling=["satisfied"]))
    assert s.stage == Stage.CALLBACK
    await hotline.act(
        h,
        TicketWorkflow.record_callback,
        RecordCallback(actor=OPERATOR, channel=ContactChannel.PHONE, reached=True, wants_redo=True),
    )
    assert verdict(await hotline.refused(h, TicketWorkflow.decide_redo, APPROVE_REDO)) == (
        "HANDLING_NOT_DISSATISFIED",
        "A24",
    )
    s = await hotline.act(
        h, TicketWorkflow.decide_redo, DecideRedo(actor=OPERATOR, approve=False, reason="no")
    )
    assert (s.stage, s.redo_count) == (Stage.CONCLUDED, 0)
