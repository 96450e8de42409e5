"""Reading one ticket for a caller: load it, decide whether they may see it, show it as they may (A32)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from api.auth import Caller
from api.errors import conflict, not_found, ticket_opening
from api.privacy import (
    UNMASKED,
    Relation,
    record_identity_read,
    relation_of,
    relation_to,
    reveals_identity,
)
from api.runtime import Runtime
from api.schemas import TicketView
from api.unit_tree import unit_scope
from db.models import TicketRow
from domain.matters import TAKES_NO_ACTIONS
from domain.ticket import TicketState
from domain.vocabulary import Stage


async def caller_scope(runtime: Runtime, caller: Caller) -> frozenset[str]:
    """The caller's unit and the units below it (A6); empty for operators and integrators."""
    if caller.unit_id is None:
        return frozenset()
    async with runtime.session_maker() as session:
        return await unit_scope(session, caller.unit_id)


async def relation_in(runtime: Runtime, caller: Caller, state: TicketState) -> Relation | None:
    """relation_of, reading the caller's sub-units only when no direct relation decides it."""
    relation = relation_of(caller, state)
    if relation is None and caller.unit_id is not None:
        relation = relation_of(caller, state, await caller_scope(runtime, caller))
    return relation


async def visible_ticket(runtime: Runtime, caller: Caller, ticket_no: str) -> tuple[TicketState, Relation]:
    """The ticket and the caller's relation to it; 404 alike for "no such ticket" and "not yours"."""
    state = await runtime.ticket_state(ticket_no)
    if state is None:
        raise not_found()
    relation = await relation_in(runtime, caller, state)
    if relation is None:
        if state.revision == 0 and await _will_see(runtime, caller, state):
            raise ticket_opening()
        raise not_found()
    return state, relation


async def _will_see(runtime: Runtime, caller: Caller, state: TicketState) -> bool:
    """A ticket still opening (revision 0: the workflow publishes its first revision once the opening is
    done) has no unit yet: the unit it will be dispatched to (or a co-unit, or a unit above them) hears
    409 TICKET_OPENING, not 404; anyone else still cannot tell it exists."""
    reg = state.registration
    return (
        relation_to(
            caller,
            confidential=reg.requester.confidential,
            registered_by=reg.registered_by.id,
            handlers={reg.dispatch_to} - {None},
            co_units=set(reg.co_units),
            unit_scope=await caller_scope(runtime, caller),
        )
        is not None
    )


@dataclass(frozen=True)
class Actionable:
    """What an action learns of its ticket before the update: how the caller stands to it, and whether the
    requester is confidential (A32: a unit given the ticket must have cleared staff)."""

    relation: Relation
    confidential: bool
    # As the row (or the workflow) showed it: an action that reopens an archive (A21) reads it.
    stage: Stage | None = None
    # A32: the answer will show the requester's identity, so its audit row can be written with the action's
    # Idempotency-Key claim (api/idempotency.py claim_action_key) instead of after the update.
    reveals: bool = False


async def actionable_ticket(
    runtime: Runtime, caller: Caller, ticket_no: str, *, reopens_archive: bool = False
) -> Actionable:
    """Before an action: 404 unless the caller may see the ticket, 409 once it has ended.

    Answered from the read model when its row already shows the caller's relation, so an action costs one
    workflow round trip (the update), not two (a query first). The row may lag the workflow by a projection;
    a lagging row can only show a relation the caller has just lost (a ticket re-dispatched a moment ago),
    and then the update's own verdict refuses the action as not the caller's (403 NOT_YOUR_ACTION,
    api/errors.py verdict_error). Whatever the row does not show (no row yet, no relation, a unit above the
    lead) is decided from the workflow's state, which is authoritative."""
    async with runtime.session_maker() as session:
        row = (
            await session.execute(
                select(
                    TicketRow.stage,
                    TicketRow.lead_unit,
                    TicketRow.forwarded_to,
                    TicketRow.co_units,
                    TicketRow.requester_confidential,
                    TicketRow.requester_name,
                    TicketRow.requester_phone,
                    TicketRow.registered_by,
                ).where(TicketRow.ticket_no == ticket_no)
            )
        ).one_or_none()
    if row is not None:
        relation = relation_to(
            caller,
            confidential=row.requester_confidential,
            registered_by=row.registered_by,
            handlers={row.lead_unit, row.forwarded_to} - {None},
            co_units=set(row.co_units or ()),
        )
        if relation is not None:
            # An ended ticket reopens only for a supplementary answer (A21), which the workflow starts again
            # for: for anything else the row cannot lag here.
            _refuse_if_ended(Stage(row.stage), reopens_archive)
            # A32: the answer will show the requester (the row keeps the name and phone, not the
            # organisation: an organisation alone is left to the view to record).
            identified = bool(row.requester_name or row.requester_phone)
            reveals = relation in UNMASKED and identified
            return Actionable(relation, row.requester_confidential, Stage(row.stage), reveals)
    state, relation = await visible_ticket(runtime, caller, ticket_no)
    _refuse_if_ended(state.stage, reopens_archive)
    reveals = reveals_identity(relation, state.registration.requester)
    return Actionable(relation, state.registration.requester.confidential, state.stage, reveals)


def _refuse_if_ended(stage: Stage, reopens_archive: bool = False) -> None:
    if stage == Stage.ARCHIVED and reopens_archive:
        return
    if stage == Stage.JOINED:
        # 并案 (A10.6): joined, it is carried by the earlier ticket; joining it again is refused here too.
        raise conflict(
            "ALREADY_JOINED", "the ticket is joined to an earlier ticket; it takes no more actions", "A10.6"
        )
    if stage in TAKES_NO_ACTIONS:
        raise conflict("STAGE_FORBIDS_ACTION", f"the ticket is {stage.value}; it takes no more actions")


async def ticket_view(
    runtime: Runtime,
    caller: Caller,
    state: TicketState,
    relation: Relation,
    purpose: str,
    *,
    recorded: bool = False,
) -> TicketView:
    """The view for this caller; an unmasked requester is written to the A32 audit log first, unless the
    action already `recorded` it with its Idempotency-Key's claim (api/idempotency.py claim_action_key)."""
    unmasked = reveals_identity(relation, state.registration.requester)
    if unmasked and not recorded:
        await record_identity_read(
            runtime.session_maker, caller, state.ticket_no, await runtime.clock(), purpose
        )
    return TicketView.of(state, relation, unmasked=relation in UNMASKED)
