"""A14.5 disputes (the CoordinationWorkflow child designates the lead) and A14.4 a unit's finding that the
request is not acceptable, on the time-skipping server. Helpers come from tests/workflows/support.py.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowHandle

from domain.commands import Designation, FindNotAcceptable, RaiseDispute, Review, SignFor
from domain.vocabulary import Decision, DisputeKind, NotAcceptedReason, Outcome, Stage
from tests.driver import OPERATOR, Hotline, unit
from tests.workflows.support import (
    UPDATE_TIMEOUT,
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
from workflows.coordination import CoordinationState, CoordinationWorkflow
from workflows.ticket import TicketWorkflow


def dispute(actor_unit: str | None = "U1") -> RaiseDispute:
    return RaiseDispute(
        actor=unit(actor_unit) if actor_unit else OPERATOR,
        kind=DisputeKind.SEVERAL_UNITS,
        units=["U3", "U4"],
        reason="the lamp stands on the boundary of two districts",
    )


def coordination(hotline: Hotline, workflow_id: str) -> WorkflowHandle[CoordinationWorkflow, Designation]:
    return hotline.client.get_workflow_handle_for(CoordinationWorkflow.run, workflow_id)


# ============================================================================================ A14.5
async def test_a14_5_a_dispute_is_coordinated_and_the_designated_lead_cannot_return(hotline: Hotline) -> None:
    """A14.5: the lead raises a dispute (several units) -> stage coordinating, a CoordinationWorkflow child
    `ticket-<no>-coordination-1`; only the hotline designates; U3 designated lead with co-unit U4 gets a
    new assignment whose limits restart (A17.2), both are told, and U3 may not return the ticket."""
    cal = await load_known_calendar(hotline)
    h = await register(hotline)
    s = await sign_for(hotline, h)
    t0 = s.assignments[0].received_at

    s = await act(hotline, h, TicketWorkflow.raise_dispute, dispute())
    child_id = f"ticket-{s.ticket_no}-coordination-1"
    assert s.stage == Stage.COORDINATING
    [coord] = s.coordinations
    assert (coord.workflow_id, coord.dispute, coord.designated_lead, coord.designated_at) == (
        child_id,
        dispute(),
        None,
        None,
    )
    raised = only_event(s, "dispute_raised")
    assert (raised.rule, raised.notify, raised.actor) == ("A14.5", ["hotline"], "unit:U1")
    assert raised.data == {
        "kind": "several_units",
        "units": ["U3", "U4"],
        "reason": dispute().reason,
        "coordination_workflow_id": child_id,
    }

    child = coordination(hotline, child_id)
    cstate: CoordinationState = await child.query(CoordinationWorkflow.state)
    assert (cstate.ticket_no, cstate.current_lead, cstate.dispute, cstate.designation) == (
        s.ticket_no,
        "U1",
        dispute(),
        None,
    )
    assert await refusal(
        hotline, child, CoordinationWorkflow.designate, Designation(actor=unit("U1"), lead_unit="U3")
    ) == ("TICKET_NOT_FOUND", None, "not_yours")
    assert await refusal(
        hotline,
        child,
        CoordinationWorkflow.designate,
        Designation(actor=OPERATOR, lead_unit="U3", co_units=["U3"]),
    ) == ("LEAD_ALSO_CO_UNIT", "A14.5", "invalid")

    designated_at = cal.working_day_at(t0, 1, 10)  # the coordination meeting, the next working day
    await hotline.sleep_until(designated_at)
    designation = Designation(actor=OPERATOR, lead_unit="U3", co_units=["U4"], note="meeting of 3 units")
    cstate = await asyncio.wait_for(
        child.execute_update(CoordinationWorkflow.designate, designation), UPDATE_TIMEOUT
    )
    assert cstate.designation == designation
    assert await asyncio.wait_for(child.result(), UPDATE_TIMEOUT) == designation

    s = await hotline.until(h, lambda s: len(s.assignments) == 2)
    assignment = s.assignments[1]
    t1 = assignment.received_at
    assert designated_at <= t1 < designated_at + timedelta(minutes=1)
    assert (assignment.lead_unit, assignment.co_units, assignment.designated) == ("U3", ["U4"], True)
    assert (s.stage, s.lead_unit, s.co_units) == (Stage.DISPATCHED, "U3", ["U4"])
    assert (
        s.coordinations[0].designated_lead,
        s.coordinations[0].designated_co_units,
        s.coordinations[0].designated_at,
    ) == ("U3", ["U4"], t1)
    assert s.open_coordination() is None
    assert s.answer_due_at() == cal.due(t1, 10) > cal.due(t0, 10)
    designated = only_event(s, "lead_designated")
    assert (designated.rule, designated.notify, designated.actor) == (
        "A14.5",
        ["unit:U3", "unit:U4"],
        "operator:op-1",
    )
    assert (designated.data["lead_unit"], designated.data["co_units"], designated.data["note"]) == (
        "U3",
        ["U4"],
        "meeting of 3 units",
    )
    assert kinds_after(s, designated)[0] == "dispatched"
    dispatched = events(s, "dispatched")[-1]
    assert (dispatched.notify, dispatched.data["designated"]) == (["unit:U3", "unit:U4"], True)

    # U1 is out; U3 must handle it and may not return it (A14.5), signed for or not.
    assert await refusal(hotline, h, TicketWorkflow.sign_for, SignFor(actor=unit("U1"))) == (
        "TICKET_NOT_FOUND",
        None,
        "not_yours",
    )
    assert await refusal(
        hotline, h, TicketWorkflow.apply_return, a_return(actor=unit("U3"), suggested_unit="U5")
    ) == ("DESIGNATED_LEAD_CANNOT_RETURN", "A14.5", "conflict")
    await sign_for(hotline, h, "U3")
    assert await refusal(
        hotline, h, TicketWorkflow.apply_return, a_return(actor=unit("U3"), suggested_unit="U5")
    ) == ("DESIGNATED_LEAD_CANNOT_RETURN", "A14.5", "conflict")
    assert (await hotline.state(h)).returns == []


async def test_a14_5_designating_the_lead_already_holding_it_keeps_its_receipt_and_cards(
    hotline: Hotline,
) -> None:
    """A14.5 with A14.1/A20 "办理时限按首次接到工单时间起计算": a unit sits on a ticket past its limit, raises a
    dispute and is designated again. That is no new receipt: the limit still counts from the first one,
    the yellow card stays, and the lead may no longer return the ticket."""
    cal = await load_known_calendar(hotline)
    h = await register(hotline)
    s = await sign_for(hotline, h)
    t0, due = s.assignments[0].received_at, s.answer_due_at()
    assert due == cal.due(t0, 10)
    await hotline.sleep_until(due + timedelta(hours=10))
    s = await hotline.until(h, lambda s: s.clocks["answer"].card.value == "yellow")

    s = await act(hotline, h, TicketWorkflow.raise_dispute, dispute())
    child = coordination(hotline, s.coordinations[0].workflow_id)
    await asyncio.wait_for(
        child.execute_update(
            CoordinationWorkflow.designate,
            Designation(actor=OPERATOR, lead_unit="U1", co_units=["U4"], note="the lamp is U1's"),
        ),
        UPDATE_TIMEOUT,
    )
    s = await hotline.until(h, lambda s: s.open_coordination() is None)
    assert len(s.assignments) == 1 and len(events(s, "dispatched")) == 1
    assignment = s.assignments[0]
    assert (assignment.received_at, assignment.designated, assignment.co_units) == (t0, True, ["U4"])
    assert (s.stage, s.lead_unit, s.answer_due_at(), s.clocks["answer"].card.value) == (
        Stage.HANDLING,
        "U1",
        due,
        "yellow",
    )
    kept = only_event(s, "designation_kept_receipt")
    assert (kept.rule, kept.notify) == ("A14.5", ["unit:U1", "unit:U4"])
    assert await refusal(hotline, h, TicketWorkflow.apply_return, a_return()) == (
        "DESIGNATED_LEAD_CANNOT_RETURN",
        "A14.5",
        "conflict",
    )


@pytest.mark.parametrize("second_by", ["U1", None], ids=["lead", "hotline"])
async def test_a14_5_a_second_dispute_while_one_is_open_is_refused(
    hotline: Hotline, second_by: str | None
) -> None:
    """A14.5: one coordination at a time (COORDINATION_UNDER_WAY)."""
    h = await register(hotline)
    await act(hotline, h, TicketWorkflow.raise_dispute, dispute())
    verdict = await refusal(hotline, h, TicketWorkflow.raise_dispute, dispute(second_by))
    s = await hotline.state(h)
    assert (s.stage, len(s.coordinations), len(events(s, "dispute_raised"))) == (Stage.COORDINATING, 1, 1)
    assert verdict == ("COORDINATION_UNDER_WAY", "A14.5", "conflict")


async def test_a14_5_a_dispute_raised_during_return_review_leaves_no_return_pending(hotline: Hotline) -> None:
    """A14.5 over A14.1: the hotline, reviewing U1's return, convenes the units instead; once U3 is
    designated, U1's return is decided, not left pending."""
    h = await register(hotline)
    await act(hotline, h, TicketWorkflow.apply_return, a_return())
    s = await act(hotline, h, TicketWorkflow.raise_dispute, dispute(None))
    assert s.stage == Stage.COORDINATING
    child = coordination(hotline, s.coordinations[0].workflow_id)
    await asyncio.wait_for(
        child.execute_update(CoordinationWorkflow.designate, Designation(actor=OPERATOR, lead_unit="U3")),
        UPDATE_TIMEOUT,
    )
    s = await hotline.until(h, lambda s: len(s.assignments) == 2)
    assert (s.stage, s.lead_unit) == (Stage.DISPATCHED, "U3")
    assert s.pending_return() is None and s.returns[0].decision != Decision.PENDING


