"""Supervision orders (A4, A6, A25) and the hotline office's own limits (A14.1, A14.5, A17, A20, A24) as pure
transitions, without Temporal: the helpers of tests/unit/stages_support.py build the ticket (Monday 2026-11-23
10:00 Asia/Shanghai, the seeded calendar). tests/workflows/test_supervision.py shows the same in a running
ticket."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from domain import clocks
from domain.commands import (
    AnswerSupervisionOrder,
    ApplyExtension,
    Designation,
    IssueSupervisionOrder,
    RaiseDispute,
    Rate,
    Review,
    ReviewReturn,
)
from domain.errors import RuleViolation
from domain.rulesets import CITY, Period
from domain.stages import closure, extension, office, rating, returns, supervision
from domain.ticket import TicketState, TimelineEvent
from domain.timeline import EventKind, SupervisionAnswered, SupervisionOrdered
from domain.vocabulary import Card, DisputeKind, RefusalGround, Stage
from tests.unit.stages_support import (
    OPERATOR,
    RECEIVED,
    U1,
    dispatched,
    handling,
    opened,
    planned,
    rated,
    return_of,
    step,
    told_and_closed,
)

U2 = U1.model_copy(update={"unit_id": "U2", "id": "cred-2"})


def issue(state: TicketState, within: Period) -> None:
    cmd = IssueSupervisionOrder(actor=OPERATOR, reason="请尽快处置", respond_within=within)
    supervision.check_issue(state, cmd)
    supervision.issue(state, cmd, step(), planned(state, supervision.order_plan(state, cmd, RECEIVED)))


def answer(state: TicketState, order_id: str, at: datetime) -> list[TimelineEvent]:
    cmd = AnswerSupervisionOrder(actor=U1, order_id=order_id, answer="已处置")
    supervision.check_answer(state, cmd)
    return supervision.answer(state, cmd, step(at))


def refused(
    check: Callable[[TicketState, Any], None], state: TicketState, cmd: Any
) -> tuple[str, str | None]:
    with pytest.raises(RuleViolation) as refusal:
        check(state, cmd)
    return refusal.value.code, refusal.value.rule


# -- A25: supervision orders ------------------------------------------------------------------------------
def test_a25_an_order_sets_its_own_time_in_hours_or_working_days() -> None:
    state = handling()
    issue(state, Period(hours=4))
    issue(state, Period(working_days=1))
    s1, s2 = state.supervision_orders
    assert s1.due_at == RECEIVED + timedelta(hours=4)  # natural hours from the order
    assert s2.due_at.isoformat() == "2026-11-24T16:00:00+00:00"  # 24:00 Tuesday, Shanghai
    assert state.clocks["supervision:S1"].charged_to == "lead_unit"
    ordered = [e for e in state.timeline if e.kind == EventKind.SUPERVISION_ORDERED]
    assert [e.notify for e in ordered] == [["unit:U1"], ["unit:U1"]]
    assert SupervisionOrdered.model_validate(ordered[1].data).respond_within == {"working_days": 1}


def test_a25_an_order_answered_in_time_is_met_green_one_overdue_turns_the_units_card() -> None:
    state = handling()
    issue(state, Period(hours=2))
    issue(state, Period(hours=4))
    [event] = answer(state, "S1", RECEIVED + timedelta(hours=1))
    assert SupervisionAnswered.model_validate(event.data).late is False
    assert state.clocks["supervision:S2"].met_at is None  # only that order's limit is met
    clocks.refresh_cards(state, step(RECEIVED + timedelta(hours=5)))
    assert state.clocks["supervision:S1"].card == Card.GREEN
    assert state.clocks["supervision:S2"].card == Card.YELLOW and state.card() == Card.YELLOW
    assert supervision.order_status(state, state.supervision_orders[1], RECEIVED + timedelta(hours=5)) == (
        "overdue"
    )
    [late] = answer(state, "S2", RECEIVED + timedelta(hours=6))
    assert late.data["late"] is True and state.clocks["supervision:S2"].card == Card.YELLOW


def test_a25_only_the_office_orders_only_the_lead_answers_and_only_once() -> None:
    state = handling()
    cmd = IssueSupervisionOrder(actor=U1, reason="r", respond_within=Period(hours=1))
    assert refused(supervision.check_issue, state, cmd) == ("TICKET_NOT_FOUND", None)
    issue(state, Period(hours=1))
    by_operator = AnswerSupervisionOrder(actor=OPERATOR, order_id="S1", answer="a")
    assert refused(supervision.check_answer, state, by_operator)[0] == "TICKET_NOT_FOUND"
    unknown = AnswerSupervisionOrder(actor=U1, order_id="S2", answer="a")
    assert refused(supervision.check_answer, state, unknown) == ("NO_SUCH_SUPERVISION_ORDER", "A25")
    answer(state, "S1", RECEIVED)
    again = AnswerSupervisionOrder(actor=U1, order_id="S1", answer="a")
    assert refused(supervision.check_answer, state, again) == ("SUPERVISION_ORDER_ALREADY_ANSWERED", "A25")


@pytest.mark.parametrize("where", ["registered", "concluded", "coordinating"])
def test_a25_no_order_where_no_unit_holds_the_ticket(where: str) -> None:
    if where == "registered":
        state = opened()
    elif where == "concluded":
        state = rated(["satisfied"])
        assert state.stage == Stage.CONCLUDED
    else:
        state = handling()
        raise_dispute(state)
    cmd = IssueSupervisionOrder(actor=OPERATOR, reason="r", respond_within=Period(hours=1))
    assert refused(supervision.check_issue, state, cmd) == ("STAGE_FORBIDS_ACTION", "A25")


def test_a25_an_order_lapses_when_the_ticket_goes_to_another_unit() -> None:
    state = handling()
    issue(state, Period(working_days=3))
    returns.apply_return(state, return_of(), step())
    review = ReviewReturn(actor=OPERATOR, return_id="R1", approve=True)
    returns.review_return(
        state, review, step(), planned(state, returns.review_return_plan(state, review, RECEIVED))
    )
    assert state.lead_unit == "U2" and "supervision:S1" not in state.clocks
    assert supervision.order_status(state, state.supervision_orders[0], RECEIVED) == "lapsed"
    by_new_lead = AnswerSupervisionOrder(actor=U2, order_id="S1", answer="a")
    assert refused(supervision.check_answer, state, by_new_lead) == ("SUPERVISION_ORDER_LAPSED", "A25")


# -- the hotline's own limits ------------------------------------------------------------------------------
def start(state: TicketState) -> list[str]:
    items = office.office_plan(state)
    office.start_office_clocks(state, planned(state, items))
    assert office.office_plan(state) == []  # started once
    return [i.name for i in items]


def raise_dispute(state: TicketState) -> None:
    cmd = RaiseDispute(actor=U1, kind=DisputeKind.SEVERAL_UNITS, units=["U3"], reason="两区交界")
    returns.raise_dispute(state, cmd, step(), "ticket-x-coordination-1")


def test_a14_1_a_return_s_review_is_the_office_s_limit_charged_to_the_hotline() -> None:
    state = handling()
    assert office.office_plan(state) == []
    returns.apply_return(state, return_of(), step())
    assert start(state) == ["return_review:R1"]
    review = state.clocks["return_review:R1"]
    assert (review.period, review.anchor_at, review.charged_to) == (CITY.return_review, RECEIVED, "hotline")
    clocks.refresh_cards(state, step(review.due_at + timedelta(minutes=1)))
    assert review.card == Card.YELLOW and state.card() == Card.GREEN  # never the unit's card
    change = state.timeline[-1]
    assert (change.data["clock"], change.data["charged_to"]) == ("return_review:R1", "hotline")
    refuse = ReviewReturn(
        actor=OPERATOR,
        return_id="R1",
        approve=False,
        ground=RefusalGround.UNITS_MATTER_BY_LAW,
        reason="属本单位",
    )
    returns.review_return(state, refuse, step(review.due_at + timedelta(hours=1)), {})
    assert review.met_at is not None and review.card == Card.YELLOW


def test_a14_5_a_coordination_is_the_office_s_limit_met_by_the_designation() -> None:
    state = handling()
    raise_dispute(state)
    assert start(state) == ["coordination:1"]
    assert state.clocks["coordination:1"].period == CITY.coordination
    designation = Designation(actor=OPERATOR, lead_unit="U3")
    items = returns.designation_plan(state, RECEIVED, keeps_receipt=False)
    returns.designate(state, designation, step(), planned(state, items), keeps_receipt=False)
    # Met, and kept by the new receipt for the record (the office's limit does not move with the ticket).
    assert state.clocks["coordination:1"].met_at is not None and state.lead_unit == "U3"


def test_a17_a20_a24_extension_closure_and_callback_are_the_office_s_limits() -> None:
    state = handling()
    extension.apply_extension(state, ApplyExtension(actor=U1, reason="需协调", requester_told=True), step())
    assert start(state) == ["extension_review:1"]
    items = extension.review_extension_plan(state, Review(actor=OPERATOR, approve=True), RECEIVED)
    extension.review_extension(state, Review(actor=OPERATOR, approve=True), step(), planned(state, items))
    assert state.clocks["extension_review:1"].met_at is not None

    fresh = handling()
    told_and_closed(fresh)
    assert start(fresh) == ["closure_review:C1"]
    assert fresh.clocks["closure_review:C1"].period == CITY.closure_review

    called = rated(["dissatisfied"])
    assert called.stage == Stage.CALLBACK and start(called) == ["callback:1"]
    assert called.clocks["callback:1"].period == CITY.callback
    assert all(c.charged_to == "hotline" for n, c in called.clocks.items() if ":" in n)


def test_a24_a_satisfied_rating_calls_no_one_back() -> None:
    state = handling()
    told_and_closed(state)
    start(state)
    closure.review_closure(state, Review(actor=OPERATOR, approve=True), step())
    rating.rate(state, Rate(acceptance=["satisfied"], handling=["satisfied"]), step(), lambda: True)
    assert office.office_plan(state) == [] and state.clocks["closure_review:C1"].met_at is not None


def test_the_first_dispatch_starts_no_office_limit() -> None:
    assert office.office_plan(dispatched()) == []
