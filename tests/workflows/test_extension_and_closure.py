"""A17 extension and A20 closure on the time-skipping server; instants worked out by hand.

Calendar helpers live in support.py ("Counting time": the day of receipt is not counted; a
period ends at 24:00 Asia/Shanghai of its last working day).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.commands import ApplyExtension, ContactAttempt, PointAnswer, Review, SignFor
from domain.vocabulary import Card, Category, ContactChannel, ContactPurpose, Decision, Stage
from tests.driver import OPERATOR, Hotline, unit
from tests.workflows.support import (
    FRIDAY,
    MONDAY,
    ONE_SECOND,
    TUESDAY,
    at_local,
    crosses,
    end_of,
    events,
    load_test_calendar,
    next_weekday,
    register,
    search_attributes,
    ticket_at,
    verdict,
)
from workflows import search_attributes as sa
from workflows.ticket import TicketWorkflow

U1 = unit("U1")


def extension(requester_told: bool = True) -> ApplyExtension:
    return ApplyExtension(
        actor=U1, reason="Needs a budget decision by the district", requester_told=requester_told
    )


def failed_call(at: datetime) -> ContactAttempt:
    return ContactAttempt(actor=U1, at=at, reached=False, note="no answer")


# -- A17: one extension, as long as the type's own limit ------------------------------------------------
async def test_a17_extension_approved_adds_10_wd_after_the_original_limit_once(hotline: Hotline) -> None:
    """A17: applied in time with the requester told; approved -> 10 more WD after the original due."""
    friday = next_weekday(await hotline.now(), FRIDAY)
    holiday = friday + timedelta(days=24)  # a Monday inside the extension
    await load_test_calendar(hotline.session_maker, friday, friday + timedelta(days=45), holidays=[holiday])
    h = await ticket_at(hotline, at_local(friday, 10), Category.COMPLAINT, sign=True)
    s = await hotline.state(h)
    # Mon(1)..Fri(5), Mon(6)..Fri(10) -> 24:00 Friday two weeks on (friday + 14).
    original_due = end_of(friday + timedelta(days=14))
    assert s.clocks["answer"].due_at == original_due

    await hotline.sleep_until(at_local(friday + timedelta(days=12), 10))  # the Wednesday before
    s = await hotline.act(h, TicketWorkflow.apply_extension, extension())
    assert s.stage == Stage.EXTENSION_REVIEW
    applied = events(s, "extension_applied")
    assert len(applied) == 1 and (applied[0].rule, applied[0].notify) == ("A17", ["hotline"])
    assert s.extensions[0].decision == Decision.PENDING

    s = await hotline.act(h, TicketWorkflow.review_extension, Review(actor=OPERATOR, approve=True))
    # After 24:00 Fri (friday + 14): Mon(1)..Fri(5) | [Mon holiday] Tue(6)..Fri(9) | Mon(10) -> friday + 31.
    extended = end_of(friday + timedelta(days=31))
    assert s.stage == Stage.HANDLING
    assert s.clocks["answer"].due_at == extended and not s.clocks["answer"].provisional
    # Red: Tue(1), Wed(2) -> 24:00 Wednesday (friday + 33).
    assert s.clocks["answer"].red_at == end_of(friday + timedelta(days=33))
    assert (s.extensions[0].decision, s.extensions[0].extended_to) == (Decision.APPROVED, extended)
    approved = events(s, "extension_approved")
    assert len(approved) == 1 and approved[0].rule == "A17"
    assert set(approved[0].notify) == {"unit:U1", "requester"}
    assert datetime.fromisoformat(approved[0].data["extended_to"]) == extended
    assert (await search_attributes(hotline, h))[sa.DEADLINE.name] == extended

    again = await hotline.refused(h, TicketWorkflow.apply_extension, extension())
    assert verdict(again) == ("EXTENSION_ALREADY_USED", "A17")
    # The original limit no longer counts: still green past it.
    await hotline.sleep_until(original_due + timedelta(minutes=1))
    s = await hotline.state(h)
    assert s.clocks["answer"].card == Card.GREEN and not events(s, "card_changed")


async def test_a17_extension_is_applied_for_before_the_limit_passes(hotline: Hotline) -> None:
    """A17: "applies in time": a minute before the due instant is accepted, a second after is too late."""
    tuesday = next_weekday(await hotline.now(), TUESDAY)
    await load_test_calendar(hotline.session_maker, tuesday, tuesday + timedelta(days=14))
    await hotline.sleep_until(at_local(tuesday, 10))
    in_time = await register(hotline, Category.CONSULTATION)
    late = await register(hotline, Category.CONSULTATION)
    for h in (in_time, late):
        await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=U1))
    due = end_of(tuesday + timedelta(days=2))  # Wed(1), Thu(2)
    assert (await hotline.state(late)).clocks["answer"].due_at == due

    await hotline.sleep_until(due - timedelta(minutes=1))
    s = await hotline.act(in_time, TicketWorkflow.apply_extension, extension())
    assert s.stage == Stage.EXTENSION_REVIEW
    await hotline.sleep_until(due + ONE_SECOND)
    err = await hotline.refused(late, TicketWorkflow.apply_extension, extension())
    assert verdict(err) == ("EXTENSION_TOO_LATE", "A17")
    assert not (await hotline.state(late)).extensions


async def test_a17_extension_needs_the_requester_told(hotline: Hotline) -> None:
    """A17: the unit tells the requester why and until when."""
    h = await register(hotline, Category.COMPLAINT)
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=U1))
    err = await hotline.refused(h, TicketWorkflow.apply_extension, extension(requester_told=False))
    assert verdict(err, kind=True) == ("REQUESTER_NOT_TOLD", "A17", "invalid")
    s = await hotline.state(h)
    assert s.stage == Stage.HANDLING and not s.extensions


async def test_a17_refused_extension_leaves_the_limit_where_it_was(hotline: Hotline) -> None:
    """A17: a refused extension changes nothing: the card turns yellow at the original due."""
    tuesday = next_weekday(await hotline.now(), TUESDAY)
    await load_test_calendar(hotline.session_maker, tuesday, tuesday + timedelta(days=14))
    h = await ticket_at(hotline, at_local(tuesday, 10), Category.CONSULTATION, sign=True)
    due = end_of(tuesday + timedelta(days=2))  # Wed(1), Thu(2)
    await hotline.act(h, TicketWorkflow.apply_extension, extension())
    s = await hotline.act(
        h, TicketWorkflow.review_extension, Review(actor=OPERATOR, approve=False, reason="No new facts")
    )
    assert s.stage == Stage.HANDLING
    assert (s.extensions[0].decision, s.extensions[0].extended_to) == (Decision.REFUSED, None)
    assert s.clocks["answer"].due_at == due and s.clocks["answer"].then == []
    refused = events(s, "extension_refused")
    assert len(refused) == 1 and (refused[0].rule, refused[0].notify) == ("A17", ["unit:U1"])

    s = await crosses(hotline, h, "answer", due, Card.GREEN, Card.YELLOW)


# -- A20: the requester is answered before closure ----------------------------------------------------------
async def test_a20_closure_needs_the_requester_informed_first(hotline: Hotline) -> None:
    """A20: the unit tells the requester the result, then applies to close."""
    h = await register(hotline, Category.COMPLAINT)
    s = await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=U1))
    err = await hotline.refused(h, TicketWorkflow.apply_closure, hotline.closure(s))
    assert verdict(err) == ("REQUESTER_NOT_INFORMED", "A20")
    s = await hotline.inform_requester(h)
    answered = events(s, "requester_answered")
    assert len(answered) == 1 and answered[0].data["deemed"] is False and answered[0].rule == "A20"
    s = await hotline.act(h, TicketWorkflow.apply_closure, hotline.closure(s))
    assert s.stage == Stage.CLOSURE_REVIEW


async def test_a20_failed_calls_on_two_consecutive_shanghai_days_count_as_answered(hotline: Hotline) -> None:
    """A20: two consecutive days of failed calls count as answered. 23:50 and 00:10 Shanghai are two days
    (though one UTC date)."""
    monday = next_weekday(await hotline.now(), MONDAY)
    h = await ticket_at(hotline, at_local(monday, 22), Category.COMPLAINT, sign=True)
    s = await hotline.state(h)
    first, second = at_local(monday, 23, 50), at_local(monday + timedelta(days=1), 0, 10)
    await hotline.sleep_until(first)
    s = await hotline.act(h, TicketWorkflow.record_contact, failed_call(first))
    assert s.requester_informed_at is None and not events(s, "requester_answered")
    assert (
        await hotline.refused(h, TicketWorkflow.apply_closure, hotline.closure(s))
    ).type == "REQUESTER_NOT_INFORMED"

    await hotline.sleep_until(second)
    s = await hotline.act(h, TicketWorkflow.record_contact, failed_call(second))
    assert s.requester_informed_at == second
    answered = events(s, "requester_answered")
    assert len(answered) == 1 and answered[0].rule == "A20" and answered[0].data["deemed"] is True
    assert datetime.fromisoformat(answered[0].data["at"]) == second
    assert len(events(s, "contact_attempted", reached=False)) == 2
    s = await hotline.act(h, TicketWorkflow.apply_closure, hotline.closure(s))
    assert s.stage == Stage.CLOSURE_REVIEW


async def test_a20_two_failed_calls_on_one_shanghai_day_do_not_count(hotline: Hotline) -> None:
    """A20: 00:10 and 23:50 Shanghai are one day (though two UTC dates): not deemed answered."""
    monday = next_weekday(await hotline.now(), MONDAY)
    await hotline.sleep_until(at_local(monday - timedelta(days=1), 23))
    h = await register(hotline, Category.COMPLAINT)
    s = await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=U1))
    for at in (at_local(monday, 0, 10), at_local(monday, 23, 50)):
        await hotline.sleep_until(at)
        s = await hotline.act(h, TicketWorkflow.record_contact, failed_call(at))
    assert s.requester_informed_at is None and not events(s, "requester_answered")
    err = await hotline.refused(h, TicketWorkflow.apply_closure, hotline.closure(s))
    assert verdict(err) == ("REQUESTER_NOT_INFORMED", "A20")


async def test_a20_only_phone_calls_to_tell_the_result_count(hotline: Hotline) -> None:
    """A20 "连续 2 天拨打诉求人联系电话（手机）均未果的，视为已答复": unanswered SMS on two consecutive days
    are not deemed an answer, and reaching the requester to ask for details (A14) is not telling the
    result. Failed calls on two days are; so is reaching them to tell the result."""
    monday = next_weekday(await hotline.now(), MONDAY)
    h = await ticket_at(hotline, at_local(monday, 9), Category.COMPLAINT, sign=True)
    asked = ContactAttempt(
        actor=U1,
        at=at_local(monday, 10),
        reached=True,
        purpose=ContactPurpose.ENQUIRY,
        note="asked where the lamp is",
    )
    await hotline.sleep_until(asked.at)
    s = await hotline.act(h, TicketWorkflow.record_contact, asked)
    assert [e.data["purpose"] for e in events(s, "contact_attempted")] == ["enquiry"]
    for day in (1, 2):
        sms = ContactAttempt(
            actor=U1, at=at_local(monday + timedelta(days=day), 10), reached=False, channel=ContactChannel.SMS
        )
        await hotline.sleep_until(sms.at)
        s = await hotline.act(h, TicketWorkflow.record_contact, sms)
    assert s.requester_informed_at is None and not events(s, "requester_answered")
    assert verdict(await hotline.refused(h, TicketWorkflow.apply_closure, hotline.closure(s))) == (
        "REQUESTER_NOT_INFORMED",
        "A20",
    )

    for day in (3, 4):  # Thursday and Friday: failed calls to tell the result
        call = at_local(monday + timedelta(days=day), 10)
        await hotline.sleep_until(call)
        s = await hotline.act(h, TicketWorkflow.record_contact, failed_call(call))
    assert s.requester_informed_at == at_local(monday + timedelta(days=4), 10)
    assert [e.data["deemed"] for e in events(s, "requester_answered")] == [True]


# -- A20: what a closure application holds -------------------------------------------------------------------
async def test_a20_closure_answers_every_point(hotline: Hotline) -> None:
    """A20(1): answer the request point by point, nothing omitted."""
    h = await register(hotline, Category.COMPLAINT, request_points=["a", "b"])
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=U1))
    s = await hotline.inform_requester(h)
    full = hotline.closure(s)
    assert [a.point for a in full.answers] == ["a", "b"]
    partial = full.model_copy(update={"answers": [PointAnswer(point="a", answer="Done: a")]})
    err = await hotline.refused(h, TicketWorkflow.apply_closure, partial)
    assert verdict(err, kind=True) == ("POINTS_UNANSWERED", "A20", "invalid")
    assert "b" in err.message
    s = await hotline.act(h, TicketWorkflow.apply_closure, full)
    assert s.stage == Stage.CLOSURE_REVIEW
    applied = events(s, "closure_applied")
    assert len(applied) == 1 and (applied[0].rule, applied[0].notify) == ("A20", ["hotline"])


async def test_a20_long_running_matter_states_its_progress(hotline: Hotline) -> None:
    """A20(2): a long-running matter states its progress and explains."""
    h = await register(hotline, Category.COMPLAINT)
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=U1))
    s = await hotline.inform_requester(h)
    silent = hotline.closure(s).model_copy(update={"long_running": True})
    err = await hotline.refused(h, TicketWorkflow.apply_closure, silent)
    assert verdict(err) == ("PROGRESS_REQUIRED", "A20")
    s = await hotline.act(
        h,
        TicketWorkflow.apply_closure,
        silent.model_copy(update={"progress": "Phase 1 of 3 done; budget approved"}),
    )
    assert s.stage == Stage.CLOSURE_REVIEW


async def test_a20_closure_sent_back_keeps_the_limit_from_first_receipt(hotline: Hotline) -> None:
    """A20: the hotline sends the closure back (with a reason); the limit still counts from the first
    receipt, so the answer card turns yellow at the original due."""
    tuesday = next_weekday(await hotline.now(), TUESDAY)
    await load_test_calendar(hotline.session_maker, tuesday, tuesday + timedelta(days=14))
    h = await ticket_at(hotline, at_local(tuesday, 10), Category.CONSULTATION, sign=True)
    due = end_of(tuesday + timedelta(days=2))  # Wed(1), Thu(2)
    await hotline.sleep_until(at_local(tuesday + timedelta(days=1), 10))
    s = await hotline.inform_requester(h)
    s = await hotline.act(h, TicketWorkflow.apply_closure, hotline.closure(s))
    assert s.clocks["answer"].met_at is not None

    err = await hotline.refused(h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=False))
    assert verdict(err) == ("REASON_REQUIRED", "A20")
    s = await hotline.act(
        h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=False, reason="Point 1 dodged")
    )
    assert s.stage == Stage.HANDLING
    assert s.closures[0].decision == Decision.REFUSED
    assert s.clocks["answer"].met_at is None and s.clocks["answer"].due_at == due
    sent_back = events(s, "closure_sent_back")
    assert len(sent_back) == 1 and (sent_back[0].rule, sent_back[0].notify) == ("A20", ["unit:U1"])
    assert sent_back[0].data["reason"] == "Point 1 dodged"

    s = await crosses(hotline, h, "answer", due, Card.GREEN, Card.YELLOW)
    assert (await search_attributes(hotline, h))[sa.CARD.name] == "yellow"


async def test_a20_a_contact_before_the_units_receipt_and_a_closure_handled_in_the_future_are_refused(
    hotline: Hotline,
) -> None:
    """A20: contacts count from the unit's receipt, so one dated before it is a typo (CONTACT_BEFORE_RECEIPT);
    a closure says when the matter was handled: after registration and not later than now
    (HANDLED_AT_OUT_OF_RANGE). Nothing is recorded."""
    h = await register(hotline, Category.COMPLAINT)
    s = await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=U1))
    received = s.assignments[0].received_at
    early = ContactAttempt(actor=U1, at=received - timedelta(days=3), reached=True)
    assert verdict(await hotline.refused(h, TicketWorkflow.record_contact, early)) == (
        "CONTACT_BEFORE_RECEIPT",
        "A20",
    )
    s = await hotline.inform_requester(h)
    for handled_at in (
        s.registration.received_at - timedelta(days=1),
        await hotline.now() + timedelta(days=30),
    ):
        closure = hotline.closure(s).model_copy(update={"handled_at": handled_at})
        assert verdict(await hotline.refused(h, TicketWorkflow.apply_closure, closure)) == (
            "HANDLED_AT_OUT_OF_RANGE",
            "A20",
        )
    s = await hotline.state(h)
    assert (s.stage, s.closures, len(s.contacts)) == (Stage.HANDLING, [], 1)


async def test_a17_a_refused_extension_says_why(hotline: Hotline) -> None:
    h = await register(hotline, Category.COMPLAINT)
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=U1))
    await hotline.act(
        h, TicketWorkflow.apply_extension, ApplyExtension(actor=U1, reason="r", requester_told=True)
    )
    refused = await hotline.refused(h, TicketWorkflow.review_extension, Review(actor=OPERATOR, approve=False))
    assert verdict(refused) == ("REASON_REQUIRED", "A17")
    s = await hotline.act(
        h, TicketWorkflow.review_extension, Review(actor=OPERATOR, approve=False, reason="not hard")
    )
    assert s.extensions[0].decision == Decision.REFUSED