async def test_a14_5_only_the_lead_or_the_hotline_raises_a_dispute(hotline: Hotline) -> None:
    """A14.5: a co-handling unit cannot raise the dispute; nor can anyone before the ticket is dispatched."""
    h = await register(hotline, co_units=["U2"])
    assert await refusal(hotline, h, TicketWorkflow.raise_dispute, dispute("U2")) == (
        "TICKET_NOT_FOUND",
        None,
        "not_yours",
    )
    undispatched = await register(hotline, dispatch_to=None)
    assert await refusal(hotline, undispatched, TicketWorkflow.raise_dispute, dispute(None)) == (
        "STAGE_FORBIDS_ACTION",
        "A14.5",
        "conflict",
    )
    assert [(await hotline.state(x)).coordinations for x in (h, undispatched)] == [[], []]


async def test_a14_5_the_hotline_may_raise_the_dispute_itself(hotline: Hotline) -> None:
    """A14.5: the hotline convenes the units on its own motion (contested jurisdiction)."""
    h = await register(hotline)
    cmd = RaiseDispute(
        actor=OPERATOR,
        kind=DisputeKind.CONTESTED_JURISDICTION,
        units=["U1", "U3"],
        reason="both districts claim the other maintains the road",
    )
    s = await act(hotline, h, TicketWorkflow.raise_dispute, cmd)
    assert (s.stage, s.coordinations[0].dispute) == (Stage.COORDINATING, cmd)
    raised = only_event(s, "dispute_raised")
    assert (raised.actor, raised.data["kind"]) == ("operator:op-1", "contested_jurisdiction")
    cstate = await coordination(hotline, s.coordinations[0].workflow_id).query(CoordinationWorkflow.state)
    assert (cstate.current_lead, cstate.dispute) == ("U1", cmd)


