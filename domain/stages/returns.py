"""Returns, site surveys and disputes (A14.1–A14.3, A14.5, A15, A16): a unit says the ticket is not its
own, the hotline reviews that, or convenes the units and designates the lead."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from domain import clocks
from domain.changes import (
    A14_1_SUGGESTED_UNIT,
    A14_2_NO_WINDOW,
    A14_5_DESIGNATED_LEAD_HANDLES,
    A15_SIGN_OFF_FILED,
    A16_6_CITED_VERSION,
    A24_REDO_MAY_RETURN,
)
from domain.commands import ApplyReturn, Designation, RaiseDispute, ReviewReturn, SurveyStart
from domain.deadlines import PlanItem, PlannedDeadline
from domain.errors import conflict, invalid
from domain.stages import dispatch
from domain.stages.common import (
    HANDLING_STAGES,
    assignment_of,
    back_to_handling,
    happen,
    require_lead,
    require_operator,
    require_stage,
    transition,
)
from domain.ticket import SURVEY_RETURN_WINDOW, Coordination, ReturnRecord, TicketState
from domain.timeline import HOTLINE, SYSTEM, EventKind, Step, unit
from domain.vocabulary import RETURN_RULE, ActorKind, Decision, RefusalGround, ReturnKind, Stage


# -- checks ------------------------------------------------------------------------------------------------
def check_survey_start(state: TicketState, cmd: SurveyStart) -> None:
    require_lead(state, cmd.actor)
    require_stage(state, HANDLING_STAGES, "start a site survey", "A14.3")
    if assignment_of(state).survey_started_at is not None:
        raise conflict("SURVEY_ALREADY_STARTED", "a site survey is already under way", "A14.3")


def check_return(state: TicketState, cmd: ApplyReturn) -> None:
    require_lead(state, cmd.actor)
    assignment = assignment_of(state)
    if assignment.designated:
        # A14.5: once the hotline designates the lead, it must handle and may not return.
        raise conflict(
            "DESIGNATED_LEAD_CANNOT_RETURN",
            "a lead designated in coordination must handle the ticket",
            "A14.5",
        )
    if assignment.redo and not state.judged_by(A24_REDO_MAY_RETURN):
        # Verdicts 1–3. A24 「重办时限与原工单时限一致，重办以一次为限，不得延期办理」 forbids only the
        # extension: a redo is a receipt like any other, and a unit that finds it is not its own returns it
        # within A14.1's window from that receipt, reviewed under A16 like any return.
        raise conflict("REDO_CANNOT_RETURN", "a ticket sent back for a redo is handled, not returned", "A24")
    require_stage(state, HANDLING_STAGES, "return the ticket", "A14.1")
    if (
        cmd.kind == ReturnKind.NOT_OUR_DUTY
        and not cmd.suggested_unit
        and state.judged_by(A14_1_SUGGESTED_UNIT)
    ):
        # A14.1 "提出转交相关单位处理的建议": a unit that says "not ours" says whose it is.
        raise invalid("SUGGESTED_UNIT_REQUIRED", "suggest the unit the ticket should go to", "A14.1")
    if cmd.kind == ReturnKind.SURVEY_NOT_OURS:
        if assignment.survey_started_at is None:
            raise conflict("NO_SURVEY_STARTED", "a survey-based return needs a site survey first", "A14.3")
        if cmd.survey is None:
            raise invalid("SURVEY_RECORD_REQUIRED", "upload the survey record and photos", "A14.3")
    if cmd.kind == ReturnKind.IDENTITY_WITHHELD:
        if not cmd.missing_items:
            raise invalid("MISSING_ITEMS_REQUIRED", "list, once, what the requester must supply", "A14.2")
        if any(r.application.kind == ReturnKind.IDENTITY_WITHHELD for r in state.returns):
            raise conflict("MISSING_ITEMS_LISTED_ONCE", "what must be supplied is listed only once", "A14.2")
    if cmd.signed_off_by.filed is None and state.judged_by(A15_SIGN_OFF_FILED):
        # A15 with A5: the signer is a leader the unit filed with the office, or one a filed leader authorised.
        raise invalid(
            "SIGN_OFF_NOT_FILED",
            "the sign-off must name a leader the unit has filed with the office, or a signatory one authorised",
            "A15",
        )


def automatic_refusal(state: TicketState, cmd: ApplyReturn) -> RefusalGround | None:
    """A16.2 and A16.7 need no human: the hotline refuses such returns at once."""
    if not cmd.reason.strip() or not cmd.basis.strip():
        return RefusalGround.NO_REASON_OR_BASIS
    if state.extensions:
        return RefusalGround.EXTENSION_ALREADY_APPLIED
    return None


def return_is_overdue(state: TicketState, cmd: ApplyReturn, now: datetime) -> bool:
    """A14.1–A14.3: later than the window is an overdue return — recorded and flagged, never lost.

    A14.2 sets the 1-WD window for a requester who hid personal information only: a registration error
    found while contacting the requester may come to light at any time and is never overdue."""
    assignment = assignment_of(state)
    if cmd.kind == ReturnKind.REGISTRATION_BLOCKS_HANDLING and state.judged_by(A14_2_NO_WINDOW):
        return False
    if cmd.kind == ReturnKind.SURVEY_NOT_OURS:
        late_start = (assignment.survey_started_at or now) > assignment.survey_start_by
        return late_start or now > (assignment.survey_return_by or assignment.return_by)
    return now > assignment.return_by


def check_review_return(state: TicketState, cmd: ReviewReturn) -> None:
    require_operator(cmd.actor)
    require_stage(state, {Stage.RETURN_REVIEW}, "review a return", "A14.1")
    pending = state.pending_return()
    if pending is None or pending.id != cmd.return_id:
        raise conflict("NO_SUCH_PENDING_RETURN", "no pending return with that id", "A14.1")
    if cmd.approve:
        target = cmd.redispatch_to or pending.application.suggested_unit
        if not target:
            raise invalid("REDISPATCH_UNIT_REQUIRED", "name the unit the ticket goes to", "A14.1")
        # "Not ours" returns go elsewhere; an A14.2 return may come back once the requester supplied what
        # was missing.
        if target == pending.unit and pending.application.kind in {
            ReturnKind.NOT_OUR_DUTY,
            ReturnKind.SURVEY_NOT_OURS,
        }:
            raise invalid("REDISPATCH_TO_SAME_UNIT", "an approved return goes to another unit", "A14.1")
        return
    if cmd.ground is None or not cmd.reason.strip():
        raise invalid("REFUSAL_GROUND_REQUIRED", "a refusal names an A16 ground and its reasons", "A16")
    if cmd.ground == RefusalGround.KNOWLEDGE_POINT:
        kp = cmd.knowledge_point
        if kp is None:
            raise invalid("KNOWLEDGE_POINT_REQUIRED", "name the knowledge point and its upload time", "A16.6")
        # A16.6: the KB point counts against the unit only if its applicable text was uploaded (or
        # corrected) after registration, or the hotline could not answer with it directly.
        since = kp.applicable_since()
        if state.judged_by(A16_6_CITED_VERSION) and kp.version_written_at is not None:
            since = kp.version_written_at  # A29: the cited version's own time, an earlier one's included
        if since <= state.registration.received_at and not cmd.hotline_could_not_answer_directly:
            raise conflict(
                "KNOWLEDGE_POINT_PREDATES_REGISTRATION",
                "the point existed at registration and the hotline could have answered with it",
                "A16.6",
            )
    if cmd.ground == RefusalGround.EXTENSION_ALREADY_APPLIED and not state.extensions:
        raise conflict("NO_EXTENSION_APPLIED", "the unit has not applied for an extension", "A16.7")


def check_dispute(state: TicketState, cmd: RaiseDispute) -> None:
    if cmd.actor.kind == ActorKind.UNIT:
        require_lead(state, cmd.actor)
        assignment = state.assignment
        if (
            assignment is not None
            and assignment.designated
            and state.judged_by(A14_5_DESIGNATED_LEAD_HANDLES)
        ):
            # A14.5 "承办单位应当遵照办理": a lead designated in coordination handles it, and cannot
            # reopen the question by a dispute of its own. The hotline still may.
            raise conflict(
                "DESIGNATED_LEAD_CANNOT_DISPUTE",
                "a lead designated in coordination must handle the ticket",
                "A14.5",
            )
    else:
        require_operator(cmd.actor)
    if state.open_coordination() is not None:
        raise conflict("COORDINATION_UNDER_WAY", "a coordination is already under way", "A14.5")
    require_stage(state, HANDLING_STAGES | {Stage.RETURN_REVIEW}, "raise a dispute", "A14.5")


def check_designation(designated: Designation | None, cmd: Designation) -> None:
    """A14.5: the hotline designates the lead once, and the lead is not also a co-unit."""
    require_operator(cmd.actor)
    if designated is not None:
        raise conflict("ALREADY_DESIGNATED", "the lead is already designated", "A14.5")
    if cmd.lead_unit in cmd.co_units:
        raise invalid("LEAD_ALSO_CO_UNIT", "the lead cannot also be a co-handling unit", "A14.5")


# -- transitions -------------------------------------------------------------------------------------------
def survey_plan(state: TicketState, cmd: SurveyStart, now: datetime) -> list[PlanItem]:
    return [PlanItem(name=SURVEY_RETURN_WINDOW, anchor_at=now, period=state.rule_set.survey_return_window)]


@transition
def start_survey(
    state: TicketState, cmd: SurveyStart, step: Step, planned: Mapping[str, PlannedDeadline]
) -> None:
    """A14.3: a survey started within its window gives the unit until the survey's end to return."""
    assignment = assignment_of(state)
    assignment.survey_started_at = step.now
    assignment.survey_return_by = planned[SURVEY_RETURN_WINDOW].due_at
    happen(
        state,
        step,
        EventKind.SURVEY_STARTED,
        cmd.actor,
        "A14.3",
        [HOTLINE],
        note=cmd.note,
        late=step.now > assignment.survey_start_by,
        return_by=assignment.survey_return_by,
    )


