"""Dispatch and the unit's first steps (A6, A9, A14, A17.3): a receipt the limits count from, signing for
the ticket, forwarding it to a sub-unit, the emergency response, a consultation meeting's decision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from domain import clocks
from domain.calendar import WorkingCalendar
from domain.changes import A9_MEETING_DATE_IN_RANGE, A33_COUNTY_RULES_AT_FIRST_DISPATCH
from domain.commands import (
    Actor,
    Designation,
    Dispatch,
    EmergencyResponse,
    ForwardToSubunit,
    RecordAssistance,
    RecordConsultation,
    SignFor,
)
from domain.deadlines import PlanItem, PlannedDeadline
from domain.errors import conflict, invalid, not_yours
from domain.rulesets import RULE_SET_BY_CHANNEL, RuleSet
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
from domain.ticket import HANDLE, RETURN_WINDOW, SURVEY_START_WINDOW, Assignment, TicketState
from domain.timeline import HOTLINE, EventKind, Step, unit, units
from domain.vocabulary import ActorKind, Stage


# -- checks ------------------------------------------------------------------------------------------------
def check_dispatch(state: TicketState, cmd: Dispatch) -> None:
    require_operator(cmd.actor)
    require_stage(state, {Stage.REGISTERED}, "dispatch", "A12")
    if cmd.lead_unit in cmd.co_units:
        raise invalid("LEAD_ALSO_CO_UNIT", "the lead unit cannot also be a co-handling unit", "A14")


def check_sign_for(state: TicketState, cmd: SignFor) -> None:
    require_lead(state, cmd.actor)
    require_stage(state, {Stage.DISPATCHED}, "sign for the ticket")


def check_forward(state: TicketState, cmd: ForwardToSubunit) -> None:
    if cmd.actor.kind != ActorKind.UNIT or cmd.actor.unit_id != state.lead_unit:
        raise not_yours("only the lead unit forwards to its sub-unit")
    require_stage(state, HANDLING_STAGES, "forward to a sub-unit", "A6")
    if cmd.sub_unit == state.lead_unit:
        raise invalid("FORWARD_TO_SELF", "forward to a sub-unit, not to the lead itself", "A6")


def check_emergency_response(state: TicketState, cmd: EmergencyResponse) -> None:
    require_lead(state, cmd.actor)
    # The 2-hour limit runs whatever paperwork is under review: handling on site while an extension
    # application waits is what an emergency needs.
    require_stage(state, HANDLING_STAGES | {Stage.EXTENSION_REVIEW}, "report the emergency response", "A17.3")
    if not state.registration.emergency:
        raise conflict("NOT_AN_EMERGENCY", "only an emergency has a 2-hour handling limit", "A17.3")
    if state.clocks.get(HANDLE) and state.clocks[HANDLE].met_at:
        raise conflict("ALREADY_REPORTED", "the emergency response is already recorded", "A17.3")


def check_consultation(state: TicketState, cmd: RecordConsultation, now: datetime) -> None:
    """A9: the office records a consultation meeting's decision on a ticket it has registered and not yet
    archived (a concluded ticket may still be the matter a meeting decides: A21 supplementary answers).
    The meeting was held between the ticket's registration and today (Asia/Shanghai days)."""
    require_operator(cmd.actor)
    require_stage(
        state,
        frozenset(Stage) - {Stage.REGISTERED, Stage.NOT_ACCEPTED, Stage.ARCHIVED},
        "record a consultation",
        "A9",
    )
    registered = WorkingCalendar.local_date(state.registration.received_at)
    if not registered <= cmd.held_on <= WorkingCalendar.local_date(now) and state.judged_by(
        A9_MEETING_DATE_IN_RANGE
    ):
        raise invalid(
            "MEETING_DATE_OUT_OF_RANGE", f"a meeting held between {registered} (registration) and today", "A9"
        )


# A14: while the lead handles the ticket (a return, an extension or a closure under review, a coordination
# under way included) its co-units assist; once it is rated or called back the handling is over.
ASSISTING_STAGES = frozenset(
    {
        Stage.DISPATCHED,
        Stage.HANDLING,
        Stage.RETURN_REVIEW,
        Stage.COORDINATING,
        Stage.EXTENSION_REVIEW,
        Stage.CLOSURE_REVIEW,
    }
)


def check_assistance(state: TicketState, cmd: RecordAssistance) -> None:
    """A14/A14.5: only a co-unit of the ticket's current assignment records assistance (协办意见); the lead
    handles, it does not assist itself."""
    assignment = state.assignment
    if cmd.actor.kind != ActorKind.UNIT or assignment is None or cmd.actor.unit_id not in assignment.co_units:
        raise not_yours("only a co-unit of this ticket records its assistance")
    require_stage(state, ASSISTING_STAGES, "record assistance", "A14")


