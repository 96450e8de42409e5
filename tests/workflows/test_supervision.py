"""Supervision orders (A4, A6, A25) and the hotline office's own limits (A14.1, A14.5), on the time-skipping
server: one server, three tickets registered on a Monday of a test calendar with no holiday, every instant
worked out by hand ("Counting time": the day of issue or application is not counted; a working-day period
ends at 24:00 Asia/Shanghai of its last working day; A22 yellow from the limit).

- Ticket A (must show 2): the hotline issues two orders at Monday 10:00. S1 (催办, 4 hours) is answered at
  12:00, in time: its limit is met green. S2 (督办, 1 working day) is not: at 24:00 Tuesday its card turns
  yellow, charged to the unit (the ticket's own card turns yellow with it); answered on Wednesday, late, the
  card stays as it turned.
- Ticket B (must show 3, a late review): U1 applies for a return at Monday 10:00; the office's review limit
  (rule set `return_review`, 1 WD, an office-set limit) passes at 24:00 Tuesday: a yellow card charged to the
  hotline, never to the unit; the review on Wednesday meets it late.
- Ticket C (must show 3, A14.5): a dispute raised at Monday 10:00 is coordinated within the rule set's
  `coordination` (3 WD): the child coordination is still undesignated at 24:00 Thursday, so the hotline's
  card turns yellow; the designation on Friday meets it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio.client import WorkflowHandle

from domain.calendar import SHANGHAI
from domain.commands import (
    AnswerSupervisionOrder,
    Designation,
    IssueSupervisionOrder,
    RaiseDispute,
    ReviewReturn,
)
from domain.rulesets import Period
from domain.ticket import TicketState
from domain.vocabulary import Card, DisputeKind, RefusalGround, Stage, SupervisionKind
from tests.driver import OPERATOR, Hotline, unit
from tests.workflows.support import (
    MONDAY,
    ONE_SECOND,
    UPDATE_TIMEOUT,
    a_return,
    act,
    assert_card_changed,
    at_local,
    card_change,
    end_of,
    events,
    load_test_calendar,
    next_weekday,
    only_event,
    refusal,
    ticket_at,
)
from workflows.coordination import CoordinationWorkflow
from workflows.ticket import TicketWorkflow


def order(kind: SupervisionKind, within: Period, reason: str) -> IssueSupervisionOrder:
    return IssueSupervisionOrder(actor=OPERATOR, kind=kind, reason=reason, respond_within=within)


def answer(order_id: str, text: str = "已派员现场处置，明日回复结果") -> AnswerSupervisionOrder:
    return AnswerSupervisionOrder(actor=unit("U1"), order_id=order_id, answer=text)


async def crossing(
    hotline: Hotline,
    tickets: list[tuple[WorkflowHandle[TicketWorkflow, TicketState], str]],
    boundary: datetime,
) -> list[TicketState]:
    """A22: each (ticket, clock) is green a second before `boundary` and yellow a second after, the change
    stamped with the boundary itself."""
    await hotline.sleep_until(boundary - ONE_SECOND)
    for h, clock in tickets:
        assert (await hotline.state(h)).clocks[clock].card == Card.GREEN, clock
    await hotline.sleep_until(boundary + ONE_SECOND)
    states = []
    for h, clock in tickets:
        s = await hotline.until(h, lambda s, clock=clock: s.clocks[clock].card == Card.YELLOW)
        assert_card_changed(s, clock, Card.GREEN, Card.YELLOW, boundary)
        states.append(s)
    return states


async def test_a25_orders_and_the_hotlines_own_limits_are_carded_when_they_pass(hotline: Hotline) -> None:
    monday = next_weekday(await hotline.now(), MONDAY)
    tuesday, thursday = monday + timedelta(days=1), monday + timedelta(days=3)
    await load_test_calendar(hotline.session_maker, monday, monday + timedelta(days=30))
    ten = at_local(monday, 10)
    a = await ticket_at(hotline, ten, sign=True)
    b = await ticket_at(hotline, ten, sign=True)
    c = await ticket_at(hotline, ten, sign=True)

    # -- A: two orders, several on one ticket, each with the time it sets ---------------------------------
    urge = order(SupervisionKind.URGE, Period(hours=4), "诉求人反映路灯仍未修复，请尽快处置")
    supervise = order(SupervisionKind.SUPERVISE, Period(working_days=1), "请说明整改计划")
    s = await act(hotline, a, TicketWorkflow.issue_supervision_order, urge)
    s = await act(hotline, a, TicketWorkflow.issue_supervision_order, supervise)
    s1, s2 = s.supervision_orders
    assert (s1.id, s1.unit, s1.due_at) == ("S1", "U1", s1.issued_at + timedelta(hours=4))  # natural hours
    assert s1.issued_at >= ten and s1.issued_at.astimezone(SHANGHAI).date() == monday
    assert (s2.id, s2.unit, s2.due_at) == ("S2", "U1", end_of(tuesday))  # Monday not counted
    ordered = events(s, "supervision_ordered", order_id="S2")[0]
    assert (ordered.rule, ordered.notify, ordered.actor) == ("A25", ["unit:U1"], "operator:op-1")
    assert ordered.data["kind"] == "supervise" and ordered.data["respond_within"] == {"working_days": 1}
    assert s.clocks["supervision:S2"].charged_to == "lead_unit"
    # Only the hotline orders; only the lead answers; an order names one that exists, answered once.
    assert await refusal(
        hotline, a, TicketWorkflow.issue_supervision_order, urge.model_copy(update={"actor": unit("U1")})
    ) == ("TICKET_NOT_FOUND", None, "not_yours")
    wrong = answer("S1").model_copy(update={"actor": unit("U2")})
    assert (await refusal(hotline, a, TicketWorkflow.answer_supervision_order, wrong))[2] == "not_yours"
    assert await refusal(hotline, a, TicketWorkflow.answer_supervision_order, answer("S9")) == (
        "NO_SUCH_SUPERVISION_ORDER",
        "A25",
        "conflict",
    )

    # -- B: U1 applies for a return: the office's review limit starts -------------------------------------
    s = await act(hotline, b, TicketWorkflow.apply_return, a_return())
    review = s.clocks["return_review:R1"]
    assert (review.due_at, review.charged_to, review.period.working_days) == (end_of(tuesday), "hotline", 1)
    # -- C: a dispute: the coordination's limit starts (A14.5, rule set `coordination`, 3 WD) --------------
    dispute = RaiseDispute(
        actor=unit("U1"), kind=DisputeKind.SEVERAL_UNITS, units=["U3", "U4"], reason="路灯位于两区交界处"
    )
    s = await act(hotline, c, TicketWorkflow.raise_dispute, dispute)
    coordination = s.clocks["coordination:1"]
    assert (coordination.due_at, coordination.charged_to) == (end_of(thursday), "hotline")

    # -- A: S1 answered at 12:00, within its 4 hours ------------------------------------------------------
    await hotline.sleep_until(at_local(monday, 12))
    s = await act(hotline, a, TicketWorkflow.answer_supervision_order, answer("S1"))
    answered = only_event(s, "supervision_answered")
    assert (answered.rule, answered.notify, answered.actor) == ("A25", ["hotline"], "unit:U1")
    assert (answered.data["order_id"], answered.data["late"]) == ("S1", False)
    assert s.clocks["supervision:S1"].met_at is not None and s.clocks["supervision:S2"].met_at is None
    assert await refusal(hotline, a, TicketWorkflow.answer_supervision_order, answer("S1")) == (
        "SUPERVISION_ORDER_ALREADY_ANSWERED",
        "A25",
        "conflict",
    )

    # -- 24:00 Tuesday: S2 unanswered and R1 unreviewed, both carded ---------------------------------------
    sa, sb = await crossing(hotline, [(a, "supervision:S2"), (b, "return_review:R1")], end_of(tuesday))
    assert sa.card() == Card.YELLOW  # counted against the unit (A22, A25)
    assert "charged_to" not in card_change(sa, "supervision:S2", Card.YELLOW).data
    assert sa.clocks["supervision:S1"].card == Card.GREEN  # answered in time: no card
    assert not events(sa, "card_changed", clock="supervision:S1")
    assert sb.card() == Card.GREEN  # the office's lateness is never the unit's card
    assert card_change(sb, "return_review:R1", Card.YELLOW).data["charged_to"] == "hotline"

    # -- Wednesday 09:00: both answered late; their cards stay as they turned -----------------------------
    await hotline.sleep_until(at_local(monday + timedelta(days=2), 9))
    s = await act(hotline, a, TicketWorkflow.answer_supervision_order, answer("S2", "已制定整改计划"))
    assert events(s, "supervision_answered", order_id="S2")[0].data["late"] is True
    assert s.clocks["supervision:S2"].met_at is not None and s.clocks["supervision:S2"].card == Card.YELLOW
    refused = ReviewReturn(
        actor=OPERATOR,
        return_id="R1",
        approve=False,
        ground=RefusalGround.UNITS_MATTER_BY_LAW,
        reason="路灯维护属本单位职责",
    )
    s = await act(hotline, b, TicketWorkflow.review_return, refused)
    assert (
        s.clocks["return_review:R1"].met_at is not None and s.clocks["return_review:R1"].card == Card.YELLOW
    )

    # -- 24:00 Thursday: the coordination has designated no lead: the hotline's card ----------------------
    [sc] = await crossing(hotline, [(c, "coordination:1")], end_of(thursday))
    assert sc.stage == Stage.COORDINATING and sc.card() == Card.GREEN
    assert card_change(sc, "coordination:1", Card.YELLOW).data["charged_to"] == "hotline"
    child = hotline.client.get_workflow_handle_for(CoordinationWorkflow.run, sc.coordinations[0].workflow_id)
    designation = Designation(actor=OPERATOR, lead_unit="U3", co_units=["U4"])
    await asyncio.wait_for(child.execute_update(CoordinationWorkflow.designate, designation), UPDATE_TIMEOUT)
    s = await hotline.until(c, lambda s: s.clocks["coordination:1"].met_at is not None)
    assert s.clocks["coordination:1"].card == Card.YELLOW and s.lead_unit == "U3"
    # The designation is a new receipt: the office's limit is kept for the record (it survives re-dispatch).
    assert "coordination:1" in s.clocks and s.clocks["answer"].card == Card.GREEN