@transition
def apply_return(state: TicketState, cmd: ApplyReturn, step: Step) -> None:
    now, rule = step.now, RETURN_RULE[cmd.kind]
    record = ReturnRecord(
        id=f"R{len(state.returns) + 1}",
        unit=state.lead_unit or "",
        application=cmd,
        applied_at=now,
        overdue=return_is_overdue(state, cmd, now),
        rule=rule,
    )
    automatic = automatic_refusal(state, cmd)
    state.returns.append(record)
    # A15: the sign-off travels with the application into the record.
    happen(
        state,
        step,
        EventKind.RETURN_APPLIED,
        cmd.actor,
        rule,
        [HOTLINE],
        return_id=record.id,
        kind=cmd.kind,
        reason=cmd.reason,
        basis=cmd.basis,
        suggested_unit=cmd.suggested_unit,
        signed_off_by=cmd.signed_off_by.model_dump(
            exclude_none=True
        ),  # a ticket before A15's register: as it was
        overdue=record.overdue,
        missing_items=cmd.missing_items,
        survey=cmd.survey.model_dump() if cmd.survey else None,
    )
    if record.overdue:
        happen(state, step, EventKind.OVERDUE_RETURN, cmd.actor, rule, [HOTLINE], return_id=record.id)
    if automatic is None:
        state.stage = Stage.RETURN_REVIEW
        return
    record.decision, record.ground, record.automatic = Decision.REFUSED, automatic, True
    record.decided_at, record.decided_by = now, SYSTEM
    record.reason = (
        "no reason or basis given" if automatic.value == "A16.2" else "an extension was already applied for"
    )
    happen(
        state,
        step,
        EventKind.RETURN_REFUSED,
        SYSTEM,
        automatic.value,
        [unit(record.unit)],
        return_id=record.id,
        ground=automatic,
        automatic=True,
        reason=record.reason,
    )