# ============================================================================================ A14.4
def finding(reason: NotAcceptedReason, **fields: Any) -> FindNotAcceptable:
    data: dict[str, Any] = {
        "actor": unit("U1"),
        "reason": reason,
        "requester_told": True,
        "explanation": "the requester has already sued the property company",
    } | fields
    return FindNotAcceptable(**data)


@pytest.mark.parametrize(
    "reason",
    [NotAcceptedReason.OTHER_LEGAL_PROCEDURE, NotAcceptedReason.PETITION_CHANNEL],
    ids=["A10.2", "A10.3"],
)
async def test_a14_4_a_finding_needs_the_requester_told_and_explanatory_material(
    hotline: Hotline, reason: NotAcceptedReason
) -> None:
    """A14.4: the unit tells the requester why (REQUESTER_NOT_TOLD); for litigation/petition matters it gives
    the hotline explanatory material (EXPLANATORY_MATERIAL_REQUIRED). Only the lead finds it."""
    h = await register(hotline)
    await sign_for(hotline, h)
    assert await refusal(
        hotline,
        h,
        TicketWorkflow.find_not_acceptable,
        finding(reason, requester_told=False, material_refs=["files/court-acceptance.pdf"]),
    ) == ("REQUESTER_NOT_TOLD", "A14.4", "invalid")
    assert await refusal(hotline, h, TicketWorkflow.find_not_acceptable, finding(reason)) == (
        "EXPLANATORY_MATERIAL_REQUIRED",
        "A14.4",
        "invalid",
    )
    assert await refusal(
        hotline,
        h,
        TicketWorkflow.find_not_acceptable,
        finding(reason, actor=OPERATOR, material_refs=["files/court-acceptance.pdf"]),
    ) == ("TICKET_NOT_FOUND", None, "not_yours")
    s = await hotline.state(h)
    assert (s.stage, s.closures) == (Stage.HANDLING, [])


