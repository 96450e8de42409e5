"""The caller's history: an operator on the call looks up the requester's earlier tickets by phone number.

A32: which tickets a number has raised is the requester's identity read by another road, so the lookup is
the hotline office's only (units and integrators 403), a confidential requester's tickets are listed only
for cleared operators, and every ticket a page shows writes an `identity_reads` row (purpose
`caller_history`), before the page leaves. A lookup that finds nothing reveals no one and writes none.

The number travels in the body of a POST, never in the URL, so it lands in no access log and no proxy's
history; it is matched in its one spelling (domain/phones.py, A11), as registrations store it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, cast

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import Table, insert, select

from api.bodies import BODY_CONFIG
from api.deps import NowDep, OperatorDep, RuntimeDep, SessionDep
from api.edge import written_phone
from api.errors import responses
from api.views import View, label_of
from db.api_models import IdentityReadRow
from db.catalogue_models import MatterTypeRow
from db.models import TicketRow
from db.session import count_rows
from domain.vocabulary import Category, Outcome, Stage

router = APIRouter(prefix="/registrations", tags=["registrations"])

PURPOSE = "caller_history"
_SUMMARY_CHARACTERS = 60


class CallerIn(BaseModel):
    model_config = BODY_CONFIG
    phone: str = Field(min_length=1, max_length=200, examples=["13800000000"])


class EarlierTicket(View):
    ticket_no: str
    registered_at: datetime
    category: Category
    matter: str = Field(
        description="The matter: its dispatch-catalogue type (A14) if it had one, else its emergency-list "
        "type (A23) or its domain."
    )
    summary: str = Field(description=f"The content's first {_SUMMARY_CHARACTERS} characters.")
    location: str
    stage: Stage
    outcome: Outcome | None
    lead_unit: str | None
    concluded_at: datetime | None

    stage_label: ClassVar[Any] = label_of("stage")
    outcome_label: ClassVar[Any] = label_of("outcome")
    category_label: ClassVar[Any] = label_of("category")


class CallerHistory(View):
    phone: str = Field(description="The number in its one spelling (A11), as it was matched.")
    total: int
    limit: int
    offset: int
    items: list[EarlierTicket] = Field(description="Newest first.")


_RECORD_READS = insert(cast(Table, IdentityReadRow.__table__))


def _matter(row: TicketRow, names: dict[str, str]) -> str:
    registration = row.state.get("registration", {})
    advice = registration.get("dispatch_advice") or {}
    code = advice.get("matter_code")
    return names.get(code, "") if code else registration.get("matter_type") or row.domain


@router.post(
    "/caller-history",
    response_model=CallerHistory,
    responses=responses(401, 403, 422, 503),
    summary="The caller's earlier tickets, by phone number (operator)",
    description="While on the call: the requester's tickets, newest first, each with its number, date, "
    "matter, stage and outcome. The number goes in the body, never the URL (it would land in access "
    "logs); any spelling of it (spaces, +86, full-width digits) finds the same tickets, letters are 422 "
    "`INVALID_PHONE`. Operators only; a confidential requester's tickets only for cleared operators (A32). "
    "Every ticket shown is audited as an identity read (A32, `identity_reads`, purpose `caller_history`).",
)
async def caller_history(
    body: CallerIn,
    caller: OperatorDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> CallerHistory:
    phone = written_phone(body.phone)
    query = select(TicketRow).where(TicketRow.requester_phone == phone)
    if not caller.confidential_clearance:
        query = query.where(TicketRow.requester_confidential.is_(False))
    total = await count_rows(session, query)
    rows = list(
        await session.scalars(
            query.order_by(TicketRow.registered_at.desc(), TicketRow.ticket_no).limit(limit).offset(offset)
        )
    )
    names = {m.code: m.name for m in await session.scalars(select(MatterTypeRow))}
    items = [
        EarlierTicket(
            ticket_no=r.ticket_no,
            registered_at=r.registered_at,
            category=Category(r.category),
            matter=_matter(r, names),
            summary=r.content[:_SUMMARY_CHARACTERS],
            location=r.location,
            stage=Stage(r.stage),
            outcome=Outcome(r.outcome) if r.outcome else None,
            lead_unit=r.lead_unit,
            concluded_at=r.concluded_at,
        )
        for r in rows
    ]
    if items:
        # A32: written before the page leaves; one row per ticket shown, as for a ticket read.
        reads = [
            {"credential_id": caller.credential_id, "ticket_no": t.ticket_no, "at": now, "purpose": PURPOSE}
            for t in items
        ]
        async with runtime.session_maker.begin() as audit:
            await audit.execute(_RECORD_READS, reads)
    return CallerHistory(phone=phone, total=total, limit=limit, offset=offset, items=items)
