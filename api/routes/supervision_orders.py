"""A4, A6, A25: a ticket's supervision orders (督办/催办) and their answers, as the ticket's workflow holds them.

Issuing and answering are actions (api/action_catalogue.py: `POST /tickets/{no}/supervision-orders`,
`POST /tickets/{no}/supervision-orders/{order_id}/answer`); this is the list beside them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from fastapi import APIRouter
from pydantic import Field

from api.deps import CallerDep, RuntimeDep, TicketNoDep
from api.errors import responses
from api.ticket_access import visible_ticket
from api.views import View, label_of
from domain.rulesets import Period
from domain.stages.supervision import clock_name, order_status
from domain.ticket import SupervisionOrder, TicketState
from domain.vocabulary import Card, SupervisionKind

router = APIRouter(prefix="/tickets", tags=["supervision orders"])


class SupervisionOrderView(View):
    id: str = Field(examples=["S1"])
    kind: SupervisionKind
    kind_label: ClassVar[Any] = label_of("kind")
    unit: str = Field(description="The unit the order binds: the lead when it was issued.")
    reason: str
    respond_within: Period
    issued_at: datetime
    issued_by: str
    due_at: datetime
    status: str = Field(
        description="`open`, `overdue` (its time passed, unanswered), `answered`, or `lapsed` (unanswered "
        "when the ticket went to another unit or concluded).",
        examples=["open"],
    )
    card: Card = Field(description="A22: the order's own card, charged to `unit`.")
    card_label: ClassVar[Any] = label_of("card")
    answered_at: datetime | None = None
    answer: str = ""
    late: bool | None = Field(None, description="Answered after `due_at`; null until answered.")


class SupervisionOrderList(View):
    ticket_no: str
    items: list[SupervisionOrderView]


def order_view(state: TicketState, order: SupervisionOrder, now: datetime) -> SupervisionOrderView:
    clock = state.clocks.get(clock_name(order.id))
    answered = order.answered_at
    return SupervisionOrderView(
        id=order.id,
        kind=order.order.kind,
        unit=order.unit,
        reason=order.order.reason,
        respond_within=order.order.respond_within,
        issued_at=order.issued_at,
        issued_by=order.order.actor.id,
        due_at=order.due_at,
        status=order_status(state, order, now),
        card=clock.card if clock else Card.GREEN,
        answered_at=answered,
        answer=order.answer,
        late=None if answered is None else answered >= order.due_at,
    )


@router.get(
    "/{no}/supervision-orders",
    response_model=SupervisionOrderList,
    responses=responses(401, 404, 409, 422, 503),
    summary="A ticket's supervision orders and their answers",
    description=(
        "A4, A6, A25: every order the hotline issued on the ticket (督办 `supervise`, 催办 `urge`), in the order "
        "issued, with the time it set, its status, its card (A22, charged to the unit it binds) and the "
        "unit's answer. From the ticket's workflow; seen by those who see the ticket (the office, the lead, "
        "its co-units and the units above them), 404 for anyone else."
    ),
)
async def list_supervision_orders(
    no: TicketNoDep, caller: CallerDep, runtime: RuntimeDep
) -> SupervisionOrderList:
    state, _ = await visible_ticket(runtime, caller, no)
    now = await runtime.clock()
    return SupervisionOrderList(
        ticket_no=state.ticket_no, items=[order_view(state, o, now) for o in state.supervision_orders]
    )
