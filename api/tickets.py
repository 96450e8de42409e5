"""Reading one ticket for a caller: load it, decide whether they may see it, show it as they may (A32)."""

from __future__ import annotations

from api.auth import Caller
from api.errors import not_found
from api.privacy import UNMASKED, Relation, record_identity_read, relation_of, reveals_identity
from api.runtime import Runtime
from api.schemas import TicketView
from api.units import unit_scope
from domain.ticket import TicketState


async def caller_scope(runtime: Runtime, caller: Caller) -> frozenset[str]:
    """The caller's unit and the units below it (A6); empty for operators and integrators."""
    if caller.unit_id is None:
        return frozenset()
    async with runtime.session_maker() as session:
        return await unit_scope(session, caller.unit_id)


async def visible_ticket(runtime: Runtime, caller: Caller, ticket_no: str) -> tuple[TicketState, Relation]:
    """The ticket and the caller's relation to it; 404 alike for "no such ticket" and "not yours"."""
    state = await runtime.ticket_state(ticket_no)
    if state is None:
        raise not_found()
    relation = relation_of(caller, state, await caller_scope(runtime, caller))
    if relation is None:
        raise not_found()
    return state, relation


async def ticket_view(
    runtime: Runtime, caller: Caller, state: TicketState, relation: Relation, purpose: str
) -> TicketView:
    """The view for this caller; an unmasked requester is written to the A32 audit log first."""
    unmasked = reveals_identity(relation, state.registration.requester)
    if unmasked:
        await record_identity_read(
            runtime.session_maker, caller, state.ticket_no, await runtime.clock(), purpose
        )
    return TicketView.of(state, relation, unmasked=relation in UNMASKED)
