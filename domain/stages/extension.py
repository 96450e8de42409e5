"""A17: one extension, applied for before the limit passes and reviewed by the hotline; none in a redo."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from domain import clocks
from domain.changes import A17_ONE_EXTENSION_GRANTED, A17_REFUSAL_SAYS_WHY, A24_NO_EXTENSION_IN_A_REDO
from domain.commands import ApplyExtension, Review
from domain.deadlines import PlanItem, PlannedDeadline
from domain.errors import conflict, invalid
from domain.rulesets import Period
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
from domain.ticket import ANSWER, ExtensionRecord, TicketState
from domain.timeline import HOTLINE, REQUESTER, EventKind, Step, unit
from domain.vocabulary import Decision, Stage


def check_extension(state: TicketState, cmd: ApplyExtension, now: datetime) -> None:
    require_lead(state, cmd.actor)
    assignment = assignment_of(state)
    if assignment.redo or (state.redo_count > 0 and state.judged_by(A24_NO_EXTENSION_IN_A_REDO)):
        # A24: no extension in a redo, even when a coordination has since designated another lead.
        raise conflict("NO_EXTENSION_IN_REDO", "a redo has the original limit and no extension", "A24")
    require_stage(state, HANDLING_STAGES, "apply for an extension", "A17")
    if len(extensions_used(state)) >= state.rule_set.max_extensions:
        raise conflict("EXTENSION_ALREADY_USED", "a ticket may be extended at most once", "A17")
    answer = state.clocks.get(ANSWER)
    if answer is not None and now >= answer.due_at:
        raise conflict("EXTENSION_TOO_LATE", "an extension is applied for before the limit passes", "A17")
    if not cmd.requester_told:
        raise invalid("REQUESTER_NOT_TOLD", "tell the requester why and until when", "A17")


def extensions_used(state: TicketState) -> list[ExtensionRecord]:
    """A17 「延期办理只能 1 次」: the extensions granted use up the ticket's one; a refused application does
    not (verdicts 1–3 counted every application)."""
    if not state.judged_by(A17_ONE_EXTENSION_GRANTED):
        return state.extensions
    return [e for e in state.extensions if e.decision != Decision.REFUSED]


def check_review_extension(state: TicketState, cmd: Review) -> None:
    require_operator(cmd.actor)
    require_stage(state, {Stage.EXTENSION_REVIEW}, "review an extension", "A17")
    if not cmd.approve and not cmd.reason.strip() and state.judged_by(A17_REFUSAL_SAYS_WHY):
        raise invalid("REASON_REQUIRED", "say why the extension is refused", "A17")


@transition
def apply_extension(state: TicketState, cmd: ApplyExtension, step: Step) -> None:
    state.extensions.append(ExtensionRecord(application=cmd, applied_at=step.now))
    state.stage = Stage.EXTENSION_REVIEW
    happen(state, step, EventKind.EXTENSION_APPLIED, cmd.actor, "A17", [HOTLINE], reason=cmd.reason)


def _extension_period(state: TicketState) -> Period:
    return state.rule_set.answer_limit(state.registration.category, state.registration.emergency)


def review_extension_plan(state: TicketState, cmd: Review, now: datetime) -> list[PlanItem]:
    """A17: as long as the ticket type's own limit, after the original limit; planned before it is granted."""
    if not cmd.approve:
        return []
    item = clocks.plan_item(state.clocks[ANSWER])
    return [item.model_copy(update={"then": [*item.then, _extension_period(state)]})]


@transition
def review_extension(
    state: TicketState, cmd: Review, step: Step, planned: Mapping[str, PlannedDeadline]
) -> None:
    record = state.pending_extension()
    assert record is not None
    record.decided_at, record.reason = step.now, cmd.reason
    lead = unit(state.lead_unit or "")
    if cmd.approve:
        clock = state.clocks[ANSWER]
        clock.then.append(_extension_period(state))
        clock.replan(planned[ANSWER])
        record.decision, record.extended_to = Decision.APPROVED, clock.due_at
        happen(
            state,
            step,
            EventKind.EXTENSION_APPROVED,
            cmd.actor,
            "A17",
            [lead, REQUESTER],
            extended_to=clock.due_at,
            reason=record.application.reason,
        )
    else:
        record.decision = Decision.REFUSED
        happen(state, step, EventKind.EXTENSION_REFUSED, cmd.actor, "A17", [lead], reason=cmd.reason)
    back_to_handling(state)
