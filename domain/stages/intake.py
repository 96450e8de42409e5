"""Registration and the hotline's own answer (A2, A10–A13, A23): the ticket opens, is refused, answered on
the spot, or dispatched (domain/stages/dispatch.py)."""

from __future__ import annotations

from domain.commands import Actor, AnswerAtOnce, NotAccept
from domain.errors import conflict
from domain.stages.common import happen, request_rating, require_operator, require_stage, transition
from domain.ticket import OpeningFacts, TicketState
from domain.timeline import HOTLINE, REQUESTER, SYSTEM, EventKind, Step, linkage, unit
from domain.vocabulary import Category, NotAcceptedReason, Outcome, Stage


# -- checks ------------------------------------------------------------------------------------------------
def check_not_accept(state: TicketState, cmd: NotAccept) -> None:
    require_operator(cmd.actor)
    require_stage(state, {Stage.REGISTERED}, "refuse acceptance", "A13")


def check_answer_at_once(state: TicketState, cmd: AnswerAtOnce) -> None:
    require_operator(cmd.actor)
    require_stage(state, {Stage.REGISTERED}, "answer at once", "A12")
    if state.registration.category != Category.CONSULTATION:
        # A12: only a consultation is answered on the spot; the rest is dispatched.
        raise conflict(
            "ONLY_CONSULTATION_ANSWERED_AT_ONCE",
            "help, complaint, report and suggestion are dispatched to a unit",
            "A12",
        )


# -- transitions -------------------------------------------------------------------------------------------
@transition
def open_ticket(state: TicketState, facts: OpeningFacts, step: Step) -> None:
    """A2: registered under the rule set the records name; A18/A11: refused at once where they decide it.
    Dispatch at registration follows (dispatch.dispatch) when the operator named a unit."""
    reg = state.registration
    state.rule_set = facts.rule_set
    state.rating_by_message = facts.rating_by_message
    happen(
        state,
        step,
        EventKind.REGISTERED,
        reg.registered_by,
        "A2",
        [REQUESTER],
        channel=reg.channel,
        category=reg.category,
        emergency=reg.emergency,
        rule_set=facts.rule_set.key,
    )
    if reg.transferred_by_call and reg.dispatch_to:
        # A8: recorded as a call transferred, not a ticket sent: the sub-centre took the caller on the line.
        happen(
            state,
            step,
            EventKind.CALL_TRANSFERRED,
            reg.registered_by,
            "A8",
            [unit(reg.dispatch_to), HOTLINE],
            sub_centre=reg.dispatch_to,
        )
    if reg.linkage:
        # A23: matters on the emergency list are linked to 110/119/120/122 at once.
        happen(
            state,
            step,
            EventKind.EMERGENCY_LINKAGE,
            reg.registered_by,
            "A23",
            [linkage(line) for line in reg.linkage],
            lines=reg.linkage,
        )
    if reg.written_answer_requested:
        state.written_answer_requested_at = reg.received_at  # A20: asked for when registering
    if facts.refusal is not None:
        not_accepted(state, step, reg.registered_by, facts.refusal, facts.refusal_basis, automatic=True)


@transition
def not_accept(state: TicketState, cmd: NotAccept, step: Step) -> None:
    not_accepted(state, step, cmd.actor, cmd.reason, cmd.basis, automatic=False)


def not_accepted(
    state: TicketState, step: Step, actor: Actor, reason: NotAcceptedReason, basis: str, *, automatic: bool
) -> None:
    """A13: the requester is told it is not accepted and on what basis; the limits stop."""
    state.stage, state.outcome = Stage.NOT_ACCEPTED, Outcome.NOT_ACCEPTED
    state.not_accepted_reason = NotAcceptedReason(reason)
    state.not_accepted_basis = basis
    state.concluded_at = step.now
    happen(
        state,
        step,
        EventKind.NOT_ACCEPTED,
        SYSTEM if automatic else actor,
        reason.value,
        [REQUESTER],
        reason=reason.value,
        basis=basis,
        automatic=automatic,
    )


@transition
def answer_at_once(state: TicketState, cmd: AnswerAtOnce, step: Step) -> None:
    """A12: a consultation the hotline answers from the knowledge base; the requester then rates it."""
    state.answered_at_once = cmd.answer
    state.answered_from = cmd.knowledge_point
    state.outcome = Outcome.ANSWERED_AT_ONCE
    # A29: the version relied on joins the event; an answer recorded before versions has no such key.
    cited = {"knowledge_point": cmd.knowledge_point.model_dump()} if cmd.knowledge_point else {}
    happen(
        state,
        step,
        EventKind.ANSWERED_AT_ONCE,
        cmd.actor,
        "A12",
        [REQUESTER],
        knowledge_point_id=cmd.knowledge_point_id,
        **cited,
    )
    request_rating(state, step)
