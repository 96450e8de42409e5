"""The ticket's transitions without Temporal (domain/stages/, domain/clocks.py): each is a function of the
state, the command, the instant and the planned deadlines, returning the events it recorded. The workflow
tiers (tests/workflows/) show the same transitions inside a running ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import clocks
from domain.changes import CHANGES, VERDICTS_V2
from domain.clocks import ClockSpec
from domain.commands import (
    ApplyExtension,
    DecideRedo,
    Dispatch,
    FileTerminationNotice,
    Rate,
    RecordCallback,
    Review,
    ReviewReturn,
)
from domain.delivery import DeliveryReport, DeliveryStatus
from domain.errors import RuleViolation
from domain.rulesets import CITY, Period
from domain.stages import closure, dispatch, ending, extension, intake, rating, returns
from domain.ticket import ANSWER, HANDLE, SIGN_FOR, Clock, OpeningFacts, TicketState
from domain.timeline import PAYLOADS, EventKind, record
from domain.vocabulary import (
    Card,
    ContactChannel,
    Decision,
    NotAcceptedReason,
    Outcome,
    ReturnKind,
    Stage,
)
from tests.unit.stages_support import (
    OPERATOR,
    RECEIVED,
    U1,
    dispatched,
    handling,
    kinds,
    opened,
    planned,
    rated,
    return_of,
    step,
    told_and_closed,
)


def test_a13_a_refusal_at_opening_stops_everything_and_tells_the_requester() -> None:
    state = opened()
    events = intake.open_ticket(
        state.model_copy(deep=True),
        OpeningFacts(rule_set=CITY, refusal=NotAcceptedReason.TERMINATED_MATTER, refusal_basis="A18"),
        step(),
    )
    assert kinds(events) == [EventKind.REGISTERED, EventKind.NOT_ACCEPTED]
    assert events[-1].notify == ["requester"] and events[-1].actor == "system"


def test_a14_a_dispatch_is_a_receipt_that_plans_the_table_s_limits() -> None:
    state = opened(emergency=True)
    items = dispatch.dispatch_plan(state, None, RECEIVED)
    assert {i.name for i in items} == {SIGN_FOR, HANDLE, ANSWER, "return_window", "survey_start_window"}
    events = dispatch.dispatch(
        state, Dispatch(actor=OPERATOR, lead_unit="U1", co_units=["U2"]), step(), planned(state, items)
    )
    assert kinds(events) == [EventKind.DISPATCHED]
    assert events[0].notify == ["unit:U1", "unit:U2"]
    assert set(state.clocks) == {SIGN_FOR, HANDLE, ANSWER}  # windows live on the assignment, uncarded
    assert state.stage == Stage.DISPATCHED and state.assignment is not None
    assert state.assignment.return_by > RECEIVED


def test_a17_3_an_ordinary_ticket_has_no_emergency_handling_limit() -> None:
    assert HANDLE not in dispatched().clocks


def test_the_clock_table_meets_a_limit_from_the_events_that_answer_it() -> None:
    state = handling()
    assert state.clocks[SIGN_FOR].met_at == RECEIVED + timedelta(hours=1)
    assert state.clocks[ANSWER].met_at is None


# -- returns (A14.1, A16) ---------------------------------------------------------------------------------
def test_a14_1_an_approved_return_is_a_new_receipt_for_the_suggested_unit() -> None:
    state = handling()
    later = RECEIVED + timedelta(hours=2)
    assert kinds(returns.apply_return(state, return_of(), step(later))) == [EventKind.RETURN_APPLIED]
    assert state.stage == Stage.RETURN_REVIEW
    review = ReviewReturn(actor=OPERATOR, return_id="R1", approve=True)
    events = returns.review_return(
        state, review, step(later), planned(state, returns.review_return_plan(state, review, later))
    )
    assert kinds(events) == [EventKind.RETURN_APPROVED, EventKind.DISPATCHED]
    assert state.lead_unit == "U2" and state.clocks[ANSWER].anchor_at == later


def test_a16_2_a_return_without_reason_is_refused_at_once() -> None:
    state = handling()
    events = returns.apply_return(state, return_of(reason=" "), step())
    assert kinds(events) == [EventKind.RETURN_APPLIED, EventKind.RETURN_REFUSED]
    assert state.returns[0].decision == Decision.REFUSED and state.returns[0].automatic
    assert state.stage == Stage.HANDLING


def test_a14_1_refused_review_plans_nothing() -> None:
    state = handling()
    review = ReviewReturn(actor=OPERATOR, return_id="R1", approve=False)
    assert returns.review_return_plan(state, review, RECEIVED) == []


# -- extension (A17) and closure (A20) ------------------------------------------------------------------------
def test_a17_an_approved_extension_moves_the_answer_limit_after_the_original_one() -> None:
    state = handling()
    extension.apply_extension(state, ApplyExtension(actor=U1, reason="需协调", requester_told=True), step())
    before = state.clocks[ANSWER].due_at
    review = Review(actor=OPERATOR, approve=True)
    items = extension.review_extension_plan(state, review, RECEIVED)
    events = extension.review_extension(state, review, step(), planned(state, items))
    assert kinds(events) == [EventKind.EXTENSION_APPROVED]
    assert state.clocks[ANSWER].due_at > before and len(state.clocks[ANSWER].then) == 1
    assert "requester" in events[0].notify


def test_a20_a_closure_sent_back_reopens_the_answer_limit() -> None:
    state = handling()
    told_and_closed(state)
    assert state.clocks[ANSWER].met_at is not None and state.stage == Stage.CLOSURE_REVIEW
    events = closure.review_closure(state, Review(actor=OPERATOR, approve=False, reason="答复不完整"), step())
    assert kinds(events) == [EventKind.CLOSURE_SENT_BACK]
    assert state.clocks[ANSWER].met_at is None and state.stage == Stage.HANDLING


def test_a20_a24_an_approved_closure_asks_for_the_rating() -> None:
    state = handling()
    told_and_closed(state)
    events = closure.review_closure(state, Review(actor=OPERATOR, approve=True), step())
    assert kinds(events) == [EventKind.CLOSURE_APPROVED, EventKind.RATING_REQUESTED]
    assert state.outcome == Outcome.CLOSED and state.stage == Stage.RATING


# -- rating and redo (A24) ----------------------------------------------------------------------------------
def test_a24_a_satisfied_rating_concludes_and_stops_every_limit() -> None:
    state = rated(["satisfied"])
    assert state.stage == Stage.CONCLUDED and state.timeline[-1].kind == EventKind.CONCLUDED
    assert all(c.met_at is not None for c in state.clocks.values())


def test_a24_a_redo_restarts_only_the_answer_limit_and_keeps_the_met_ones() -> None:
    state = rated(["dissatisfied"])
    assert state.stage == Stage.CALLBACK
    rating.record_callback(
        state,
        RecordCallback(actor=OPERATOR, channel=ContactChannel.PHONE, reached=True, wants_redo=True),
        step(),
    )
    redo = DecideRedo(actor=OPERATOR, approve=True, reason="未解决")
    sign_for_before = state.clocks[SIGN_FOR].model_copy()
    items = rating.redo_plan(state, redo, RECEIVED)
    assert {i.name for i in items} == {ANSWER, "return_window", "survey_start_window"}
    events = rating.decide_redo(state, redo, step(), planned(state, items))
    assert kinds(events) == [EventKind.REDO_ORDERED, EventKind.DISPATCHED]
    assert state.clocks[SIGN_FOR] == sign_for_before and state.clocks[ANSWER].met_at is None
    assert state.assignment is not None and state.assignment.redo and state.stage == Stage.HANDLING


def test_a24_a_final_rating_asks_about_the_callback_only_when_dissatisfied() -> None:
    """Asking is what records CALLBACK_AFTER_FINAL_RATING in a history: never asked when it cannot matter."""
    asked: list[bool] = []
    for options, expected in ((["satisfied"], 0), (["dissatisfied"], 1)):
        asked.clear()
        state = handling()
        told_and_closed(state)
        closure.review_closure(state, Review(actor=OPERATOR, approve=True), step())
        state.ratings[-1].final = True
        rating.rate(
            state, Rate(acceptance=options, handling=options), step(), lambda: bool(asked.append(True))
        )
        assert len(asked) == expected and state.stage == Stage.CONCLUDED


def test_a24_no_answer_in_the_window_reads_basically_satisfied_stamped_at_its_end() -> None:
    state = handling()
    told_and_closed(state)
    closure.review_closure(state, Review(actor=OPERATOR, approve=True), step())
    window_end = state.ratings[-1].expires_at
    assert rating.rating_window_passes(state, step(window_end - timedelta(seconds=1)), lambda: True) == []
    events = rating.rating_window_passes(state, step(window_end + timedelta(hours=3)), lambda: True)
    assert kinds(events) == [EventKind.RATING_DEFAULTED, EventKind.CONCLUDED]
    assert events[0].at == window_end


# -- ending (A18, A21) ---------------------------------------------------------------------------------------
NOTICE = FileTerminationNotice(
    actor=U1,
    notice_ref="韶武城管〔2026〕1号",
    prior_ticket_no="GD12345-20260101-0000BBBB",
    served_at=RECEIVED,
)


def test_a18_a_termination_notice_is_filed_with_12345_for_review() -> None:
    state = handling()
    ending.check_termination(state, NOTICE)
    events = ending.file_termination_notice(state, NOTICE, step())
    assert kinds(events) == [EventKind.TERMINATION_APPLIED] and events[0].notify == ["hotline"]
    assert events[0].data["prior_ticket_no"] == "GD12345-20260101-0000BBBB"
    assert state.stage == Stage.CLOSURE_REVIEW and state.outcome is None and state.termination is None
    assert state.clocks[ANSWER].met_at is not None
    events = closure.review_closure(state, Review(actor=OPERATOR, approve=True), step())
    assert kinds(events) == [EventKind.TERMINATION_CONFIRMED, EventKind.CONCLUDED]
    assert state.outcome == Outcome.TERMINATED and state.termination == NOTICE


def test_a18_a_termination_refused_reopens_the_answer_limit() -> None:
    state = handling()
    ending.file_termination_notice(state, NOTICE, step())
    events = closure.review_closure(state, Review(actor=OPERATOR, approve=False, reason="有新理由"), step())
    assert kinds(events) == [EventKind.TERMINATION_REFUSED]
    assert state.stage == Stage.HANDLING and state.clocks[ANSWER].met_at is None and state.termination is None


def test_a18_a_ticket_opened_under_verdicts_2_concludes_on_the_notice_as_recorded() -> None:
    state = handling()
    state.verdicts = VERDICTS_V2
    events = ending.file_termination_notice(state, NOTICE, step())
    assert kinds(events) == [EventKind.TERMINATION_NOTICE_FILED, EventKind.CONCLUDED]
    assert state.outcome == Outcome.TERMINATED and state.clocks[ANSWER].met_at is not None


def test_a21_archived_at_the_archive_date() -> None:
    state = rated(["satisfied"])
    assert state.archive_at is not None
    assert ending.archive_when_due(state, step(state.archive_at - timedelta(seconds=1))) == []
    events = ending.archive_when_due(state, step(state.archive_at + timedelta(days=1)))
    assert kinds(events) == [EventKind.ARCHIVED] and events[0].at == state.archive_at


# -- the clock table (A22) ------------------------------------------------------------------------------------
def test_a22_cards_turn_at_the_boundary_they_crossed() -> None:
    state = dispatched()
    due = state.clocks[SIGN_FOR].due_at
    events = list(state.timeline)
    clocks.refresh_cards(state, step(due + timedelta(minutes=5)))
    [change] = state.timeline[len(events) :]
    assert change.kind == EventKind.CARD_CHANGED and change.at == due
    assert change.data["after"] == Card.YELLOW.value and change.notify == ["unit:U1", "hotline"]


def test_a_clock_that_survives_redispatch_is_kept_by_a_new_receipt(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new limit (a supervision order's) is one table entry; a re-dispatch no longer drops it."""
    order = ClockSpec(
        "supervision_order",
        "A25",
        lambda rs, reg: Period(hours=4),
        planned_at_receipt=False,
        survives_redispatch=True,
    )
    monkeypatch.setattr(clocks, "SPECS", {**clocks.SPECS, order.name: order})
    state = handling()
    state.clocks[order.name] = Clock(
        name=order.name, period=Period(hours=4), anchor_at=RECEIVED, due_at=RECEIVED, red_at=RECEIVED
    )
    returns.apply_return(state, return_of(), step())
    review = ReviewReturn(actor=OPERATOR, return_id="R1", approve=True)
    returns.review_return(
        state, review, step(), planned(state, returns.review_return_plan(state, review, RECEIVED))
    )
    assert order.name in state.clocks and state.lead_unit == "U2"
    assert state.clocks[SIGN_FOR].met_at is None  # the other limits restarted with the receipt


