"""The knowledge base (A28, A29): units keep their points current; A16.6 weighs when a point was uploaded."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from api.auth import Role
from api.deps import NowDep, RuntimeDep, SessionDep, StaffDep
from api.errors import invalid, responses
from api.units import require_units
from db.api_models import KnowledgePointRow
from operations.credentials import UNIT_ID_PATTERN

router = APIRouter(prefix="/knowledge-points", tags=["knowledge base"])


class KnowledgePointIn(BaseModel):
    title: str = Field(min_length=1, max_length=200, examples=["社保卡补办"])
    body: str = Field(min_length=1, max_length=20_000, examples=["携带身份证到任一社保网点办理，当场制卡。"])
    unit_id: str | None = Field(
        None,
        pattern=UNIT_ID_PATTERN,
        description="Operators name the unit; unit staff upload for their own unit only (A29).",
    )


class KnowledgePointOut(BaseModel):
    id: str = Field(examples=["kp-3f9a0c1b2d4e"])
    unit_id: str
    title: str
    body: str
    uploaded_at: datetime


class KnowledgePointPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[KnowledgePointOut]


def _out(row: KnowledgePointRow) -> KnowledgePointOut:
    return KnowledgePointOut(
        id=row.id, unit_id=row.unit_id, title=row.title, body=row.body, uploaded_at=row.uploaded_at
    )


@router.post(
    "",
    status_code=201,
    response_model=KnowledgePointOut,
    responses=responses(401, 403, 422, 503),
    summary="Upload a knowledge point (unit staff, operator)",
    description="A28/A29: a unit's duties, policies and answer scripts. The upload time is recorded: "
    "a return refused on A16.6 cites a point and its upload time.",
)
async def upload(
    point: KnowledgePointIn, caller: StaffDep, runtime: RuntimeDep, now: NowDep
) -> KnowledgePointOut:
    if caller.role == Role.UNIT_STAFF:
        if point.unit_id not in (None, caller.unit_id):
            raise invalid("NOT_YOUR_UNIT", "unit staff upload knowledge points for their own unit", "A29")
        unit_id = caller.unit_id
    else:
        unit_id = point.unit_id
    if unit_id is None:
        raise invalid("UNIT_REQUIRED", "name the unit the knowledge point belongs to", "A29")
    async with runtime.session_maker.begin() as session:
        await require_units(session, [unit_id])
        row = KnowledgePointRow(
            id=f"kp-{secrets.token_hex(6)}",
            unit_id=unit_id,
            title=point.title,
            body=point.body,
            uploaded_at=now,
            uploaded_by=caller.credential_id,
        )
        session.add(row)
    return _out(row)


@router.get(
    "",
    response_model=KnowledgePointPage,
    responses=responses(401, 403, 422, 503),
    summary="Search the knowledge base (staff)",
    description="A28: shared by the hotline and every unit.",
)
async def list_points(
    caller: StaffDep,
    session: SessionDep,
    unit_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> KnowledgePointPage:
    query = select(KnowledgePointRow)
    if unit_id is not None:
        query = query.where(KnowledgePointRow.unit_id == unit_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.order_by(KnowledgePointRow.uploaded_at.desc(), KnowledgePointRow.id).limit(limit).offset(offset)
    )
    return KnowledgePointPage(total=total, limit=limit, offset=offset, items=[_out(r) for r in rows])
