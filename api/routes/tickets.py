"""Registering tickets, the queue (from SQL) and one ticket with its timeline (from the workflow)."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BeforeValidator, Field
from sqlalchemy import ColumnElement, Text, and_, cast, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from api.auth import Role
from api.bodies import body_model
from api.deps import (
    CallerDep,
    IdempotencyKey,
    ListerDep,
    NowDep,
    ReceiverDep,
    RuntimeDep,
    SessionDep,
    TicketNoDep,
)
from api.dispatch_advice import SUGGESTION_ID_PATTERN
from api.edge import REGISTRATION_LIMIT_BYTES, instant_text
from api.errors import ApiError, responses
from api.outside_ends import as_ended_outside
from api.privacy import requester_view
from api.queues import TOTAL_CAP, QueueFilter, queue_page
from api.registration import register
from api.schemas import RegistrationCreated, TicketPage, TicketSummary, TicketView, row_provisional
from api.ticket_access import ticket_view, visible_ticket
from api.unit_tree import unit_scope
from db.models import TicketRow
from db.session import count_rows
from domain.commands import Instant, Registration, Requester
from domain.vocabulary import Card, Category, Stage

router = APIRouter(prefix="/tickets", tags=["tickets"])


# pydantic would read "0.5" as a Unix time; the schema promises a date-time such as 2026-12-01T00:00+08:00.
# The edge's one check of a written instant (api/routes/reports.py reads it from here too).
_rfc3339_only = instant_text


REGISTRATION_EXAMPLE = {
    "channel": "phone",
    "category": "complaint",
    "requester": {"name": "李华", "phone": "13800000000"},
    "content": "新华南路路灯连续一周不亮，夜间行人摔倒。",
    "request_points": ["修复新华南路路灯", "说明维修时限"],
    "location": "武江区新华南路 88 号",
    "domain": "城市照明",
    "dispatch_to": "WJ",
    "co_units": ["SG-POWER"],
}

RegistrationBody = body_model(
    Registration,
    "RegistrationBody",
    drop=("ticket_no", "registered_by", "dispatch_advice"),
    optional=("received_at",),
    add={
        "dispatch_suggestion_id": (
            Annotated[str | None, Field(pattern=SUGGESTION_ID_PATTERN)],
            Field(
                None,
                description="A14: the dispatch catalogue's suggestion "
                "(`POST /registrations/dispatch-suggestion`) this registration confirms (`dispatch_to` its "
                "lead) or overrides (another lead); the ticket records which. Yours, used once.",
            ),
        )
    },
    example=REGISTRATION_EXAMPLE,
    max_bytes=REGISTRATION_LIMIT_BYTES,
)


@router.post(
    "",
    status_code=201,
    response_model=RegistrationCreated,
    responses=responses(401, 403, 409, 422, 503),
    summary="Register a ticket (operator, county office, integrator)",
    description=(
        "A2/A12: one ticket, whatever the channel. The server numbers it, starts its workflow and answers "
        "with the requester's access secret (A19) and rating code (A24), **shown once**. `received_at` "
        "defaults to now. With `dispatch_to` (the offices only) the ticket is dispatched at once; with "
        "`transferred_by_call` too, the call was transferred to that sub-centre (A8), recorded as such. A "
        "county's office (A4) names units of its own county only.\n\n"
        "Send an `Idempotency-Key`: a retried request answers with the same ticket and secrets "
        "(header `Idempotent-Replayed: true`), and concurrent duplicates make one ticket.\n\n"
        "A10.6: an operator's answer lists `repeat_candidates`, the earlier tickets this one may repeat (or "
        "be joined to, `POST /tickets/{no}/join`). A18: the same requester raising a matter closed by a "
        "termination notice is refused 409 `MATTER_TERMINATED`, the notice cited, even without `repeat_of`; "
        "name it in `repeat_of` to record the refusal, or record the requester's new facts in `new_facts`."
    ),
)
async def register_ticket(
    body: RegistrationBody,  # type: ignore[valid-type]
    caller: ReceiverDep,
    runtime: RuntimeDep,
    now: NowDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> RegistrationCreated:
    registered = await register(runtime, caller, body, idempotency_key, now)
    response.headers["Location"] = f"/tickets/{registered.created.ticket_no}"
    if registered.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return registered.created


@router.get(
    "",
    response_model=TicketPage,
    responses=responses(401, 403, 422, 503),
    summary="List tickets: the office's list or a unit's queue",
    description=(
        "From the SQL read model, newest first. An operator sees every ticket, a county's office (A4) the "
        "tickets handled in its county and those it registered and has not dispatched; unit staff see their unit's "
        "queue: tickets where the unit, or a unit below it (A6), is the lead, the forwarded-to sub-unit or a "
        "co-unit (`unit` narrows it to one unit of that tree); an integrator sees the tickets it registered. "
        "The requester is always masked here, and a confidential requester's ticket is listed only for staff "
        "with clearance (A32)."
    ),
)
async def list_tickets(
    caller: ListerDep,
    session: SessionDep,
    stage: Stage | None = None,
    card: Card | None = None,
    category: Category | None = None,
    role: Annotated[
        Literal["lead", "co"] | None,
        Query(description="Units: `lead` (lead or forwarded-to) or `co` (co-unit) tickets only."),
    ] = None,
    unit: Annotated[
        str | None, Query(max_length=64, description="One unit's tickets (units: their own or one below).")
    ] = None,
    due_before: Annotated[
        Instant | None,
        BeforeValidator(_rfc3339_only),
        Query(description="Only tickets whose answer is due before this instant (A17)."),
    ] = None,
    updated_since: Annotated[
        Instant | None,
        BeforeValidator(_rfc3339_only),
        Query(
            description="Only tickets whose row changed at or after this instant (ISO 8601 with its offset): "
            "poll with the largest `updated_at` seen so far (repeats at that instant are yours to skip)."
        ),
    ] = None,
    ended_outside: Annotated[
        bool | None,
        Query(
            description="Only tickets whose workflow was (true) or was not (false) ended outside the service."
        ),
    ] = None,
    open: Annotated[
        bool | None,
        Query(
            description="Only tickets still open (true: not concluded, not refused; a unit's working queue, "
            "and with `card=red` the tickets red now) or only concluded ones (false)."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TicketPage:
    filters: list[ColumnElement[bool]] = []
    units: frozenset[str] | None = None
    if caller.role == Role.INTEGRATOR:
        filters.append(TicketRow.registered_by == caller.actor.id)
    elif caller.role == Role.UNIT_STAFF:
        assert caller.unit_id is not None
        scope = await unit_scope(session, caller.unit_id)
        if unit is not None and unit not in scope:
            raise ApiError(403, "NOT_YOUR_UNIT", f"{unit} is not your unit or below it", "A6")
        units = frozenset({unit}) if unit else scope
    elif caller.role == Role.COUNTY_OFFICE:
        assert caller.county is not None
        scope = await unit_scope(session, caller.county)
        if unit is not None and unit not in scope:
            raise ApiError(403, "NOT_YOUR_UNIT", f"{unit} is not in {caller.county}'s county", "A4")
        # A4: the tickets handled in its county (as api/privacy.py decides), and those it received itself
        # and has not dispatched yet. Read from the tickets table, not ticket_units: a county's share of a
        # province's tickets is small, and its undispatched ones are in no unit's rows.
        handled = _involvement(scope, "lead")
        if unit is None and role is None:
            undispatched = and_(TicketRow.lead_unit.is_(None), TicketRow.registered_by == caller.actor.id)
            handled = or_(handled, undispatched)
        filters.append(handled)
        if unit is not None or role is not None:
            filters.append(_involvement(frozenset({unit}) if unit else scope, role))
    elif unit is not None:
        units = frozenset({unit})
    filters += [
        c
        for c in (
            TicketRow.stage == stage.value if stage else None,
            TicketRow.card == card.value if card else None,
            TicketRow.category == category.value if category else None,
            TicketRow.answer_due_at < due_before if due_before else None,
            TicketRow.updated_at >= updated_since if updated_since else None,
            None if ended_outside is None else TicketRow.ended_outside.is_not(None) == ended_outside,
        )
        if c is not None
    ]
    if units is not None:
        # A6: through ticket_units, whose rows say whether the ticket is open (api/queues.py).
        narrowed = QueueFilter(caller.confidential_clearance, role, open, filters)
        total, rows = await queue_page(session, units, narrowed, limit, offset)
    else:
        if not caller.confidential_clearance:
            filters.append(TicketRow.requester_confidential.is_(False))
        if open is not None:
            filters.append(TicketRow.concluded_at.is_(None) if open else TicketRow.concluded_at.is_not(None))
        query = select(TicketRow).where(*filters)
        # A count stops at TOTAL_CAP (bench B5: counting the whole history cost more than the page).
        total = await count_rows(session, query.limit(TOTAL_CAP + 1))
        newest = query.order_by(TicketRow.registered_at.desc(), TicketRow.ticket_no)
        rows = list(await session.scalars(newest.limit(limit).offset(offset)))
    return TicketPage(
        total=min(total, TOTAL_CAP),
        total_capped=total > TOTAL_CAP,
        limit=limit,
        offset=offset,
        items=[_summary(r) for r in rows],
    )


@router.get(
    "/{no}",
    response_model=TicketView,
    responses=responses(401, 404, 409, 422, 503),
    summary="One ticket with its deadlines, cards and timeline",
    description=(
        "From the ticket's workflow (authoritative, never stale). Operators see every ticket; a unit the "
        "tickets it is lead, forwarded-to, co-unit or an ancestor of one of those for (A6); an integrator "
        "the tickets it registered. The requester is unmasked only for the office and the handling unit; "
        "every such read is audited (A32). Anything else is 404, as for a ticket that does not exist. A ticket "
        "registered a moment ago and still opening is 409 `TICKET_OPENING` (with `Retry-After`) for those it "
        "is being dispatched to."
    ),
)
async def read_ticket(no: TicketNoDep, caller: CallerDep, runtime: RuntimeDep) -> TicketView:
    state, relation = await visible_ticket(runtime, caller, no)
    return await as_ended_outside(runtime, await ticket_view(runtime, caller, state, relation, "read"))


# -- queue helpers ----------------------------------------------------------------------------------------
def _json_list_contains(column: InstrumentedAttribute[list[str]], value: str) -> ColumnElement[bool]:
    """`value` is an element of a JSON list column, on PostgreSQL and SQLite alike: the list's JSON text
    contains the quoted value (unit ids are plain: operations.credentials.UNIT_ID_PATTERN)."""
    needle = json.dumps(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(column, Text).like(f"%{needle}%", escape="\\")


def _involvement(units: frozenset[str], role: Literal["lead", "co"] | None) -> ColumnElement[bool]:
    if not units:
        return false()
    handling = or_(TicketRow.lead_unit.in_(units), TicketRow.forwarded_to.in_(units))
    assisting = or_(*(_json_list_contains(TicketRow.co_units, u) for u in sorted(units)))
    return {"lead": handling, "co": assisting, None: or_(handling, assisting)}[role]


def _summary(row: TicketRow) -> TicketSummary:
    requester = Requester(
        name=row.requester_name, phone=row.requester_phone, confidential=row.requester_confidential
    )
    return TicketSummary(
        ticket_no=row.ticket_no,
        category=Category(row.category),
        channel=row.channel,
        emergency=row.emergency,
        stage=Stage(row.stage),
        outcome=row.outcome,
        card=Card(row.card),
        lead_unit=row.lead_unit,
        co_units=list(row.co_units),
        forwarded_to=row.forwarded_to,
        sign_for_due_at=row.sign_for_due_at,
        answer_due_at=row.answer_due_at,
        provisional=row_provisional(row.stage, row.state),
        registered_at=row.registered_at,
        concluded_at=row.concluded_at,
        updated_at=row.updated_at,
        requester=requester_view(requester, unmasked=False),
        location=row.location,
        content=row.content,
        ended_outside=row.ended_outside,
        ended_outside_at=row.ended_outside_at,
        joined_to=row.joined_to,
    )
