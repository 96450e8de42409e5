"""A14.5: designating the lead in a ticket's coordination (a child workflow of the ticket)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.bodies import body_model
from api.deps import IdempotencyKey, OperatorDep, RuntimeDep, TicketNoDep, update_id
from api.errors import ApiError, conflict, responses
from api.preconditions import require_units
from api.ticket_access import visible_ticket
from api.views import FROM_DOMAIN, View
from domain.commands import Designation
from workflows.coordination import CoordinationState

router = APIRouter(prefix="/coordinations", tags=["coordinations"])

DesignationBody = body_model(
    Designation,
    "DesignationBody",
    example={
        "lead_unit": "WJ",
        "co_units": ["SG-POWER"],
        "note": "协调会议定：武江区牵头，供电局配合",
    },
)


class CoordinationView(View, CoordinationState):
    """The coordination as its workflow holds it, its instants shown in Asia/Shanghai."""

    model_config = FROM_DOMAIN


@router.post(
    "/{no}/{n}/designate",
    response_model=CoordinationView,
    responses=responses(401, 403, 404, 409, 422, 503),
    summary="Designate the lead in a coordination (operator)",
    description=(
        "A14.5: after a dispute (`POST /tickets/{no}/disputes`) the hotline convenes the units and "
        "designates "
        "the lead, who must handle the ticket and may not return it; co-units must assist. `n` counts the "
        "ticket's coordinations from 1. Answers with the coordination; the ticket is re-dispatched to the "
        "designated lead right after (read it with `GET /tickets/{no}`)."
    ),
)
async def designate(
    no: TicketNoDep,
    n: Annotated[int, Path(ge=1, le=100, description="Which coordination, from 1.", examples=[1])],
    body: DesignationBody,  # type: ignore[valid-type]
    caller: OperatorDep,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> CoordinationState:
    state, _ = await visible_ticket(runtime, caller, no)
    if n > len(state.coordinations):
        raise ApiError(404, "COORDINATION_NOT_FOUND", f"ticket {no} has no coordination {n}", "A14.5")
    if state.coordinations[n - 1].designated_at is not None:
        raise conflict("ALREADY_DESIGNATED", "the lead is already designated", "A14.5")
    command = Designation.model_validate(dict(body) | {"actor": caller.actor})
    async with runtime.session_maker() as session:
        await require_units(
            session,
            command.co_units,
            lead=command.lead_unit,
            confidential=state.registration.requester.confidential,
        )
    return await runtime.temporal.designate(
        no, n, command, update_id("designate", f"cred-{caller.credential_id}", idempotency_key)
    )