def test_a_clock_only_a_later_table_knows_is_never_dropped() -> None:
    state = handling()
    state.clocks["from_the_future"] = state.clocks[ANSWER].model_copy(update={"name": "from_the_future"})
    returns.apply_return(state, return_of(), step())
    review = ReviewReturn(actor=OPERATOR, return_id="R1", approve=True)
    returns.review_return(
        state, review, step(), planned(state, returns.review_return_plan(state, review, RECEIVED))
    )
    assert "from_the_future" in state.clocks


# -- vocabulary and versions --------------------------------------------------------------------------------
def test_a_payload_readers_rely_on_is_checked_when_recorded() -> None:
    state = opened()
    with pytest.raises(ValueError):
        record(state, step(), EventKind.DISPATCHED, "system", "A14", [], lead_unit="U1")
    assert set(PAYLOADS) <= set(EventKind)


def test_every_named_change_binds_only_tickets_opened_under_its_version() -> None:
    state = opened()
    for change in CHANGES:
        assert change.rule and change.text
        assert state.judged_by(change)
        assert not state.model_copy(update={"verdicts": change.version - 1}).judged_by(change)


def test_a_check_refuses_with_its_rule() -> None:
    state = dispatched()
    with pytest.raises(RuleViolation) as refused:
        returns.check_return(state, return_of(kind=ReturnKind.NOT_OUR_DUTY, suggested_unit=None))
    assert refused.value.rule == "A14.1"


