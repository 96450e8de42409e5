"""A23: linkage with the emergency lines 110/119/120/122 — the emergency-matter list the office edits at run
time, where each line's system is, linking a ticket, and a line's acknowledgement of a hand-over."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.bodies import BODY_CONFIG
from api.deps import (
    CallerDep,
    IdempotencyKey,
    NowDep,
    OperatorDep,
    RegistrarDep,
    RuntimeDep,
    TicketNoDep,
    update_id,
)
from api.errors import ApiError, responses, rpc_error, verdict_error
from api.views import View
from db.linkage_models import EmergencyMatterRow, LinkageLineRow
from db.session import insert_for
from domain.commands import Distinct, Line
from domain.linkage import EmergencyMatter, LineAck, LinkageOrder, linkage_workflow_id
from workflows.linkage import LinkageState, LinkageWorkflow
from workflows.ticket import ticket_workflow_id

router = APIRouter(tags=["linkage"])
LinePath = Annotated[str, Path(pattern=r"^(110|119|120|122)$", examples=["110"])]
MatterId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", examples=["gas-leak"])]


class EmergencyMatterIn(BaseModel):
    model_config = BODY_CONFIG
    matter_type: str = Field(min_length=1, max_length=100, examples=["燃气泄漏"])
    keywords: list[str] = Field(default_factory=list, max_length=50, examples=[["燃气泄漏", "煤气味"]])
    lines: list[Line] = Field(default_factory=list, max_length=4, examples=[["119"]])
    note: str = Field("", max_length=200)


class EmergencyMatterOut(View, EmergencyMatter):
    updated_at: datetime


class LineIn(BaseModel):
    model_config = BODY_CONFIG
    endpoint: str = Field(
        min_length=8, max_length=500, pattern=r"^https?://", examples=["http://127.0.0.1:9110"]
    )
    token: str = Field("", max_length=500, description="Sent as a bearer token to the line's system.")


class LineOut(View):
    line: str
    endpoint: str
    has_token: bool
    updated_at: datetime


class LinkIn(BaseModel):
    model_config = BODY_CONFIG
    lines: Annotated[list[Line], Distinct] = Field(min_length=1, max_length=4, examples=[["110"]])


class AckIn(BaseModel):
    model_config = BODY_CONFIG
    by: str = Field(min_length=1, max_length=200, examples=["110指挥中心 3号台"])
    reference: str = Field("", max_length=200, examples=["JJ20261201-0042"])


class LinkageOut(View):
    ticket_no: str
    line: str
    reference: str
    acknowledged_at: datetime | None
    acknowledged_by: str
    escalated: bool
    unreachable: bool


# -- the emergency-matter list (突发事项清单) -----------------------------------------------------------------
@router.put(
    "/emergency-matters/{matter_id}",
    response_model=EmergencyMatterOut,
    responses=responses(401, 403, 422),
    summary="Put a matter on the emergency list (operator)",
    description="A23: the list is data the office edits at run time. A registration whose `matter_type` is "
    "the entry's, or whose content or place names one of its keywords, is an emergency (A17.3: handled in "
    "2 hours) linked to the entry's lines at once.",
)
async def put_matter(
    matter_id: MatterId, body: EmergencyMatterIn, caller: OperatorDep, runtime: RuntimeDep, now: NowDep
) -> EmergencyMatterOut:
    matter = EmergencyMatter(id=matter_id, **body.model_dump())
    values = matter.model_dump() | {"updated_at": now}
    async with runtime.session_maker.begin() as session:
        stmt = insert_for(session, EmergencyMatterRow).values(values)
        await session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))
    return EmergencyMatterOut(**values)


@router.get(
    "/emergency-matters",
    response_model=list[EmergencyMatterOut],
    responses=responses(401, 403),
    summary="The emergency list (operator)",
)
async def list_matters(caller: OperatorDep, runtime: RuntimeDep) -> list[EmergencyMatterOut]:
    async with runtime.session_maker() as session:
        rows = (await session.scalars(select(EmergencyMatterRow).order_by(EmergencyMatterRow.id))).all()
    return [EmergencyMatterOut.model_validate(r, from_attributes=True) for r in rows]


@router.delete(
    "/emergency-matters/{matter_id}",
    status_code=204,
    responses=responses(401, 403, 422),
    summary="Take a matter off the emergency list (operator)",
    description="Idempotent: an entry not on the list is taken off all the same.",
)
async def delete_matter(matter_id: MatterId, caller: OperatorDep, runtime: RuntimeDep) -> None:
    async with runtime.session_maker.begin() as session:
        await session.execute(delete(EmergencyMatterRow).where(EmergencyMatterRow.id == matter_id))


# -- the lines' systems -----------------------------------------------------------------------------------------
@router.put(
    "/linkage-lines/{line}",
    response_model=LineOut,
    responses=responses(401, 403, 422),
    summary="Where a line's system is (operator)",
)
async def put_line(
    line: LinePath, body: LineIn, caller: OperatorDep, runtime: RuntimeDep, now: NowDep
) -> LineOut:
    values = {"line": line, "endpoint": body.endpoint, "token": body.token, "updated_at": now}
    async with runtime.session_maker.begin() as session:
        stmt = insert_for(session, LinkageLineRow).values(values)
        await session.execute(stmt.on_conflict_do_update(index_elements=["line"], set_=values))
    return LineOut(line=line, endpoint=body.endpoint, has_token=bool(body.token), updated_at=now)


@router.get(
    "/linkage-lines",
    response_model=list[LineOut],
    responses=responses(401, 403),
    summary="The lines' systems (operator)",
)
async def list_lines(caller: OperatorDep, runtime: RuntimeDep) -> list[LineOut]:
    async with runtime.session_maker() as session:
        rows = (await session.scalars(select(LinkageLineRow).order_by(LinkageLineRow.line))).all()
    return [
        LineOut(line=r.line, endpoint=r.endpoint, has_token=bool(r.token), updated_at=r.updated_at)
        for r in rows
    ]


# -- a ticket and its lines ---------------------------------------------------------------------------------------
@router.post(
    "/tickets/{no}/linkage",
    response_model=list[LinkageOut],
    responses=responses(401, 403, 404, 409, 422, 503),
    summary="Link a ticket to emergency lines (operator, integrator)",
    description="A23: hand an open ticket to 110/119/120/122 (each line's system is told; each must "
    "acknowledge within the rule set's `linkage_ack`, 5 minutes by default, or the duty officer is alerted).",
)
async def link(
    no: TicketNoDep,
    body: LinkIn,
    caller: RegistrarDep,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> list[LinkageOut]:
    order = LinkageOrder(actor=caller.actor, lines=body.lines)
    key = update_id("link_emergency", f"cred-{caller.credential_id}", idempotency_key)
    try:
        await runtime.temporal.update_ticket(no, "link_emergency", order, key)
    except WorkflowUpdateFailedError as err:
        raise verdict_error(err) from None
    except RPCError as err:
        raise rpc_error(err) from None
    return [await _linkage(runtime, no, line) for line in body.lines]


@router.post(
    "/linkages/{no}/{line}/acknowledgement",
    operation_id="acknowledge_linkage",
    response_model=LinkageOut,
    responses=responses(401, 403, 404, 422, 503),
    summary="A line acknowledges a hand-over (that line's integrator)",
    description="A23: idempotent — a second acknowledgement answers with the first. Only the credential bound "
    "to the line may acknowledge its hand-over: 110's cannot acknowledge 119's (403 `LINE_MISMATCH`).",
)
async def acknowledge(
    no: TicketNoDep, line: LinePath, body: AckIn, caller: CallerDep, runtime: RuntimeDep, now: NowDep
) -> LinkageOut:
    if caller.line != line:
        raise ApiError(403, "LINE_MISMATCH", f"this credential does not act for line {line}", "A23")
    handle = (await runtime.temporal.connect()).get_workflow_handle(
        linkage_workflow_id(ticket_workflow_id(no), line)
    )
    ack = LineAck(line=line, by=body.by, reference=body.reference, at=now)
    try:
        await handle.execute_update(
            LinkageWorkflow.acknowledge, ack, id=f"ack-{line}", rpc_timeout=runtime.temporal.rpc_timeout
        )
    except WorkflowUpdateFailedError as err:
        raise verdict_error(err) from None
    except RPCError as err:
        raise rpc_error(err) from None
    return await _linkage(runtime, no, line)


async def _linkage(runtime: RuntimeDep, no: str, line: str) -> LinkageOut:
    handle = (await runtime.temporal.connect()).get_workflow_handle(
        linkage_workflow_id(ticket_workflow_id(no), line)
    )
    try:
        state: LinkageState = await handle.query(
            LinkageWorkflow.state, rpc_timeout=runtime.temporal.rpc_timeout
        )
    except RPCError as err:
        raise rpc_error(err) from None
    ack = state.acknowledged
    return LinkageOut(
        ticket_no=no,
        line=line,
        reference=state.reference,
        acknowledged_at=ack.at if ack else None,
        acknowledged_by=ack.by if ack else "",
        escalated=state.escalated,
        unreachable=state.unreachable,
    )