def review_return_plan(state: TicketState, cmd: ReviewReturn, now: datetime) -> list[PlanItem]:
    """An approved return is a new receipt (A14.1): its limits are planned before the review records it."""
    return clocks.receipt_plan(state, now, redo=False) if cmd.approve else []


@transition
def review_return(
    state: TicketState, cmd: ReviewReturn, step: Step, planned: Mapping[str, PlannedDeadline]
) -> None:
    record = state.pending_return()
    assert record is not None
    record.decided_at, record.decided_by, record.reason = step.now, cmd.actor.id, cmd.reason
    if cmd.approve:
        target = cmd.redispatch_to or record.application.suggested_unit or ""
        record.decision, record.redispatched_to = Decision.APPROVED, target
        happen(
            state,
            step,
            EventKind.RETURN_APPROVED,
            cmd.actor,
            record.rule,
            [unit(record.unit)],
            return_id=record.id,
            redispatch_to=target,
        )
        # A14.1: re-dispatched, the time limit restarts from the new receipt.
        co_units = [u for u in state.co_units if u != target]
        dispatch.receive(
            state,
            step,
            planned,
            lead=target,
            co_units=co_units,
            actor=cmd.actor,
            note=f"after return {record.id}",
        )
        return
    record.decision, record.ground = Decision.REFUSED, cmd.ground
    record.knowledge_point = cmd.knowledge_point
    assert cmd.ground is not None
    # A14.1: refused, the unit keeps it and the limit still counts from the first receipt.
    happen(
        state,
        step,
        EventKind.RETURN_REFUSED,
        cmd.actor,
        cmd.ground.value,
        [unit(record.unit)],
        return_id=record.id,
        ground=cmd.ground,
        reason=cmd.reason,
        knowledge_point=cmd.knowledge_point.model_dump() if cmd.knowledge_point else None,
    )
    back_to_handling(state)


