"""并案 (A10.6): joining a new ticket to an open one on the same matter, and passing the earlier ticket's
result on to each ticket joined to it (A20: every requester hears the result)."""

from __future__ import annotations

from datetime import datetime

from domain.errors import conflict, invalid
from domain.joining import JoinedResult, JoinedTicket, JoinTicket
from domain.stages.common import happen, require_operator, require_stage, transition
from domain.ticket import TicketState
from domain.timeline import HOTLINE, REQUESTER, SYSTEM, EventKind, Step, units
from domain.vocabulary import Decision, Outcome, Stage

# A ticket is joined while it is new: registered, or with a unit that has not yet answered it.
JOINABLE = frozenset({Stage.REGISTERED, Stage.DISPATCHED, Stage.HANDLING})
# The earlier ticket has its result once it is concluded (A21), archived, or ended not accepted.
RESULT_READY = frozenset({Stage.CONCLUDED, Stage.ARCHIVED, Stage.NOT_ACCEPTED})


# -- checks ------------------------------------------------------------------------------------------------
def check_join(state: TicketState, cmd: JoinTicket) -> None:
    require_operator(cmd.actor)
    if state.joined_to is not None:
        raise conflict("ALREADY_JOINED", f"this ticket is already joined to {state.joined_to}", "A10.6")
    if cmd.into == state.ticket_no:
        raise invalid("JOIN_TO_ITSELF", "a ticket is joined to another ticket, not to itself", "A10.6")
    if state.joined:
        raise conflict(
            "HAS_JOINED_TICKETS",
            f"tickets are joined to this one ({', '.join(state.joined)}): it carries their result",
            "A10.6",
        )
    require_stage(state, JOINABLE, "join this ticket to another", "A10.6")


def finished(state: TicketState) -> bool:
    """A joined ticket's workflow returns once it has passed its requester the earlier ticket's result."""
    return state.stage == Stage.JOINED and state.joined_result is not None


# -- transitions -------------------------------------------------------------------------------------------
@transition
def join(state: TicketState, cmd: JoinTicket, step: Step) -> None:
    """The ticket ends as joined (its limits stop); its requester is told the earlier number, and the unit
    that held it that it no longer does."""
    state.joined_to = cmd.into
    state.stage, state.outcome, state.concluded_at = Stage.JOINED, Outcome.JOINED, step.now
    happen(
        state,
        step,
        EventKind.JOINED_TO,
        cmd.actor,
        "A10.6",
        [REQUESTER, *units([state.lead_unit, state.assignment.forwarded_to if state.assignment else None])],
        into=cmd.into,
        reason=cmd.reason,
    )


@transition
def take_joined(state: TicketState, joined: JoinedTicket, step: Step) -> None:
    """The earlier ticket learns of a ticket joined to it; its unit, that one more requester waits."""
    if joined.ticket_no in state.joined:
        return  # a signal delivered twice
    state.joined.append(joined.ticket_no)
    happen(
        state,
        step,
        EventKind.TICKET_JOINED,
        SYSTEM,
        "A10.6",
        [HOTLINE, *units([state.lead_unit])],
        ticket_no=joined.ticket_no,
    )


def results_due(state: TicketState) -> list[str]:
    """The joined tickets still to be told the result, once there is one."""
    if state.stage not in RESULT_READY:
        return []
    return [no for no in state.joined if no not in state.joined_told]


def result_of(state: TicketState, now: datetime) -> JoinedResult:
    """What the joined requesters read: the approved closure (A20), the answer given at once (A12), or
    why the matter ended otherwise (A13, A14.4, A18)."""
    approved = next(
        (c for c in reversed(state.closures) if c.decision == Decision.APPROVED and c.closure), None
    )
    if approved is not None and approved.closure is not None:
        text = approved.closure.result
    elif state.answered_at_once:
        text = state.answered_at_once
    elif state.outcome == Outcome.TERMINATED and state.termination is not None:
        text = f"该事项已依法书面告知终结（{state.termination.notice_ref}）"
    else:
        text = state.not_accepted_basis or "该事项已办结"
    return JoinedResult(
        ticket_no=state.ticket_no,
        outcome=state.outcome,
        result=text[:4000],
        answer=approved.closure if approved is not None else None,
        concluded_at=state.concluded_at or now,
    )


@transition
def results_passed_on(state: TicketState, ticket_nos: list[str], step: Step) -> None:
    state.joined_told.extend(no for no in ticket_nos if no not in state.joined_told)
    happen(state, step, EventKind.JOINED_RESULTS_SENT, SYSTEM, "A20", [], ticket_nos=ticket_nos)


@transition
def result_received(state: TicketState, result: JoinedResult, step: Step) -> None:
    """A20 for the joined requester: the earlier ticket's result, told to them; the workflow then ends."""
    if state.joined_result is not None or state.stage != Stage.JOINED:
        return
    state.joined_result = result
    happen(
        state,
        step,
        EventKind.JOINED_RESULT,
        SYSTEM,
        "A20",
        [REQUESTER],
        into=result.ticket_no,
        outcome=result.outcome,
        result=result.result,
    )
