"""A32 in one place: who may see a ticket, who sees the requester unmasked, and the audit of those reads.

- A county's office (A4) is the office for the tickets handled in its county (the county's unit tree) and
  those it registered; it sees no other.
- A unit sees a ticket where it is the lead, the sub-unit the lead forwarded it to (A6), a co-unit, or an
  ancestor of one of those; an integrator sees the tickets it registered; operators see every ticket.
- A requester who asked for confidentiality: the ticket exists only for staff with confidential clearance
  (everyone else gets 404 and never finds it in a list).
- The requester's identity is shown unmasked only to those who must contact them: the hotline office and
  the unit handling the ticket (lead or forwarded-to sub-unit). Co-units, ancestor units, integrators and
  every list see it masked. Every response that shows it unmasked writes an `identity_reads` row.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import cast

from pydantic import BaseModel, Field
from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth import Caller, Role
from db.api_models import IdentityReadRow
from domain.commands import Requester
from domain.ticket import TicketState


class Relation(StrEnum):
    """How the caller stands to a ticket; decides what it sees."""

    OFFICE = "office"  # the hotline office
    HANDLER = "handler"  # the lead unit, or the sub-unit it forwarded the ticket to (A6)
    CO_UNIT = "co_unit"
    ANCESTOR = "ancestor"  # a unit above the lead, the forwarded-to unit or a co-unit (A6)
    REGISTRAR = "registrar"  # the integrator that registered it


UNMASKED = frozenset({Relation.OFFICE, Relation.HANDLER})


def relation_of(
    caller: Caller, state: TicketState, unit_scope: frozenset[str] = frozenset()
) -> Relation | None:
    """None: the caller may not know the ticket exists. `unit_scope`: the caller's unit and those below."""
    assignment = state.assignment
    return relation_to(
        caller,
        confidential=state.registration.requester.confidential,
        registered_by=state.registration.registered_by.id,
        handlers={assignment.lead_unit, assignment.forwarded_to} - {None} if assignment else set(),
        co_units=set(assignment.co_units) if assignment else set(),
        unit_scope=unit_scope,
    )


def relation_to(
    caller: Caller,
    *,
    confidential: bool,
    registered_by: str | None,
    handlers: set[str | None],
    co_units: set[str],
    unit_scope: frozenset[str] = frozenset(),
) -> Relation | None:
    """The same decision from the facts it needs, so the read model's columns can answer it too.
    `registered_by` None: no registrar known, so no REGISTRAR relation."""
    if confidential and not caller.confidential_clearance:
        return None
    if caller.role == Role.OPERATOR:
        return Relation.OFFICE
    if caller.role == Role.COUNTY_OFFICE:
        # A4 「本级热线」: the office of a ticket led (or handled, A6) in its county, or that it received
        # itself and has not dispatched yet; any other ticket (one sent out of the county too) does not
        # exist for it.
        in_county = bool(unit_scope & handlers) or (not handlers and registered_by == caller.actor.id)
        return Relation.OFFICE if in_county else None
    if caller.role == Role.INTEGRATOR:
        return Relation.REGISTRAR if registered_by == caller.actor.id else None
    if not handlers:
        return None  # not dispatched yet: no unit is involved
    if caller.unit_id in handlers:
        return Relation.HANDLER
    if caller.unit_id in co_units:
        return Relation.CO_UNIT
    if unit_scope & (handlers | co_units):
        return Relation.ANCESTOR
    return None


class RequesterView(BaseModel):
    name: str = Field(examples=["李*"])
    phone: str = Field(examples=["138****00"])
    organisation: str = ""
    confidential: bool = False
    masked: bool = Field(description="True when name, phone and organisation are masked (A32).")


def mask_name(name: str) -> str:
    """First character and an asterisk: enough to address the requester, not to identify them."""
    return f"{name[0]}*" if name else ""


def mask_phone(phone: str) -> str:
    """The first 3 and last 2 digits, as on a receipt: 13800000000 -> 138****00."""
    if not phone:
        return ""
    return f"{phone[:3]}****{phone[-2:]}" if len(phone) > 5 else "****"


def requester_view(requester: Requester, *, unmasked: bool) -> RequesterView:
    if unmasked:
        return RequesterView(
            name=requester.name,
            phone=requester.phone,
            organisation=requester.organisation,
            confidential=requester.confidential,
            masked=False,
        )
    return RequesterView(
        name=mask_name(requester.name),
        phone=mask_phone(requester.phone),
        organisation=mask_name(requester.organisation),
        confidential=requester.confidential,
        masked=True,
    )


def reveals_identity(relation: Relation, requester: Requester) -> bool:
    """Whether a response for this relation shows someone's identity (an anonymous request shows none)."""
    return relation in UNMASKED and bool(requester.name or requester.phone or requester.organisation)


_RECORD_READ = insert(cast(Table, IdentityReadRow.__table__))


async def record_identity_read(
    session_maker: async_sessionmaker[AsyncSession],
    caller: Caller,
    ticket_no: str,
    at: datetime,
    purpose: str,
) -> None:
    """A32 audit: who saw which requester's identity, when and why. Written before the response leaves."""
    async with session_maker.begin() as session:
        await write_identity_read(session, caller.credential_id, ticket_no, at, purpose)


async def write_identity_read(
    session: AsyncSession, credential_id: int, ticket_no: str, at: datetime, purpose: str
) -> None:
    """The audit row, in the caller's transaction."""
    row = {"credential_id": credential_id, "ticket_no": ticket_no, "at": at, "purpose": purpose[:100]}
    # A Core INSERT, not session.add: a unit-of-work flush costs more than the write, on every action.
    await session.execute(_RECORD_READ, row)


# -- an action's read, written with its Idempotency-Key claim -------------------------------------------
# An action answers with the ticket, unmasked for the office and the handler: one audit row per action.
# Written after the update it is a second write transaction per action beside the key's claim (B2, issue 17:
# on SQLite each waits for the one write lock the worker's projections also take). So when the read model
# already shows, before the update, that the answer will reveal an identity, the row is written in the
# claim's transaction (api/idempotency.py claim_action_key), and the view does not write it again. Should the
# action then be refused (the workflow's verdict, Temporal away), the row stays: the audit errs towards a
# read that was attempted, never misses one that was shown. Without a key, or when the answer's relation
# was not foreseen, the view writes the row itself (api/ticket_access.py ticket_view). The foresight travels
# as values through the action (api/ticket_access.py Actionable.reveals -> claim_action_key ->
# ticket_view(recorded=...)), api/routes/actions.py perform.
