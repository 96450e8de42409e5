"""A23: the ticket's side of linkage with 110/119/120/122 — which lines it is linked to, the limit each
line has to acknowledge (a clock charged to the hotline), what the lines reported, and the result told to a
line that handed a matter to 12345. The hand-over itself runs in workflows/linkage.py."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from domain.clocks import ChargedTo
from domain.commands import Actor
from domain.deadlines import PlanItem, PlannedDeadline
from domain.errors import conflict
from domain.linkage import (
    Handover,
    LineResult,
    LinkageOrder,
    LinkageReport,
    LinkageStatus,
    ack_clock,
    linkage_workflow_id,
    new_lines,
)
from domain.stages.common import happen, require_stage, transition
from domain.ticket import Clock, TicketState
from domain.timeline import HOTLINE, SYSTEM, EventKind, Step, linkage
from domain.vocabulary import OPEN_STAGES, ActorKind, Stage

ACK_PREFIX = ack_clock("")
_REPORTED = {
    LinkageStatus.HANDED_OVER: (EventKind.LINKAGE_HANDED_OVER, ()),
    LinkageStatus.ACKNOWLEDGED: (EventKind.LINKAGE_ACKNOWLEDGED, ()),
    # A23: no acknowledgement in time, or a line that cannot be reached: the duty officer is told.
    LinkageStatus.ESCALATED: (EventKind.LINKAGE_ESCALATED, (HOTLINE,)),
    LinkageStatus.UNREACHABLE: (EventKind.LINKAGE_UNREACHABLE, (HOTLINE,)),
}


def linked_lines(state: TicketState) -> list[str]:
    return [name.removeprefix(ACK_PREFIX) for name in state.clocks if name.startswith(ACK_PREFIX)]


def handover(state: TicketState, line: str, ticket_workflow_id: str) -> Handover:
    """What the line's system is sent: the matter and where, no requester identity (A32)."""
    reg = state.registration
    return Handover(
        linkage_id=linkage_workflow_id(ticket_workflow_id, line),
        ticket_no=state.ticket_no,
        line=line,
        category=reg.category,
        content=reg.content,
        location=reg.location,
        registered_at=reg.received_at,
    )


def check_link(state: TicketState, order: LinkageOrder) -> None:
    """The operator, or an integrator (another line, the provincial platform), links an open ticket."""
    if order.actor.kind not in {ActorKind.OPERATOR, ActorKind.INTEGRATOR}:
        raise conflict("NOT_YOUR_ACTION", "the hotline or an integrator links a ticket to the lines", "A23")
    require_stage(state, OPEN_STAGES - {Stage.REGISTERED}, "link the ticket to an emergency line", "A23")
    if not new_lines(linked_lines(state), order.lines):
        raise conflict("ALREADY_LINKED", "the ticket is already linked to these lines", "A23")


def link_plan(state: TicketState, lines: list[str], now: datetime) -> list[PlanItem]:
    """Each line acknowledges within the rule set's limit (default 5 minutes)."""
    return [
        PlanItem(name=ack_clock(line), anchor_at=now, period=state.rule_set.linkage_ack) for line in lines
    ]


@transition
def link(
    state: TicketState,
    lines: list[str],
    actor: Actor | str,
    step: Step,
    planned: Mapping[str, PlannedDeadline],
    *,
    at_registration: bool,
) -> None:
    """Start each line's acknowledgement limit; a later linkage is recorded as the registration's is."""
    for line in lines:
        p = planned[ack_clock(line)]
        state.clocks[ack_clock(line)] = Clock(
            name=ack_clock(line),
            period=state.rule_set.linkage_ack,
            anchor_at=step.now,
            due_at=p.due_at,
            red_at=p.red_at,
            provisional=p.provisional,
            charged_to=ChargedTo.HOTLINE.value,
        )
    if not at_registration:
        happen(
            state, step, EventKind.EMERGENCY_LINKAGE, actor, "A23", [linkage(x) for x in lines], lines=lines
        )


@transition
def reported(state: TicketState, report: LinkageReport, step: Step) -> None:
    """What a line's linkage child reported; an acknowledgement meets the line's limit."""
    kind, notify = _REPORTED[report.status]
    if report.status == LinkageStatus.ACKNOWLEDGED:
        clock = state.clocks.get(ack_clock(report.line))
        if clock is not None and clock.met_at is None:
            clock.met_at = report.at
    happen(
        state,
        step,
        kind,
        f"linkage:{report.line}" if report.status == LinkageStatus.ACKNOWLEDGED else SYSTEM,
        "A23",
        list(notify),
        line=report.line,
        reference=report.reference,
        by=report.by,
        detail=report.detail,
        reported_at=report.at,
    )


def result_due(state: TicketState) -> LineResult | None:
    """A23: a matter a line handed to 12345 is answered back to it once the ticket concludes."""
    source = state.registration.linkage_source
    if source is None or state.concluded_at is None:
        return None
    if any(e.kind == EventKind.LINKAGE_RESULT_TOLD for e in state.timeline):
        return None
    closed = next((c.closure for c in reversed(state.closures) if c.closure is not None), None)
    answer = closed.result if closed else (state.answered_at_once or state.not_accepted_basis)
    return LineResult(
        ticket_no=state.ticket_no,
        line=source.line,
        reference=source.reference,
        outcome=(state.outcome.value if state.outcome else state.stage.value),
        answer=answer,
        concluded_at=state.concluded_at,
    )


@transition
def result_told(state: TicketState, result: LineResult, step: Step, *, told: bool) -> None:
    """Recorded once either way; a line whose system refused it is the duty officer's to call."""
    happen(
        state,
        step,
        EventKind.LINKAGE_RESULT_TOLD,
        SYSTEM,
        "A23",
        [] if told else [HOTLINE],
        told=told,
        line=result.line,
        reference=result.reference,
        outcome=result.outcome,
    )
