"""A4, A6, A25: the hotline's supervision orders (督办/催办) and the unit's answers.

The regulation makes supervising the handling the hotline's duty (A4 「交办、督办、考核、回访」, A6 the
first-tier platform 「对热线事项的办理进行督促、检查和协调」, A25 the supervision of 办理成效) and fixes no time
for the answer: each order sets its own, in natural hours or working days. The order's limit is a clock
charged to the unit it binds (domain/clocks.py family `supervision`): answered late, or not at all, it turns
yellow and red like any of the unit's limits and is counted against it (A22, A25). Several orders may run on
one ticket; each is answered by its id. A new receipt (another unit) lapses the orders it left behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from domain.commands import AnswerSupervisionOrder, IssueSupervisionOrder
from domain.deadlines import PlanItem, PlannedDeadline
from domain.errors import conflict
from domain.stages.common import happen, require_lead, require_operator, require_stage, transition
from domain.ticket import Clock, SupervisionOrder, TicketState
from domain.timeline import HOTLINE, EventKind, Step, unit
from domain.vocabulary import OPEN_STAGES, Stage

RULE = "A25"
# While a unit holds the ticket: not before dispatch, not while a coordination decides who leads (A14.5),
# not once the closure is approved (rating and callback are the hotline's own), never once concluded.
UNIT_HOLDS_IT = frozenset(
    {
        Stage.DISPATCHED,
        Stage.HANDLING,
        Stage.RETURN_REVIEW,
        Stage.EXTENSION_REVIEW,
        Stage.CLOSURE_REVIEW,
    }
)


def clock_name(order_id: str) -> str:
    return f"supervision:{order_id}"


def next_order_id(state: TicketState) -> str:
    return f"S{len(state.supervision_orders) + 1}"


def lapsed(state: TicketState, order: SupervisionOrder) -> bool:
    """Unanswered, and its limit no longer counts: the ticket went to another unit (a new receipt drops the
    clock) or concluded (A22 stops every limit)."""
    clock = state.clocks.get(clock_name(order.id))
    return order.answered_at is None and (clock is None or clock.met_at is not None)


def order_status(state: TicketState, order: SupervisionOrder, now: datetime) -> str:
    """answered, lapsed, overdue (its limit passed, unanswered) or open."""
    if order.answered_at is not None:
        return "answered"
    if lapsed(state, order):
        return "lapsed"
    return "overdue" if now >= order.due_at else "open"


# -- issuing --------------------------------------------------------------------------------------------
def check_issue(state: TicketState, cmd: IssueSupervisionOrder) -> None:
    require_operator(cmd.actor)
    require_stage(state, UNIT_HOLDS_IT, "issue a supervision order", RULE)


def order_plan(state: TicketState, cmd: IssueSupervisionOrder, now: datetime) -> list[PlanItem]:
    """The order's own limit, from the instant it is issued (working days: the day of issue not counted)."""
    return [PlanItem(name=clock_name(next_order_id(state)), anchor_at=now, period=cmd.respond_within)]


@transition
def issue(
    state: TicketState, cmd: IssueSupervisionOrder, step: Step, planned: Mapping[str, PlannedDeadline]
) -> None:
    order_id, lead = next_order_id(state), state.lead_unit or ""
    p = planned[clock_name(order_id)]
    state.supervision_orders.append(
        SupervisionOrder(id=order_id, unit=lead, order=cmd, issued_at=step.now, due_at=p.due_at)
    )
    state.clocks[clock_name(order_id)] = Clock(
        name=clock_name(order_id),
        period=cmd.respond_within,
        anchor_at=step.now,
        due_at=p.due_at,
        red_at=p.red_at,
        provisional=p.provisional,
    )
    happen(
        state,
        step,
        EventKind.SUPERVISION_ORDERED,
        cmd.actor,
        RULE,
        [unit(lead)],
        order_id=order_id,
        kind=cmd.kind,
        unit=lead,
        reason=cmd.reason,
        respond_within=cmd.respond_within.model_dump(exclude_none=True),
        due_at=p.due_at,
    )


# -- answering ------------------------------------------------------------------------------------------
def check_answer(state: TicketState, cmd: AnswerSupervisionOrder) -> None:
    require_lead(state, cmd.actor)
    require_stage(state, OPEN_STAGES, "answer a supervision order", RULE)
    order = next((o for o in state.supervision_orders if o.id == cmd.order_id), None)
    if order is None:
        raise conflict(
            "NO_SUCH_SUPERVISION_ORDER", f"no supervision order {cmd.order_id} on this ticket", RULE
        )
    if order.answered_at is not None:
        raise conflict("SUPERVISION_ORDER_ALREADY_ANSWERED", "this order was already answered", RULE)
    if lapsed(state, order):
        raise conflict(
            "SUPERVISION_ORDER_LAPSED",
            "the order bound the unit that held the ticket then; it lapsed when the ticket left it",
            RULE,
        )


@transition
def answer(state: TicketState, cmd: AnswerSupervisionOrder, step: Step) -> None:
    order = next(o for o in state.supervision_orders if o.id == cmd.order_id)
    order.answered_at, order.answer, order.answered_by = step.now, cmd.answer, cmd.actor.id
    clock = state.clocks[clock_name(order.id)]
    clock.met_at = step.now  # only this order's limit: the others keep counting
    happen(
        state,
        step,
        EventKind.SUPERVISION_ANSWERED,
        cmd.actor,
        RULE,
        [HOTLINE],
        order_id=order.id,
        unit=order.unit,
        answer=cmd.answer,
        late=step.now >= order.due_at,
    )