@pytest.mark.parametrize(
    ("reason", "material"),
    [
        (NotAcceptedReason.OTHER_LEGAL_PROCEDURE, ["files/court-acceptance.pdf"]),
        (NotAcceptedReason.OUTSIDE_JURISDICTION, []),
    ],
    ids=["A10.2 with material", "A10.1 needs none"],
)
async def test_a14_4_the_hotline_approves_the_finding_and_the_ticket_concludes(
    hotline: Hotline, reason: NotAcceptedReason, material: list[str]
) -> None:
    """A14.4/A13: the unit's finding goes to the hotline; approved -> outcome not_acceptable_by_unit,
    concluded, requester and unit told; no A24 rating of a handling that never happened."""
    h = await register(hotline)
    await sign_for(hotline, h)
    s = await act(hotline, h, TicketWorkflow.find_not_acceptable, finding(reason, material_refs=material))
    assert s.stage == Stage.CLOSURE_REVIEW
    [closure] = s.closures
    assert (closure.id, closure.closure, closure.not_acceptable) == (
        "C1",
        None,
        finding(reason, material_refs=material),
    )
    found = only_event(s, "found_not_acceptable")
    assert (found.rule, found.notify, found.actor) == ("A14.4", ["hotline"], "unit:U1")
    assert (found.data["closure_id"], found.data["reason"], found.data["material_refs"]) == (
        "C1",
        reason.value,
        material,
    )
    assert s.clocks["answer"].met_at == closure.applied_at == found.at

    s = await act(hotline, h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))
    assert (s.outcome, s.stage, s.closures[0].decision.value) == (
        Outcome.NOT_ACCEPTABLE_BY_UNIT,
        Stage.CONCLUDED,
        "approved",
    )
    confirmed = only_event(s, "not_acceptable_confirmed")
    assert (confirmed.rule, confirmed.notify, confirmed.data) == (
        "A14.4",
        ["unit:U1", "requester"],
        {"reason": reason.value},
    )
    concluded = only_event(s, "concluded")
    assert concluded.seq == confirmed.seq + 1
    assert (concluded.data, s.concluded_at) == ({"outcome": "not_acceptable_by_unit"}, concluded.at)
    assert s.archive_at == concluded.at + timedelta(days=90)  # A21: open for supplements, then archived
    assert s.ratings == []


async def test_a14_5_a_designated_lead_cannot_reopen_the_question_by_a_dispute(hotline: Hotline) -> None:
    """A14.5 "承办单位应当遵照办理": once designated, the lead handles it; a dispute of its own is refused
    (DESIGNATED_LEAD_CANNOT_DISPUTE). The hotline may still raise one."""
    h = await register(hotline)
    s = await act(hotline, h, TicketWorkflow.raise_dispute, dispute())
    child = coordination(hotline, s.coordinations[0].workflow_id)
    await asyncio.wait_for(
        child.execute_update(CoordinationWorkflow.designate, Designation(actor=OPERATOR, lead_unit="U3")),
        UPDATE_TIMEOUT,
    )
    await hotline.until(h, lambda s: s.lead_unit == "U3" and s.open_coordination() is None)
    assert await refusal(
        hotline,
        h,
        TicketWorkflow.raise_dispute,
        RaiseDispute(actor=unit("U3"), kind=DisputeKind.SEVERAL_UNITS, units=["U4"], reason="again"),
    ) == ("DESIGNATED_LEAD_CANNOT_DISPUTE", "A14.5", "conflict")
    s = await act(hotline, h, TicketWorkflow.raise_dispute, dispute(None))
    assert (s.stage, len(s.coordinations)) == (Stage.COORDINATING, 2)