# -- A24: the rating request's receipt (verdicts 3, by message) -------------------------------------------------
def by_message_rating_requested() -> TicketState:
    state = handling()
    state.rating_by_message = True
    told_and_closed(state)
    closure.review_closure(state, Review(actor=OPERATOR, approve=True), step())
    assert state.ratings[-1].awaiting_receipt
    return state


def delivery(state: TicketState, status: DeliveryStatus, recipient: str = "requester") -> DeliveryReport:
    request = next(e for e in state.timeline if e.kind == EventKind.RATING_REQUESTED)
    return DeliveryReport(
        event_id=request.id,
        recipient=recipient,
        delivery_id=f"{request.id}:{recipient}",
        status=status,
        at=RECEIVED + timedelta(days=2),
    )


def test_a24_a_requester_with_no_channel_is_called_back_not_defaulted() -> None:
    state = by_message_rating_requested()
    events = rating.request_delivered(state, delivery(state, DeliveryStatus.NO_CHANNEL), step())
    assert kinds(events) == [EventKind.RATING_REQUEST_UNDELIVERABLE, EventKind.CALLBACK_DUE]
    assert state.stage == Stage.CALLBACK and state.ratings[-1].handling is None


def test_a24_only_the_requester_s_receipt_of_this_round_starts_the_window() -> None:
    state = by_message_rating_requested()
    assert rating.request_delivered(state, delivery(state, DeliveryStatus.SENT, "hotline"), step()) == []
    assert rating.request_delivered(state, delivery(state, DeliveryStatus.FAILED), step()) == []
    assert rating.rating_window_passes(state, step(RECEIVED + timedelta(days=30)), lambda: True) == []
    events = rating.request_delivered(state, delivery(state, DeliveryStatus.ACKNOWLEDGED), step())
    assert kinds(events) == [EventKind.RATING_REQUEST_RECEIVED]
    assert state.ratings[-1].expires_at == RECEIVED + timedelta(days=3)