# -- transitions -------------------------------------------------------------------------------------------
@transition
def receive(
    state: TicketState,
    step: Step,
    planned: Mapping[str, PlannedDeadline],
    *,
    lead: str,
    co_units: Sequence[str],
    actor: Actor,
    designated: bool = False,
    redo: bool = False,
    note: str = "",
) -> None:
    """A14: dispatched to a lead unit, a new receipt from which its limits count (A14.1, A17, A24). The
    limits it plans are `clocks.receipt_plan(state, now, redo=redo)`, planned before this runs."""
    now = step.now
    state.assignments.append(
        Assignment(
            lead_unit=lead,
            co_units=[u for u in co_units if u != lead],
            received_at=now,
            signed_for_at=now if redo else None,
            return_by=planned[RETURN_WINDOW].due_at,
            survey_start_by=planned[SURVEY_START_WINDOW].due_at,
            designated=designated,
            redo=redo,
        )
    )
    state.clocks = clocks.clocks_at_receipt(state, now, planned, redo=redo)
    state.stage = Stage.HANDLING if redo else Stage.DISPATCHED
    # A20: the unit now holding the ticket tells the requester its own result.
    state.requester_informed_at = None
    happen(
        state,
        step,
        EventKind.DISPATCHED,
        actor,
        "A14",
        [unit(lead), *(unit(u) for u in co_units if u != lead)],
        lead_unit=lead,
        co_units=list(co_units),
        designated=designated,
        redo=redo,
        note=note,
        deadlines=clocks.running_deadlines(state),
        provisional=state.provisional(),
    )


def county_rules(state: TicketState, cmd: Dispatch | None) -> RuleSet | None:
    """A33: the county set a first dispatch brings. Only to a ticket that has run no limit yet (never
    dispatched), whose rules nobody chose: not named at registration and not a platform's (A17.4/A17.5
    follow the platform's rules wherever handled). A re-dispatch keeps the set the ticket has."""
    reg = state.registration
    if cmd is None or cmd.county_rule_set is None or state.assignments or reg.rule_set_id is not None:
        return None
    if reg.channel in RULE_SET_BY_CHANNEL or not state.judged_by(A33_COUNTY_RULES_AT_FIRST_DISPATCH):
        return None
    return cmd.county_rule_set if cmd.county_rule_set.key != state.rule_set.key else None


def dispatch_plan(state: TicketState, cmd: Dispatch | None, now: datetime) -> list[PlanItem]:
    """The limits a dispatch plans (A14, A17): the clock table's, for a first receipt, under the rules the
    receipt brings (A33)."""
    rules = county_rules(state, cmd)
    planned_under = state.model_copy(update={"rule_set": rules}) if rules else state
    return clocks.receipt_plan(planned_under, now, redo=False)


@transition
def dispatch(state: TicketState, cmd: Dispatch, step: Step, planned: Mapping[str, PlannedDeadline]) -> None:
    """A6/A14: the hotline dispatches the ticket to a lead unit and its co-units."""
    rules = county_rules(state, cmd)
    if rules is not None:
        before, state.rule_set = state.rule_set.key, rules
        happen(state, step, EventKind.RULE_SET_ADOPTED, cmd.actor, "A33", [], before=before, after=rules.key)
    receive(state, step, planned, lead=cmd.lead_unit, co_units=cmd.co_units, actor=cmd.actor, note=cmd.note)


@transition
def keep_lead(state: TicketState, designation: Designation, step: Step) -> None:
    """A14.5: the lead designated is the lead already holding the ticket: it keeps its receipt and its
    clocks, may no longer return the ticket, and works with the co-units designated."""
    assignment, lead = assignment_of(state), designation.lead_unit
    assignment.designated = True
    assignment.co_units = [u for u in designation.co_units if u != lead]
    back_to_handling(state)
    happen(
        state,
        step,
        EventKind.DESIGNATION_KEPT_RECEIPT,
        designation.actor,
        "A14.5",
        [unit(u) for u in [lead, *assignment.co_units]],
        lead_unit=lead,
        co_units=assignment.co_units,
        received_at=assignment.received_at,
        deadlines=clocks.running_deadlines(state),
    )


@transition
def sign_for(state: TicketState, cmd: SignFor, step: Step) -> None:
    assignment_of(state).signed_for_at = step.now
    state.stage = Stage.HANDLING
    happen(state, step, EventKind.SIGNED_FOR, cmd.actor, None, [HOTLINE])


@transition
def forward_to_subunit(state: TicketState, cmd: ForwardToSubunit, step: Step) -> None:
    """A6: the lead forwards to its tier-3 sub-unit, which acts for it; the lead stays responsible."""
    assignment_of(state).forwarded_to = cmd.sub_unit
    happen(
        state,
        step,
        EventKind.FORWARDED_TO_SUBUNIT,
        cmd.actor,
        "A6",
        [unit(cmd.sub_unit)],
        sub_unit=cmd.sub_unit,
        note=cmd.note,
    )


@transition
def report_emergency_response(state: TicketState, cmd: EmergencyResponse, step: Step) -> None:
    happen(state, step, EventKind.EMERGENCY_HANDLED, cmd.actor, "A17.3", [HOTLINE], note=cmd.note)


@transition
def record_assistance(state: TicketState, cmd: RecordAssistance, step: Step) -> None:
    """A14: the co-unit's assistance joins the timeline; the unit handling it and the hotline are told."""
    assignment = state.assignment
    handling = [state.lead_unit, assignment.forwarded_to if assignment else None]
    happen(
        state,
        step,
        EventKind.ASSISTANCE_RECORDED,
        cmd.actor,
        "A14",
        [*units(handling), HOTLINE],
        unit=cmd.actor.unit_id,
        opinion=cmd.opinion,
        attachments=list(cmd.attachments),
    )


@transition
def record_consultation(state: TicketState, cmd: RecordConsultation, step: Step) -> None:
    """A9: the meeting's decision joins the ticket; its units are told."""
    happen(
        state,
        step,
        EventKind.CONSULTATION_DECIDED,
        cmd.actor,
        "A9",
        [*units([state.lead_unit, *state.co_units]), HOTLINE],
        meeting=cmd.meeting,
        held_on=cmd.held_on.isoformat(),
        decision=cmd.decision,
    )