@transition
def raise_dispute(state: TicketState, cmd: RaiseDispute, step: Step, coordination_id: str) -> None:
    """A14.5: the units dispute the ticket; the hotline coordinates (a child workflow, `coordination_id`)."""
    state.coordinations.append(Coordination(workflow_id=coordination_id, dispute=cmd, raised_at=step.now))
    pending = state.pending_return()
    if pending is not None:
        # A14.5: the designation settles who handles it; the return needs no review any more.
        pending.decision, pending.decided_at = Decision.SUPERSEDED, step.now
        pending.decided_by, pending.reason = SYSTEM, "settled by coordination"
        happen(
            state,
            step,
            EventKind.RETURN_SUPERSEDED,
            SYSTEM,
            "A14.5",
            [unit(pending.unit)],
            return_id=pending.id,
            coordination_workflow_id=coordination_id,
        )
    state.stage = Stage.COORDINATING
    happen(
        state,
        step,
        EventKind.DISPUTE_RAISED,
        cmd.actor,
        "A14.5",
        [HOTLINE],
        kind=cmd.kind,
        units=cmd.units,
        reason=cmd.reason,
        coordination_workflow_id=coordination_id,
    )


def designation_plan(state: TicketState, now: datetime, *, keeps_receipt: bool) -> list[PlanItem]:
    """Another lead designated is a new receipt; the lead already holding it plans nothing."""
    return [] if keeps_receipt else clocks.receipt_plan(state, now, redo=False)


@transition
def designate(
    state: TicketState,
    designation: Designation,
    step: Step,
    planned: Mapping[str, PlannedDeadline],
    *,
    keeps_receipt: bool,
) -> None:
    """A14.5: the designated lead must handle and may not return; co-units must assist. Designating the
    lead already holding the ticket keeps its receipt (`keeps_receipt`); another lead is a new receipt."""
    coordination = state.open_coordination()
    assert coordination is not None
    coordination.designated_lead = designation.lead_unit
    coordination.designated_co_units = list(designation.co_units)
    coordination.designated_at = step.now
    happen(
        state,
        step,
        EventKind.LEAD_DESIGNATED,
        designation.actor,
        "A14.5",
        [unit(u) for u in [designation.lead_unit, *designation.co_units]],
        lead_unit=designation.lead_unit,
        co_units=designation.co_units,
        note=designation.note,
    )
    if keeps_receipt:
        dispatch.keep_lead(state, designation, step)
        return
    dispatch.receive(
        state,
        step,
        planned,
        lead=designation.lead_unit,
        co_units=designation.co_units,
        actor=designation.actor,
        designated=True,
        note="designated in coordination",
    )
